/**
 * Durations as people write them in Go style: `45s`, `10m`, `1h30m`, `7d`,
 * `2w`. Used by `BAN` and `MUTE`.
 *
 * @module
 */

const UNITS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The longest duration accepted: 10 years. */
export const MAX_DURATION_MS = 10 * 365 * 86_400_000;

/**
 * Parses a duration.
 *
 * @param text Such as `1h30m`.
 * @returns Milliseconds, or `undefined` when it is not a duration (or is 0
 * or over 10 years).
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseDuration("1h30m"), 5_400_000);
 * assert.equal(parseDuration("7d"), 604_800_000);
 * assert.equal(parseDuration("soon"), undefined);
 * ```
 */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+[smhdw])+$/.test(text)) return undefined;
  let total = 0;
  for (const [, count, unit] of text.matchAll(/(\d+)([smhdw])/g)) {
    total += Number(count) * UNITS[unit!]!;
  }
  return total > 0 && total <= MAX_DURATION_MS ? total : undefined;
}
