/**
 * Numbers on the command line: the one parser behind every numeric flag of
 * `serve`, `connect` and `bench`, so each refuses bad input with the same
 * sentence.
 *
 * @module
 */

/** Bounds for {@linkcode parseNumber}. */
export interface NumberRule {
  /** The smallest value allowed. */
  readonly min: number;
  /**
   * The largest value allowed.
   *
   * @default {2147483647}
   */
  readonly max?: number;
  /**
   * Whether a decimal fraction is allowed (`2.5`).
   *
   * @default {false}
   */
  readonly fraction?: boolean;
}

/**
 * Parses a flag's value.
 *
 * @param flag The flag, as shown in the error, such as `--max-line`.
 * @param text The value as typed.
 * @param rule Its bounds.
 * @returns The number.
 * @throws {RangeError} Naming the flag, the bounds and what was typed.
 *
 * @example
 * ```ts
 * import { parseNumber } from "./numbers.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseNumber("--rate", "10", { min: 0 }), 10);
 * assert.equal(parseNumber("--timeout", "2.5", { min: 0.001, fraction: true }), 2.5);
 * assert.throws(() => parseNumber("--rate", "-1", { min: 0 }), RangeError);
 * ```
 */
export function parseNumber(flag: string, text: string, rule: NumberRule): number {
  const max = rule.max ?? 2 ** 31 - 1;
  const pattern = rule.fraction ? /^\d+(\.\d+)?$/ : /^\d+$/;
  const value = pattern.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || value < rule.min || value > max) {
    const kind = rule.fraction ? "a number" : "a whole number";
    throw new RangeError(`${flag} needs ${kind} from ${rule.min} to ${max}, got "${text}"`);
  }
  return value;
}
