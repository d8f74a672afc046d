/**
 * A bound on password work for the whole server: scrypt costs tens of
 * milliseconds and 16 MiB a try, so a crowd sending passwords from many
 * addresses must not queue unbounded work ahead of everyone's logins. At
 * most `active` checks run at once and `waiting` more wait; past that a
 * check is refused at once and the client asked to come back.
 *
 * @module
 */

/** Runs password work a few at a time, refusing what would wait too long. */
export class PasswordGate {
  readonly #active: number;
  readonly #waiting: number;
  #running = 0;
  readonly #queue: (() => void)[] = [];

  /**
   * Creates a gate.
   *
   * @param active Checks that may run at once (scrypt's thread pool has 4 threads).
   * @param waiting Checks that may wait for a turn.
   */
  constructor(active = 4, waiting = 256) {
    this.#active = active;
    this.#waiting = waiting;
  }

  /**
   * Runs `work` when its turn comes.
   *
   * @returns Its result, or `undefined` at once when too many wait already.
   */
  run<T>(work: () => Promise<T>): Promise<T> | undefined {
    if (this.#running >= this.#active && this.#queue.length >= this.#waiting) return undefined;
    let turn: Promise<void>;
    if (this.#running < this.#active) {
      this.#running++;
      turn = Promise.resolve();
    } else {
      turn = new Promise((start) => this.#queue.push(start));
    }
    return turn.then(work).finally(() => {
      // The slot goes straight to the next in line, or is given back.
      const next = this.#queue.shift();
      if (next) next();
      else this.#running--;
    });
  }
}
