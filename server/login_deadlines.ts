/**
 * The login timeout of every new connection, on one timer. Every connection
 * gets the same time to log in, so a map in insertion order is also in
 * deadline order: a sweep expires entries from the front and stops at the
 * first one still in time, then waits for exactly that one: no timer object,
 * closure or timer-list entry per login (the A/B is in BENCHMARKS.md).
 *
 * @module
 */

/** Connections that have not logged in yet, each with its deadline. */
export class LoginDeadlines<T> {
  readonly #timeoutMs: number;
  readonly #expired: (item: T) => void;
  readonly #now: () => number;
  /** When each item was added, oldest first. */
  readonly #added = new Map<T, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * Creates an empty set of deadlines.
   *
   * @param timeoutMs How long an item may stay before it expires.
   * @param expired Told once for each item that stayed that long; it is removed first.
   * @param now The clock, in milliseconds; `performance.now` by default.
   */
  constructor(timeoutMs: number, expired: (item: T) => void, now = () => performance.now()) {
    this.#timeoutMs = timeoutMs;
    this.#expired = expired;
    this.#now = now;
  }

  /** How many items are waiting. */
  get size(): number {
    return this.#added.size;
  }

  /** Starts an item's time; an item already waiting keeps its first deadline. */
  add(item: T): void {
    if (this.#closed || this.#added.has(item)) return;
    this.#added.set(item, this.#now());
    this.#timer ??= setTimeout(this.#sweep, this.#timeoutMs);
  }

  /** Forgets an item: it logged in, or it is gone. */
  delete(item: T): void {
    if (!this.#added.delete(item) || this.#added.size > 0) return;
    // Nothing waits: no timer either, so a quiet server holds none.
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Stops the timer and forgets every item, without expiring any. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#added.clear();
  }

  readonly #sweep = (): void => {
    this.#timer = undefined;
    const now = this.#now();
    for (const [item, added] of this.#added) {
      const left = added + this.#timeoutMs - now;
      if (left > 0) {
        clearTimeout(this.#timer); // armed by an add() from an expiry
        this.#timer = setTimeout(this.#sweep, left);
        return;
      }
      this.#added.delete(item);
      this.#expired(item);
    }
  };
}
