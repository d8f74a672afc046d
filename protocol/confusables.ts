/**
 * The skeleton of Unicode's confusable detection (UTS #39, section 4): two
 * strings look alike when their skeletons are equal, as Latin `a` and
 * Cyrillic `а`, or `I` and `l`, do.
 *
 * A skeleton is only for comparing. It is no normalised form to show or
 * store as a name: it mixes scripts and case (`m` becomes `rn`).
 *
 * The table is Unicode's confusables.txt, version
 * {@linkcode CONFUSABLES_UNICODE_VERSION} (see `confusables_data.ts` for
 * where it came from); it is parsed on first use, so only code that compares
 * names pays for it.
 *
 * @module
 */

import { CONFUSABLE_PROTOTYPES, CONFUSABLES_UNICODE_VERSION } from "./confusables_data.ts";

export { CONFUSABLES_UNICODE_VERSION };

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/** Each confusable code point's prototype; filled on first use. */
let prototypes: Map<number, string> | undefined;

function loadPrototypes(): Map<number, string> {
  const table = new Map<number, string>();
  for (const group of CONFUSABLE_PROTOTYPES) {
    const [prototype = "", sources = ""] = group.split(":");
    const target = String.fromCodePoint(...prototype.split(".").map((hex) => parseInt(hex, 16)));
    for (const source of sources.split(" ")) table.set(parseInt(source, 16), target);
  }
  return table;
}

/**
 * The UTS #39 skeleton: NFD, without default-ignorable code points, each
 * character replaced by its prototype, NFD again. Case is kept: `A` and `a`
 * have different skeletons.
 *
 * @param text Any text.
 * @returns Its skeleton.
 *
 * @example Latin and Cyrillic look alike
 * ```ts
 * import { skeleton } from "./confusables.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(skeleton("\u0440\u0430ypal"), skeleton("paypal"));
 * assert.notEqual(skeleton("paypal"), skeleton("PayPal"));
 * ```
 */
export function skeleton(text: string): string {
  prototypes ??= loadPrototypes();
  let mapped = "";
  for (const char of text.normalize("NFD").replace(DEFAULT_IGNORABLE, "")) {
    mapped += prototypes.get(char.codePointAt(0)!) ?? char;
  }
  return mapped.normalize("NFD");
}
