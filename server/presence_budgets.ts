/**
 * Each room's budget of presence notices (joins, parts, connects and
 * disconnects told to the room): a room where people come and go faster
 * than that is told less, not flooded.
 *
 * @module
 */

import { TokenBucket } from "./token_bucket.ts";

/**
 * Presence notices per second a room gets at most (after a burst): ten
 * people coming or going a second is a lively room; more is a flood.
 */
const PRESENCE_RATE = { ratePerSecond: 10, burst: 100 };

/** One token bucket per room, made when the room first needs it. */
export class PresenceBudgets {
  readonly #budgets = new Map<string, TokenBucket>();
  readonly #now: (() => number) | undefined;

  /** @param now The clock in milliseconds (a test's fake one). @default {performance.now} */
  constructor(now?: () => number) {
    this.#now = now;
  }

  /** Takes one notice from the room's budget; false if it has none left. */
  allowed(room: string): boolean {
    let budget = this.#budgets.get(room);
    if (budget === undefined) {
      budget = new TokenBucket({ ...PRESENCE_RATE, ...(this.#now ? { now: this.#now } : {}) });
      this.#budgets.set(room, budget);
    }
    if (budget.available() < 1) return false;
    budget.charge(1);
    return true;
  }

  /** Forgets a room's budget (the room expired). */
  forget(room: string): void {
    this.#budgets.delete(room);
  }
}
