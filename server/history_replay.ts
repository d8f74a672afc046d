/**
 * A user's history on its way: the recent lines of each room joined go out
 * first, and whatever comes meanwhile (live events and replies) waits
 * behind them in the order it came. The user is in the room already, so
 * nothing said while the store answers is lost; an event both live and in
 * the history is sent live, in its place after the history, never twice.
 *
 * Made for the length of a replay only: an idle user holds none.
 *
 * @module
 */

import { type ChatEvent, type Codec, encodeHistory } from "../protocol/events.ts";
import type { Logger } from "./log.ts";
import type { TokenBucket } from "./token_bucket.ts";

/** History goes out in chunks of about this size, each once the last was written. */
const REPLAY_CHUNK_BYTES = 8 * 1024;

/** Where a replay writes: the user's session. */
export interface ReplayOutput {
  readonly id: number;
  readonly codec: Codec;
  send(bytes: Uint8Array): void;
  /** Resolves once what was sent so far is written. */
  flushed(): Promise<void>;
  /** Ends the session as a reader that does not keep up. */
  slowReader(): void;
}

/** What bounds a replay; every user's options carry these. */
export interface ReplayLimits {
  /** The most bytes of one reply; a history is one. */
  readonly maxReplyBytes: number;
  /** The most bytes held back behind a history; past it the user is a slow reader. */
  readonly maxHeldBytes: number;
  /** History bytes joins may still be sent now, for the whole server. */
  readonly historyBudget: TokenBucket;
  readonly log: Logger;
}

/**
 * What waits, in the order it is to be sent: a line (a live event, with
 * its id, or a reply) or another room's history.
 */
type Pending =
  | { readonly bytes: Uint8Array; readonly id?: string }
  | { readonly history: Promise<readonly ChatEvent[]> };

/** One user's replay, from its first history until nothing waits; see the module documentation. */
export class HistoryReplay {
  readonly #output: ReplayOutput;
  readonly #limits: ReplayLimits;
  readonly #present: () => boolean;
  readonly #done: () => void;
  #draining = false;
  readonly #pending: Pending[] = [];
  #heldBytes = 0;
  /** The ids of the waiting live events: those a history must not show again. */
  #heldIds: Set<string> | undefined;

  /**
   * Makes a replay; {@linkcode addHistory} starts it.
   *
   * @param output The user's session.
   * @param limits How much may be sent and held.
   * @param present Whether the user is still here; a replay stops when not.
   * @param done Called once nothing waits any more (or the user left), in
   *   the same synchronous step that finds nothing waiting, so that no line
   *   is held after it: later lines go straight out.
   */
  constructor(
    output: ReplayOutput,
    limits: ReplayLimits,
    present: () => boolean,
    done: () => void,
  ) {
    this.#output = output;
    this.#limits = limits;
    this.#present = present;
    this.#done = done;
  }

  /** Sends a room's recent lines (oldest first) after what waits already. */
  addHistory(history: Promise<readonly ChatEvent[]>): void {
    this.#pending.push({ history });
    if (this.#draining) return;
    this.#draining = true;
    void this.#drain();
  }

  /**
   * Holds a line until the histories before it are sent. A user who does
   * not take the history does not get to make the server hold more than
   * the outbox would: past that, it is a slow reader.
   */
  hold(bytes: Uint8Array, id?: string): void {
    this.#heldBytes += bytes.length;
    if (this.#heldBytes > this.#limits.maxHeldBytes) return this.#output.slowReader();
    this.#pending.push(id === undefined ? { bytes } : { bytes, id });
    if (id !== undefined) (this.#heldIds ??= new Set()).add(id);
  }

  /**
   * Sends what waits, histories included, until nothing does; then calls
   * `done` in the same synchronous step that found nothing waiting, so no
   * line can be held behind a replay that is over.
   */
  async #drain(): Promise<void> {
    try {
      for (let next = this.#pending.shift(); next !== undefined; next = this.#pending.shift()) {
        if (!this.#present()) return;
        if ("history" in next) {
          await this.#sendHistory(next.history);
          continue;
        }
        this.#heldBytes -= next.bytes.length;
        if (next.id !== undefined) this.#heldIds?.delete(next.id);
        this.#output.send(next.bytes);
      }
    } finally {
      this.#draining = false;
      this.#done();
    }
  }

  async #sendHistory(recent: Promise<readonly ChatEvent[]>): Promise<void> {
    try {
      const events = await recent;
      // What was published since the user joined is waiting to be sent live.
      const older = events.filter((event) => !this.#heldIds?.has(event.id));
      if (this.#present()) await this.#replay(older);
    } catch (error) {
      this.#limits.log.event("history-error", { conn: this.#output.id, error: String(error) });
    }
  }

  /**
   * Sends the newest of `events` that fit the reply budget and what the
   * server's replay budget has left, oldest first: history must neither
   * overflow the user's outbox nor, over many joins, the server's output.
   * It goes out a chunk at a time, each once the last was written, so a
   * user who never reads holds one chunk, not the whole history.
   */
  async #replay(events: readonly ChatEvent[]): Promise<void> {
    const { historyBudget, maxReplyBytes } = this.#limits;
    const codec = this.#output.codec;
    const encode = (event: ChatEvent) => encodeHistory(codec, event);
    const budget = Math.min(maxReplyBytes, historyBudget.available());
    let first = events.length;
    let bytes = 0;
    while (first > 0) {
      const length = encode(events[first - 1]!).length;
      if (bytes + length > budget) break;
      bytes += length;
      first--;
    }
    historyBudget.charge(bytes);
    let chunk = 0;
    for (let index = first; index < events.length && this.#present(); index++) {
      const line = encode(events[index]!);
      this.#output.send(line);
      chunk += line.length;
      if (chunk >= REPLAY_CHUNK_BYTES) {
        chunk = 0;
        await this.#output.flushed();
      }
    }
  }
}
