/**
 * How many wrong passwords are allowed: so many per window from one
 * address, and so many per window for one name, so neither one machine nor
 * a whole botnet can guess at scrypt's pace. Each key is a token bucket;
 * the table is bounded whatever keys come.
 *
 * @module
 */

import { TokenBucket } from "../token_bucket.ts";

/** At most this many keys are remembered; past it the oldest are forgotten. */
const MAX_KEYS = 100_000;

/** A failure budget per key. */
export class FailureLimits {
  readonly #rate: { ratePerSecond: number; burst: number; now?: () => number };
  readonly #buckets = new Map<string, TokenBucket>();

  /**
   * Creates the limits.
   *
   * @param failures How many failures a key may have at once.
   * @param windowMs How long one failure counts, in milliseconds.
   * @param now The clock; `performance.now` by default.
   */
  constructor(failures: number, windowMs: number, now?: () => number) {
    this.#rate = { ratePerSecond: failures / (windowMs / 1000), burst: failures };
    if (now) this.#rate.now = now;
  }

  /**
   * How long a key must wait before it may try again.
   *
   * @returns 0 if it may try now, else the seconds to wait.
   */
  retrySeconds(key: string): number {
    const bucket = this.#buckets.get(key);
    return bucket === undefined ? 0 : Math.ceil(bucket.delay() / 1000);
  }

  /** Counts a failure against a key. */
  fail(key: string): void {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_KEYS) {
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
      bucket = new TokenBucket(this.#rate);
      this.#buckets.set(key, bucket);
    }
    bucket.charge(1);
  }
}
