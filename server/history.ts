/**
 * The room's scrollback: the last public lines, with the time the server
 * accepted each, replayed to users who join later. Private messages never
 * enter it.
 *
 * @module
 */

/** One remembered public line. */
export interface HistoryEntry {
  /** When the server accepted it. */
  readonly time: Date;
  /** The line as it was sent live (`[name]: text` or `* name text`). */
  readonly line: string;
}

/** A bounded list of the most recent public lines, oldest first. */
export class History {
  readonly #capacity: number;
  #entries: HistoryEntry[] = [];

  /**
   * Creates an empty history.
   *
   * @param capacity How many lines to keep; 0 keeps none.
   */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`History capacity must be a whole number, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  /**
   * Remembers a line, forgetting the oldest once full.
   *
   * @param line The public line.
   * @param time When it was accepted.
   */
  add(line: string, time: Date): void {
    if (this.#capacity === 0) return;
    this.#entries.push({ time, line });
    if (this.#entries.length > this.#capacity) this.#entries.shift();
  }

  /** The remembered lines, oldest first. */
  entries(): readonly HistoryEntry[] {
    return this.#entries;
  }
}
