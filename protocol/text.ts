/**
 * Turns untrusted bytes into text that is safe to show on someone else's
 * terminal.
 *
 * Invalid UTF-8 becomes U+FFFD. So does every C0 control character except
 * TAB, DEL, and every C1 control (U+0080–U+009F): those are how one user
 * could move another user's cursor, rewrite their screen, set their window
 * title or clipboard (OSC 52), or ring their bell. Replacing rather than
 * deleting keeps the tampering visible and the text's length honest.
 *
 * @module
 */

/** What unsafe characters and invalid bytes are replaced with. */
export const REPLACEMENT_CHARACTER = "\uFFFD";

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

// C0 without TAB (0x09), then DEL and the C1 range.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNSAFE_CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/**
 * Decodes UTF-8, replacing invalid sequences with U+FFFD.
 *
 * @param bytes Bytes from the network.
 * @returns The decoded text, unsanitised.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Replaces control characters that could drive a terminal with U+FFFD.
 *
 * @param text Any text.
 * @returns The text with every C0 control but TAB, DEL and every C1 control
 * replaced.
 *
 * @example Neutralising an escape sequence
 * ```ts
 * import { sanitize } from "./text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sanitize("\x1b[2Jhi\tthere"), "\uFFFD[2Jhi\tthere");
 * ```
 */
export function sanitize(text: string): string {
  return text.replace(UNSAFE_CONTROLS, REPLACEMENT_CHARACTER);
}

/**
 * Decodes network bytes into safe text: {@linkcode decodeUtf8} then
 * {@linkcode sanitize}.
 *
 * @param bytes Bytes from the network.
 * @returns Valid text with no unsafe control characters.
 */
export function decodeSafeText(bytes: Uint8Array): string {
  return sanitize(decodeUtf8(bytes));
}
