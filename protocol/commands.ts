/**
 * Parses what a logged-in client sends: one line, one command.
 *
 * A line starting with `*` is a chat message (the seed protocol). An empty
 * line is ignored. Anything else is a special command: a command word,
 * matched case-insensitively, and an argument text after the first space.
 *
 * @module
 */

/** A client line, understood. */
export type Command =
  /** `*text`: a public chat message. */
  | { readonly kind: "message"; readonly text: string }
  /** `QUIT [reason]`: the client is leaving. */
  | { readonly kind: "quit"; readonly reason: string }
  /** An empty line, or a `*` with nothing after it: nothing to do. */
  | { readonly kind: "nothing" }
  /** A command word the server does not know. */
  | { readonly kind: "unknown"; readonly word: string };

const NOTHING: Command = { kind: "nothing" };

/**
 * Parses one line from a logged-in client.
 *
 * @param line The line's text, decoded and sanitised, without its LF.
 * @returns The command it carries.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./commands.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCommand("*hello"), { kind: "message", text: "hello" });
 * assert.deepEqual(parseCommand("quit"), { kind: "quit", reason: "" });
 * ```
 */
export function parseCommand(line: string): Command {
  if (line.startsWith("*")) {
    return line.length === 1 ? NOTHING : { kind: "message", text: line.slice(1) };
  }
  if (line.length === 0) return NOTHING;
  const space = line.indexOf(" ");
  const word = asciiUpperCase(space === -1 ? line : line.slice(0, space));
  const argument = space === -1 ? "" : line.slice(space + 1).trim();
  switch (word) {
    case "QUIT":
      return { kind: "quit", reason: argument };
    default:
      return { kind: "unknown", word: space === -1 ? line : line.slice(0, space) };
  }
}

/**
 * Upper-cases ASCII letters only. Command words are ASCII: full Unicode
 * case mapping would let `quıt` (dotless i) mean `QUIT`.
 *
 * @param word A command word as sent.
 * @returns The word with a–z upper-cased and everything else unchanged.
 */
export function asciiUpperCase(word: string): string {
  return word.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}
