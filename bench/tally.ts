/**
 * What the load test counts: for every receiver and every sender, which
 * sequence numbers arrived, in what order, and how late. Pure bookkeeping,
 * no sockets, so the counters themselves can be tested.
 *
 * @module
 */

/** Counts and latencies of one run. */
export interface TallyResult {
  /** Deliveries that should have happened: messages sent × receivers. */
  expected: number;
  /** Distinct deliveries that happened. */
  received: number;
  /** Expected deliveries that never came. */
  lost: number;
  /** Deliveries of a message a receiver already had. */
  duplicated: number;
  /** Deliveries that came after a later message from the same sender. */
  reordered: number;
  /** Latency percentiles in milliseconds (send to receive). */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

/** Bookkeeping for R receivers × S senders. */
export class Tally {
  readonly #senders: number;
  readonly #seen: Uint8Array[];
  readonly #highest: Int32Array;
  #latencies = new Float64Array(1024);
  #received = 0;
  #duplicated = 0;
  #reordered = 0;

  /**
   * Starts empty.
   *
   * @param receivers How many receivers.
   * @param senders How many senders.
   */
  constructor(receivers: number, senders: number) {
    this.#senders = senders;
    this.#seen = Array.from({ length: receivers * senders }, () => new Uint8Array(64));
    this.#highest = new Int32Array(receivers * senders).fill(-1);
  }

  /** Distinct deliveries so far. */
  get received(): number {
    return this.#received;
  }

  /**
   * Records one delivery.
   *
   * @param receiver The receiver's index.
   * @param sender The sender's index.
   * @param sequence The message's number from that sender, from 0.
   * @param latencyMs How long it took.
   */
  record(receiver: number, sender: number, sequence: number, latencyMs: number): void {
    const pair = receiver * this.#senders + sender;
    let seen = this.#seen[pair]!;
    if (sequence >= seen.length * 8) {
      const grown = new Uint8Array(Math.max(seen.length * 2, (sequence >> 3) + 1));
      grown.set(seen);
      this.#seen[pair] = seen = grown;
    }
    const bit = 1 << (sequence & 7);
    if (seen[sequence >> 3]! & bit) {
      this.#duplicated++;
      return;
    }
    seen[sequence >> 3]! |= bit;
    if (sequence < this.#highest[pair]!) this.#reordered++;
    else this.#highest[pair] = sequence;
    if (this.#received === this.#latencies.length) {
      const grown = new Float64Array(this.#latencies.length * 2);
      grown.set(this.#latencies);
      this.#latencies = grown;
    }
    this.#latencies[this.#received++] = latencyMs;
  }

  /**
   * What this tally holds, to be merged with the tallies of other parts of
   * the same run (disjoint receivers).
   *
   * @returns The counts and every latency so far (a copy).
   */
  snapshot(): TallySnapshot {
    return {
      received: this.#received,
      duplicated: this.#duplicated,
      reordered: this.#reordered,
      latencies: this.#latencies.slice(0, this.#received),
    };
  }

  /**
   * Sums it up.
   *
   * @param expected How many deliveries should have happened.
   * @returns The counts and latency percentiles.
   */
  result(expected: number): TallyResult {
    return mergeTallies([this.snapshot()], expected);
  }
}

/** One part's counts and latencies, as {@linkcode Tally.snapshot} returns them. */
export interface TallySnapshot {
  received: number;
  duplicated: number;
  reordered: number;
  /** One latency per distinct delivery, in milliseconds, in no particular order. */
  latencies: Float64Array;
}

/**
 * Sums up the tallies of the parts of one run, each over its own receivers:
 * counts add up, and the percentiles are taken over every delivery of every
 * part, exactly as if one tally had seen them all.
 *
 * @param parts The parts' snapshots.
 * @param expected How many deliveries should have happened, in all.
 * @returns The counts and latency percentiles.
 */
export function mergeTallies(parts: readonly TallySnapshot[], expected: number): TallyResult {
  const received = parts.reduce((total, part) => total + part.received, 0);
  const latencies = new Float64Array(received);
  let offset = 0;
  for (const part of parts) {
    latencies.set(part.latencies.subarray(0, part.received), offset);
    offset += part.received;
  }
  latencies.sort();
  const at = (fraction: number) =>
    latencies.length === 0
      ? 0
      : latencies[Math.min(latencies.length - 1, Math.floor(fraction * latencies.length))]!;
  return {
    expected,
    received,
    lost: Math.max(0, expected - received),
    duplicated: parts.reduce((total, part) => total + part.duplicated, 0),
    reordered: parts.reduce((total, part) => total + part.reordered, 0),
    latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: latencies.at(-1) ?? 0 },
  };
}
