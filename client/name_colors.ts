/**
 * Which colour each name gets in one session: the next unused colour, in the
 * order names appear, so the first {@linkcode NAME_COLOR_COUNT} users (you
 * first) never share one, as a hash of the name cannot promise. A name keeps
 * its colour for the session, whatever its case.
 *
 * @module
 */

import { nameKey } from "../protocol/username.ts";
import { NAME_COLOR_COUNT } from "./style.ts";

/** Hands out name colours in order of appearance. */
export class NameColors {
  readonly #assigned = new Map<string, number>();

  /**
   * @param first Names to colour first, in order: the user's own.
   */
  constructor(first: readonly string[] = []) {
    for (const name of first) this.indexOf(name);
  }

  /**
   * The colour of a name, given it on its first appearance.
   *
   * @param name A username.
   * @returns An index below {@linkcode NAME_COLOR_COUNT}.
   *
   * @example Three users, three colours
   * ```ts
   * import { NameColors } from "./name_colors.ts";
   * import assert from "node:assert/strict";
   *
   * const colors = new NameColors(["alice"]);
   * assert.equal(colors.indexOf("bob"), 1);
   * assert.equal(colors.indexOf("carol"), 2);
   * assert.equal(colors.indexOf("Alice"), 0);
   * ```
   */
  indexOf(name: string): number {
    const key = nameKey(name);
    let index = this.#assigned.get(key);
    if (index === undefined) {
      index = this.#assigned.size % NAME_COLOR_COUNT;
      this.#assigned.set(key, index);
    }
    return index;
  }
}
