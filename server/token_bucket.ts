/**
 * A token bucket: how fast one client may send lines. It never drops a line;
 * it says how long the caller must wait before handling it, and the caller
 * waits by not reading the socket (backpressure).
 *
 * @module
 */

/** Options for {@linkcode TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** The most tokens the bucket holds: a burst allowed at once. */
  burst: number;
  /**
   * The clock, in milliseconds.
   *
   * @default {performance.now}
   */
  now?: () => number;
}

/** A per-connection rate limiter. */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  /**
   * Creates a full bucket.
   *
   * @param options Rate, burst and clock.
   */
  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError(
        `A token bucket needs a rate above 0 and a burst of at least 1, got ${options.ratePerSecond} and ${options.burst}`,
      );
    }
    this.#ratePerMs = options.ratePerSecond / 1000;
    this.#burst = options.burst;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = options.burst;
    this.#updatedAt = this.#now();
  }

  /**
   * Takes tokens, borrowing them if the bucket is short: the debt is what
   * {@linkcode delay} then makes the caller wait for.
   *
   * @param tokens How many; a costly command takes more than one.
   */
  charge(tokens: number): void {
    this.#refill();
    this.#tokens -= tokens;
  }

  /**
   * How long the caller must wait before acting, so that the average rate
   * holds.
   *
   * @returns 0 while the bucket holds at least one token, else the
   * milliseconds until it will.
   */
  delay(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : (1 - this.#tokens) / this.#ratePerMs;
  }

  /**
   * How many tokens the bucket holds now (none while in debt).
   *
   * @returns The tokens, never below 0.
   */
  available(): number {
    this.#refill();
    return Math.max(0, this.#tokens);
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#ratePerMs);
    this.#updatedAt = now;
  }
}
