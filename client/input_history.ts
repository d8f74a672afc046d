/**
 * The lines the user sent, for Up and Down to recall: every earlier line in
 * turn, whatever is typed (readline's own history only offers those that
 * start with the draft, and says nothing about it). Down past the newest
 * line gives back the draft as it was before the first Up.
 *
 * @module
 */

/** How many sent lines are kept. */
const MAX_ENTRIES = 1000;

/** Sent lines, and where Up and Down have got to among them. */
export class InputHistory {
  readonly #entries: string[] = [];
  /** The entry shown; `#entries.length` while the draft is. */
  #position = 0;
  #draft = "";

  /**
   * Remembers a sent line (not an empty one, nor the newest again), and goes
   * back to the draft.
   *
   * @param line The line as typed.
   */
  add(line: string): void {
    if (line.trim() !== "" && this.#entries.at(-1) !== line) {
      this.#entries.push(line);
      if (this.#entries.length > MAX_ENTRIES) this.#entries.shift();
    }
    this.#position = this.#entries.length;
    this.#draft = "";
  }

  /**
   * Up: the line before the one shown.
   *
   * @param shown What the input holds now: kept as the draft on the first Up.
   * @returns The line to show, or `undefined` when there is none earlier.
   *
   * @example Up, Up, Down, Down
   * ```ts
   * import { InputHistory } from "./input_history.ts";
   * import assert from "node:assert/strict";
   *
   * const history = new InputHistory();
   * history.add("hello");
   * history.add("/who");
   * assert.equal(history.previous("dra"), "/who");
   * assert.equal(history.previous("/who"), "hello");
   * assert.equal(history.next(), "/who");
   * assert.equal(history.next(), "dra");
   * ```
   */
  previous(shown: string): string | undefined {
    if (this.#position === 0) return undefined;
    if (this.#position === this.#entries.length) this.#draft = shown;
    this.#position--;
    return this.#entries[this.#position];
  }

  /**
   * Down: the line after the one shown, then the draft.
   *
   * @returns The line to show, or `undefined` when the draft is shown already.
   */
  next(): string | undefined {
    if (this.#position >= this.#entries.length) return undefined;
    this.#position++;
    return this.#position === this.#entries.length ? this.#draft : this.#entries[this.#position];
  }
}
