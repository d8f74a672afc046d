/**
 * The typed commands that carry a password (`/register`, `/password`,
 * `/unregister`, `/pass`): recognising them, so the interactive client never
 * draws their password, keeps them out of its input history and shows them
 * masked.
 *
 * `/register #room` owns a room and carries no password (a password cannot
 * start with `#`), so it is shown and remembered as typed.
 *
 * @module
 */

/** A typed line that carries a password, as the client must treat it. */
export interface SecretCommand {
  /** The command, as the server knows it. */
  readonly word: "REGISTER" | "PASSWORD" | "UNREGISTER" | "PASS";
  /** The password it sets (the new one for `/password old new`); `""` for `/unregister`. */
  readonly password: string;
  /** The line to show the user instead of what they typed: `/register ********`. */
  readonly masked: string;
}

/** What stands for a password on screen: always eight stars, so the length stays secret. */
export const MASK = "********";

const SECRET_PREFIX = /^\/(register|password|unregister|pass)([ \t]+)/i;

/**
 * Whether a typed line carries a password, and which.
 *
 * @param input The line as typed.
 * @returns What the line is, or `undefined` for a line without a password.
 *
 * @example
 * ```ts
 * import { secretCommand } from "./secret_input.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(secretCommand("/register hunter22"), {
 *   word: "REGISTER",
 *   password: "hunter22",
 *   masked: "/register ********",
 * });
 * assert.equal(secretCommand("/register #rust"), undefined);
 * assert.equal(secretCommand("/who"), undefined);
 * ```
 */
export function secretCommand(input: string): SecretCommand | undefined {
  const match = input.match(SECRET_PREFIX);
  if (!match) return undefined;
  const typed = match[1]!.toLowerCase();
  const word = typed.toUpperCase() as SecretCommand["word"];
  const rest = input.slice(match[0].length).trim();
  if (rest === "" || (word === "REGISTER" && rest.startsWith("#"))) return undefined;
  if (word === "PASSWORD") {
    const gap = rest.search(/[ \t]/);
    const password = gap === -1 ? "" : rest.slice(gap + 1).trim();
    return { word, password, masked: `/${typed} ${MASK} ${MASK}` };
  }
  return { word, password: word === "UNREGISTER" ? "" : rest, masked: `/${typed} ${MASK}` };
}

/**
 * The draft as it may be drawn: everything after a password command's word
 * turned into `*`, one per UTF-16 code unit, so the cursor stays where it
 * is in the draft.
 *
 * @param draft What the user has typed so far.
 * @returns The draft to draw.
 *
 * @example
 * ```ts
 * import { maskDraft } from "./secret_input.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(maskDraft("/register hunter2"), "/register *******");
 * assert.equal(maskDraft("/register #rust"), "/register #rust");
 * assert.equal(maskDraft("hello"), "hello");
 * ```
 */
export function maskDraft(draft: string): string {
  const match = draft.match(SECRET_PREFIX);
  if (!match) return draft;
  const rest = draft.slice(match[0].length);
  if (match[1]!.toLowerCase() === "register" && rest.trimStart().startsWith("#")) return draft;
  return match[0] + "*".repeat(rest.length);
}
