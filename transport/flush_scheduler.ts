/**
 * Decides when outboxes write. When the server is quiet, at once (at the end
 * of the current task); when it is busy, at most once per interval, so that
 * a user receiving many messages gets them in one write instead of one
 * write each. Writes are the server's dearest operation: at 500 messages a
 * second to 1,000 users, one write per delivery alone fills a CPU core.
 *
 * @module
 */

/** Gathers flushes and runs them together. */
export class FlushScheduler {
  readonly #intervalMs: number;
  #pending: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #queued = false;
  #lastRun = -Infinity;

  /**
   * Creates a scheduler.
   *
   * @param intervalMs The shortest time between two rounds of writes while busy.
   */
  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /**
   * Runs `flush` with the next round.
   *
   * @param flush Writes one outbox's pending bytes.
   */
  schedule(flush: () => void): void {
    this.#pending.push(flush);
    if (this.#queued) return;
    this.#queued = true;
    const wait = this.#lastRun + this.#intervalMs - performance.now();
    if (wait <= 0) queueMicrotask(this.#run);
    else this.#timer = setTimeout(this.#run, wait);
  }

  /** Runs what is pending now and stops the timer. */
  close(): void {
    clearTimeout(this.#timer);
    if (this.#queued) this.#run();
  }

  readonly #run = (): void => {
    this.#queued = false;
    this.#timer = undefined;
    this.#lastRun = performance.now();
    const round = this.#pending;
    this.#pending = [];
    for (const flush of round) flush();
  };
}
