/**
 * The client's last word on what text may reach the user's terminal: the
 * protocol's {@linkcode sanitize} (control characters) plus the Unicode
 * bidirectional controls.
 *
 * A bidi control such as U+202E RIGHT-TO-LEFT OVERRIDE makes a terminal that
 * implements bidi (VTE, Konsole, mlterm) show the characters after it in
 * another order than they were sent: `[mallory]: \u202Etxt.exe` reads as
 * `exe.txt`, and a message can seem to say what it does not. A server may
 * replace the dangerous ones too, but the client may talk to an old or
 * hostile one, so it passes none of them on, not even the marks and
 * balanced isolates a server may leave: terminals lay out bidi text in too
 * many different ways for any of them to be safe at the user's end. Like
 * the protocol's controls, they become U+FFFD rather than vanish, to keep the
 * tampering visible.
 *
 * @module
 */

import { REPLACEMENT_CHARACTER, sanitize } from "../protocol/text.ts";

// U+061C, U+200E, U+200F, U+202A–U+202E and U+2066–U+2069: the embeddings,
// overrides, isolates and marks of the Unicode Bidirectional Algorithm.
const BIDI_CONTROLS = /\p{Bidi_Control}/gu;

/**
 * Makes untrusted text safe to print on the user's terminal.
 *
 * @param text Any text, such as a line from the server.
 * @returns The text with control characters (but TAB) and bidi controls
 * replaced by U+FFFD.
 *
 * @example Neutralising a right-to-left override
 * ```ts
 * import { sanitizeForTerminal } from "./terminal_text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sanitizeForTerminal("[eve]: \u202Egnp.exe"), "[eve]: \uFFFDgnp.exe");
 * assert.equal(sanitizeForTerminal("\x1b[2Jtab\tkept"), "\uFFFD[2Jtab\tkept");
 * ```
 */
export function sanitizeForTerminal(text: string): string {
  return sanitize(text).replace(BIDI_CONTROLS, REPLACEMENT_CHARACTER);
}
