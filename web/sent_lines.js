/**
 * The lines the user sent, for Up and Down to bring back into the input as
 * a shell does: Up steps back through them, Down forward, and past the
 * newest the draft typed before the first Up comes back. A line holding a
 * password is never kept. Pure, no DOM, so it runs under `deno test` too.
 *
 * @module
 */

/** How many sent lines are kept. */
export const MAX_SENT_LINES = 100;

/** Commands whose line holds a password: never kept. */
const SECRET = /^\/(register|password|unregister)\b/i;

/** The sent lines and where Up and Down are among them. */
export class SentLines {
  /** @type {string[]} */
  #lines = [];
  /** Where Up and Down are in `#lines`; its length when at the draft. */
  #at = 0;
  /** What was typed before Up was first pressed. */
  #draft = "";

  /**
   * Keeps a line that was sent (unless blank or secret) and goes back to the draft.
   *
   * @param {string} line
   */
  remember(line) {
    if (line.trim() !== "" && !SECRET.test(line)) {
      this.#lines.push(line);
      if (this.#lines.length > MAX_SENT_LINES) this.#lines.shift();
    }
    this.#at = this.#lines.length;
  }

  /**
   * Steps back (Up) or forward (Down).
   *
   * @param {"up" | "down"} direction
   * @param {string} typed What the input holds now: the draft, if this is the first step back.
   * @returns {string | undefined} What the input should hold, or undefined at either end.
   *
   * @example Up brings back the last line, Down the draft
   * ```ts
   * import { SentLines } from "./sent_lines.js";
   * import assert from "node:assert/strict";
   *
   * const sent = new SentLines();
   * sent.remember("hello");
   * sent.remember("/register hunter2");
   * sent.remember("bye");
   * assert.equal(sent.step("up", "half-typed"), "bye");
   * assert.equal(sent.step("up", "bye"), "hello"); // never the password
   * assert.equal(sent.step("up", "hello"), undefined); // the oldest
   * assert.equal(sent.step("down", "hello"), "bye");
   * assert.equal(sent.step("down", "bye"), "half-typed");
   * assert.equal(sent.step("down", "half-typed"), undefined);
   * ```
   */
  step(direction, typed) {
    const next = Math.min(
      Math.max(this.#at + (direction === "up" ? -1 : 1), 0),
      this.#lines.length,
    );
    if (next === this.#at) return undefined;
    if (this.#at === this.#lines.length) this.#draft = typed;
    this.#at = next;
    return this.#lines[next] ?? this.#draft;
  }
}
