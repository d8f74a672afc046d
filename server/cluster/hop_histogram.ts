/**
 * How long this node's own events take to come back from the stream: from
 * the append to the blocking read that returns it, the latency the Redis hop
 * adds to every delivery. Kept as a Prometheus histogram
 * (`nanochat_cluster_hop_seconds`).
 *
 * @module
 */

/** Upper bounds of the buckets, in seconds. */
export const HOP_BUCKETS_SECONDS: readonly number[] = [
  0.00025,
  0.0005,
  0.001,
  0.002,
  0.005,
  0.01,
  0.05,
  0.25,
  1,
];

/** Counts hops into fixed buckets; constant memory whatever the traffic. */
export class HopHistogram {
  /** Per bucket (the last is +Inf), not cumulative. */
  readonly #counts = new Array<number>(HOP_BUCKETS_SECONDS.length + 1).fill(0);
  #sumSeconds = 0;
  #count = 0;

  /**
   * Counts one hop.
   *
   * @param ms How long it took, in milliseconds.
   */
  observe(ms: number): void {
    const seconds = ms / 1000;
    const index = HOP_BUCKETS_SECONDS.findIndex((bound) => seconds <= bound);
    this.#counts[index === -1 ? HOP_BUCKETS_SECONDS.length : index]!++;
    this.#sumSeconds += seconds;
    this.#count++;
  }

  /** The cumulative counts per upper bound (`Infinity` last), the sum and the count. */
  snapshot(): { buckets: [number, number][]; sumSeconds: number; count: number } {
    let cumulative = 0;
    const buckets = [...HOP_BUCKETS_SECONDS, Infinity].map((bound, index): [number, number] => {
      cumulative += this.#counts[index]!;
      return [bound, cumulative];
    });
    return { buckets, sumSeconds: this.#sumSeconds, count: this.#count };
  }
}
