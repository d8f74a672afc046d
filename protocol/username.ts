/**
 * The username rule, and the keys under which names are unique.
 *
 * A name is 1 to 32 characters (Unicode code points), each a letter, a
 * digit, `_`, `-` or `.`, or a combining mark after the first character.
 * That leaves out, among others: spaces, control characters, `[`, `]`, `:`
 * (which would let a name forge the `[name]: text` chat line) and `*`.
 * Beyond that, a name must not impersonate, so it may not:
 *
 * - hold an invisible (default-ignorable) code point, such as a variation
 *   selector, U+034F COMBINING GRAPHEME JOINER, a Mongolian free variation
 *   selector, ZWJ or ZWNJ, or a Hangul filler (U+3164, U+115F, U+1160,
 *   U+FFA0, which count as letters), since `alice` and `alice` with one
 *   more of them look the same;
 * - stack more than {@linkcode MAX_MARKS_PER_CHARACTER} nonspacing or
 *   enclosing marks on one character, or hold more than
 *   {@linkcode MAX_MARKS} in all, counted after canonical decomposition
 *   (NFD), so `ệ` is `e` with two; spacing marks, such as most Indic vowel
 *   signs, take their own place and are not counted;
 * - lack a letter or digit, as `--` and `...` do;
 * - be one of the {@linkcode RESERVED_NAMES}, or look like one (same
 *   {@linkcode nameKey} or {@linkcode nameSkeleton}), as `SERVER`, `Notice`
 *   and `r00t` do.
 *
 * Two names denote the same user when their {@linkcode nameKey}s are equal
 * (`Alice`, `ALICE` and full-width `Ａｌｉｃｅ`), and look alike when their
 * {@linkcode nameSkeleton}s are (`alice`, Cyrillic `аlice` and `aIice`). A
 * server refuses a name that clashes with one online in either way.
 *
 * @module
 */

import { skeleton } from "./confusables.ts";

/** The longest name allowed, in code points. */
export const MAX_NAME_LENGTH = 32;

/** The most nonspacing or enclosing marks allowed on one character (after NFD). */
export const MAX_MARKS_PER_CHARACTER = 2;

/** The most nonspacing or enclosing marks allowed in one name (after NFD). */
export const MAX_MARKS = 16;

/**
 * Names nobody may take, nor anything that looks like them: the protocol's
 * command words and line keywords, which a name could pass itself off as in
 * a chat line, and the usual titles of authority.
 */
export const RESERVED_NAMES: readonly string[] = Object.freeze([
  "admin",
  "administrator",
  "error",
  "help",
  "history",
  "me",
  "moderator",
  "msg",
  "nanochat",
  "nick",
  "notice",
  "operator",
  "ping",
  "pong",
  "private",
  "quit",
  "root",
  "sent",
  "server",
  "system",
  "who",
]);

const NAME_PATTERN = /^[\p{L}\p{N}_.\-][\p{L}\p{M}\p{N}_.\-]*$/u;
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const STACKED_MARKS = /[\p{Mn}\p{Me}]+/gu;

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
 * assert.equal(nameProblem("alice\u3164"), "Name has an invisible character (U+3164)");
 * assert.equal(nameProblem("Server"), "The name Server is reserved");
 * ```
 */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return `Name is empty: it must be ${NAME_RULE}`;
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH) {
    return `Name is ${length} characters long: it must be ${NAME_RULE}`;
  }
  const invisible = name.match(DEFAULT_IGNORABLE)?.[0];
  if (invisible !== undefined) return `Name has an invisible character (${codePointOf(invisible)})`;
  if (!NAME_PATTERN.test(name)) return `Name must be ${NAME_RULE}`;
  if (!LETTER_OR_DIGIT.test(name)) return "Name must have at least one letter or digit";
  if (hasTooManyMarks(name)) {
    return `Name has too many combining marks: at most ${MAX_MARKS_PER_CHARACTER} on one character and ${MAX_MARKS} in all`;
  }
  if (isReserved(name)) return `The name ${name} is reserved`;
  return undefined;
}

function codePointOf(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

function hasTooManyMarks(name: string): boolean {
  let total = 0;
  for (const [marks] of name.normalize("NFD").matchAll(STACKED_MARKS)) {
    if (marks.length > MAX_MARKS_PER_CHARACTER) return true;
    total += marks.length;
  }
  return total > MAX_MARKS;
}

/** The keys and skeletons of the reserved names; computed on first use. */
let reserved: Set<string> | undefined;

function isReserved(name: string): boolean {
  reserved ??= new Set(RESERVED_NAMES.flatMap((word) => [nameKey(word), nameSkeleton(word)]));
  return reserved.has(nameKey(name)) || reserved.has(nameSkeleton(name));
}

/**
 * The key two names share exactly when they denote the same user.
 *
 * @param name A valid username.
 * @returns Its case- and compatibility-folded form.
 */
export function nameKey(name: string): string {
  return foldCase(name.normalize("NFKC"));
}

/**
 * The key two names share when they look alike: the UTS #39 confusable
 * skeleton, taken as the IRC server ergo does. Width and compatibility forms
 * are folded first (NFKC, so `Ａ` and `𝐀` are `A`), then each character is
 * replaced by the prototype Unicode's confusables.txt gives it, then case is
 * folded. Folding case last keeps `I` (which looks like `l`) apart from `i`.
 *
 * Two names clash when their {@linkcode nameKey}s or their skeletons are
 * equal. Skeletons follow the standard, so some distinct-looking pairs clash
 * too: `m` and `rn`, `0` and `O`, `1`, `I` and `l` (so `b0b` clashes with
 * `bob`, `a1ice` with `alice`). A name in capitals is compared as written:
 * `ALICE` and Greek `ΑLICE` clash with each other, and `ALICE` with `alice`
 * through its key, but `ΑLICE` not with `alice`. Marks count: `zoë` and `zoe`
 * do not clash. The skeleton is only a key: never show it.
 *
 * @param name A valid username.
 * @returns Its skeleton.
 *
 * @example
 * ```ts
 * import { nameSkeleton } from "./username.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(nameSkeleton("\u0430lice"), nameSkeleton("alice")); // Cyrillic а
 * assert.equal(nameSkeleton("aIice"), nameSkeleton("alice"));
 * assert.notEqual(nameSkeleton("alice"), nameSkeleton("alicia"));
 * ```
 */
export function nameSkeleton(name: string): string {
  return foldCase(skeleton(name.normalize("NFKC")));
}

function foldCase(text: string): string {
  // Upper then lower: lower-casing alone keeps final ς apart from σ.
  return text.toUpperCase().toLowerCase();
}
