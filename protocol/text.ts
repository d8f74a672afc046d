/**
 * Turns untrusted bytes into text that is safe to show on someone else's
 * terminal, as one line that cannot pass for two.
 *
 * Invalid UTF-8 becomes U+FFFD. So does every C0 control character except
 * TAB, DEL, and every C1 control (U+0080–U+009F): those are how one user
 * could move another user's cursor, rewrite their screen, set their window
 * title or clipboard (OSC 52), or ring their bell. U+2028 and U+2029 become
 * U+FFFD too, as NEL (U+0085, a C1 control) does: a consumer that splits on
 * Unicode line breaks would otherwise see a forged second line.
 *
 * Bidirectional controls may not reorder anything outside their line, nor
 * display text in an order other than the one it was written in:
 *
 * - RLO and LRO (U+202E, U+202D) always become U+FFFD. Overriding the order
 *   of letters is the classic spoof (`txt.exe` shown as `exe.txt`), and chat
 *   has no need for it.
 * - LRE, RLE (U+202A, U+202B) and LRI, RLI, FSI (U+2066–U+2068) stay only
 *   when closed in the same line by their own PDF (U+202C) or PDI (U+2069),
 *   properly nested. Every other opener, and every closer that closes
 *   nothing of the line's own, becomes U+FFFD: a stray closer could end an
 *   isolate that a client puts around the text.
 * - LRM, RLM and ALM (U+200E, U+200F, U+061C) stay: they are invisible
 *   strong letters with no scope, needed to lay out mixed-direction text.
 *
 * Tag characters (U+E0000–U+E007F) are invisible and can carry a whole
 * hidden ASCII message, so they become U+FFFD, except in the one place an
 * emoji needs them: a black flag (U+1F3F4), one to six tag letters or digits
 * and CANCEL TAG, as in the flags of England, Scotland and Wales.
 *
 * Zero-width characters (U+200B–U+200D, U+2060, U+FEFF) stay: they can
 * neither move text nor break a line, emoji sequences and several scripts
 * need ZWJ and ZWNJ, and names, where invisible differences deceive, refuse
 * them.
 *
 * Replacing rather than deleting keeps the tampering visible and, for the
 * Basic Multilingual Plane, the text's length honest.
 *
 * @module
 */

/** What unsafe characters and invalid bytes are replaced with. */
export const REPLACEMENT_CHARACTER = "\uFFFD";

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

// Anything sanitize() might change. Without the u flag, so the tag
// characters (U+E0000–U+E007F) are matched as their surrogate pairs.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const SUSPECT = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]|\udb40[\udc00-\udc7f]/;

// C0 without TAB (0x09), DEL and the C1 range, the line and paragraph
// separators, and the two overrides.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const ALWAYS_REPLACED = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202d\u202e]/g;

// An emoji subdivision flag, kept whole, or any other tag character.
const TAGS =
  /\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{1,6}\u{E007F}|[\u{E0000}-\u{E007F}]/gu;

const SCOPED_BIDI_CONTROLS = /[\u202a-\u202c\u2066-\u2069]/;
const LRE = 0x202a;
const RLE = 0x202b;
const PDF = 0x202c;
const LRI = 0x2066;
const FSI = 0x2068;
const PDI = 0x2069;

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
 * Replaces with U+FFFD every character that could drive a terminal, split
 * the line, or reorder text beyond it (see the module documentation).
 *
 * @param text Any text, taken as one line.
 * @returns The text with control characters, line and paragraph separators,
 * bidi overrides, unbalanced bidi embeddings and isolates, and tag characters
 * outside emoji flags replaced.
 *
 * @example Neutralising an escape sequence
 * ```ts
 * import { sanitize } from "./text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sanitize("\x1b[2Jhi\tthere"), "\uFFFD[2Jhi\tthere");
 * ```
 *
 * @example Keeping a closed isolate, replacing an unclosed one
 * ```ts
 * import { sanitize } from "./text.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sanitize("a \u2067שלום\u2069 b"), "a \u2067שלום\u2069 b");
 * assert.equal(sanitize("a \u2067שלום b"), "a \uFFFDשלום b");
 * ```
 */
export function sanitize(text: string): string {
  if (!SUSPECT.test(text)) return text;
  let safe = text.replace(ALWAYS_REPLACED, REPLACEMENT_CHARACTER);
  safe = safe.replace(
    TAGS,
    (match) => match.startsWith("\u{1F3F4}") ? match : REPLACEMENT_CHARACTER,
  );
  return SCOPED_BIDI_CONTROLS.test(safe) ? balanceBidiControls(safe) : safe;
}

/**
 * Replaces every bidi embedding or isolate opener that its own closer does
 * not close within the text, and every closer that closes no opener of the
 * text, with U+FFFD. Overrides must already be gone.
 */
function balanceBidiControls(text: string): string {
  // Where each still-open embedding or isolate starts, and which it is.
  const open: { at: number; isolate: boolean }[] = [];
  const unbalanced: number[] = [];
  for (let at = 0; at < text.length; at++) {
    const unit = text.charCodeAt(at);
    if (unit === LRE || unit === RLE) {
      open.push({ at, isolate: false });
    } else if (unit >= LRI && unit <= FSI) {
      open.push({ at, isolate: true });
    } else if (unit === PDF) {
      // A PDF cannot close an isolate (UAX #9, X7): inside one it is stray.
      if (open.at(-1)?.isolate === false) open.pop();
      else unbalanced.push(at);
    } else if (unit === PDI) {
      const isolate = open.findLastIndex((opener) => opener.isolate);
      if (isolate === -1) {
        unbalanced.push(at);
      } else {
        // UAX #9 lets a PDI close the embeddings left open inside its
        // isolate; a renderer without isolates would not, so they go.
        for (const embedding of open.splice(isolate + 1)) unbalanced.push(embedding.at);
        open.pop();
      }
    }
  }
  for (const opener of open) unbalanced.push(opener.at);
  if (unbalanced.length === 0) return text;
  const units = text.split("");
  for (const at of unbalanced) units[at] = REPLACEMENT_CHARACTER;
  return units.join("");
}

/**
 * Decodes network bytes into safe text: {@linkcode decodeUtf8} then
 * {@linkcode sanitize}.
 *
 * @param bytes Bytes from the network.
 * @returns Valid text with no unsafe characters.
 */
export function decodeSafeText(bytes: Uint8Array): string {
  return sanitize(decodeUtf8(bytes));
}
