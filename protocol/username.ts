/**
 * The username rule, and the key under which names are unique.
 *
 * A name is 1 to 32 characters (Unicode code points), each a letter, a
 * digit, `_`, `-` or `.`, or a combining mark after the first character.
 * That leaves out, among others: spaces, control characters, `[`, `]`, `:`
 * (which would let a name forge the `[name]: text` chat line) and `*`.
 * Names are unique case-insensitively and after NFKC normalisation, so
 * `Alice`, `ALICE` and `Ａｌｉｃｅ` (full-width) are one user.
 *
 * @module
 */

/** The longest name allowed, in code points. */
export const MAX_NAME_LENGTH = 32;

const NAME_PATTERN = /^[\p{L}\p{N}_.\-][\p{L}\p{M}\p{N}_.\-]*$/u;

/** The rule in one sentence, for error messages and help texts. */
export const NAME_RULE = `1 to ${MAX_NAME_LENGTH} letters, digits, '_', '-' or '.', with no spaces`;

/**
 * Says why a name is not acceptable, or nothing if it is.
 *
 * @param name A proposed username, already decoded.
 * @returns A short reason in sentence case, or `undefined` when the name is
 * valid.
 *
 * @example
 * ```ts
 * import { nameProblem } from "./username.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(nameProblem("alice"), undefined);
 * assert.match(nameProblem("") ?? "", /^Name is empty/);
 * ```
 */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return `Name is empty: it must be ${NAME_RULE}`;
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH) {
    return `Name is ${length} characters long: it must be ${NAME_RULE}`;
  }
  if (!NAME_PATTERN.test(name)) return `Name must be ${NAME_RULE}`;
  return undefined;
}

/**
 * The key two names share exactly when they denote the same user.
 *
 * @param name A valid username.
 * @returns Its case- and compatibility-folded form.
 */
export function nameKey(name: string): string {
  // Upper then lower: lower-casing alone keeps final ς apart from σ.
  return name.normalize("NFKC").toUpperCase().toLowerCase();
}
