/**
 * Passwords of registered names: hashed with scrypt (from `node:crypto`)
 * with a random salt, at a cost of tens of milliseconds per try, compared in
 * constant time, and stored with their parameters so they can be raised
 * later without losing the old hashes. A password is never logged or kept
 * in the clear.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** scrypt's cost: N = 2^14, r = 8, p = 1 takes about 50 ms here, 16 MiB of memory. */
const COST = { N: 16_384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const MAX_MEMORY = 64 * 1024 * 1024;

/** The shortest and longest password accepted. */
export const PASSWORD_LENGTH = { min: 8, max: 200 } as const;

/**
 * Says why a new password is not acceptable, or nothing if it is.
 *
 * @param password The password as typed.
 * @returns A reason in sentence case, or `undefined`.
 *
 * @example
 * ```ts
 * import { passwordProblem } from "./passwords.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(passwordProblem("correct horse"), undefined);
 * assert.match(passwordProblem("short") ?? "", /at least 8/);
 * ```
 */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_LENGTH.min || length > PASSWORD_LENGTH.max) {
    return `A password must have at least ${PASSWORD_LENGTH.min} and at most ${PASSWORD_LENGTH.max} characters`;
  }
  return undefined;
}

/**
 * Hashes a password for storage.
 *
 * @param password The password.
 * @returns `scrypt$N$r$p$salt$hash`, salt and hash in base64.
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST);
  return ["scrypt", COST.N, COST.r, COST.p, salt.toString("base64"), key.toString("base64")]
    .join("$");
}

/**
 * Checks a password against a stored hash, in constant time.
 *
 * @param password The password given.
 * @param stored What {@linkcode hashPassword} returned.
 * @returns Whether it matches; false for a hash it cannot read.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, "base64");
  const key = await derive(password, Buffer.from(salt, "base64"), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

function derive(
  password: string,
  salt: Buffer,
  cost: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, { ...cost, maxmem: MAX_MEMORY }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}
