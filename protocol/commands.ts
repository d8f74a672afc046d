/**
 * Parses what a logged-in client sends: one line, one command.
 *
 * A line starting with `*` is a chat message (the seed protocol). An empty
 * line is ignored. Anything else is a special command: a command word,
 * matched case-insensitively (ASCII only), then its arguments after the
 * first space.
 *
 * @module
 */

/** A client line, understood. */
export type Command =
  /** `*text`: a public chat message. */
  | { readonly kind: "message"; readonly text: string }
  /** `QUIT [reason]`: the client is leaving. */
  | { readonly kind: "quit"; readonly reason: string }
  /** `WHO`: list the users online. */
  | { readonly kind: "who" }
  /** `MSG name text`: a private message to one user. */
  | { readonly kind: "msg"; readonly target: string; readonly text: string }
  /** `NICK name`: change one's name. */
  | { readonly kind: "nick"; readonly name: string }
  /** `ME text`: an action, shown as `* name text`. */
  | { readonly kind: "me"; readonly text: string }
  /** `PING [token]`: ask for `PONG [token]`. */
  | { readonly kind: "ping"; readonly token: string }
  /** `HELP`: list the commands. */
  | { readonly kind: "help" }
  /** An empty line, or a `*` with nothing after it: nothing to do. */
  | { readonly kind: "nothing" }
  /** A known command with the wrong arguments. */
  | { readonly kind: "usage"; readonly usage: string }
  /** A command word the server does not know. */
  | { readonly kind: "unknown"; readonly word: string };

/** One line of help per command, in the order `HELP` lists them. */
export const COMMAND_HELP: readonly { usage: string; summary: string }[] = [
  { usage: "*text", summary: "say text to everyone else" },
  { usage: "ME text", summary: "act: everyone else sees * yourname text" },
  { usage: "MSG name text", summary: "send text to one user only" },
  { usage: "NICK name", summary: "change your name" },
  { usage: "WHO", summary: "list the users online" },
  { usage: "PING [token]", summary: "the server answers PONG [token]" },
  { usage: "HELP", summary: "this list" },
  { usage: "QUIT [reason]", summary: "leave" },
];

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
 * assert.deepEqual(parseCommand("msg bob hi there"), { kind: "msg", target: "bob", text: "hi there" });
 * ```
 */
export function parseCommand(line: string): Command {
  if (line.startsWith("*")) {
    return line.length === 1 ? NOTHING : { kind: "message", text: line.slice(1) };
  }
  if (line.length === 0) return NOTHING;
  const space = line.indexOf(" ");
  const rawWord = space === -1 ? line : line.slice(0, space);
  const rest = space === -1 ? "" : line.slice(space + 1).trim();
  switch (asciiUpperCase(rawWord)) {
    case "QUIT":
      return { kind: "quit", reason: rest };
    case "WHO":
      return { kind: "who" };
    case "HELP":
      return { kind: "help" };
    case "PING":
      return { kind: "ping", token: rest };
    case "ME":
      return rest === "" ? usage("ME") : { kind: "me", text: rest };
    case "NICK":
      return rest === "" || rest.includes(" ") ? usage("NICK") : { kind: "nick", name: rest };
    case "MSG": {
      const gap = rest.indexOf(" ");
      if (gap === -1) return usage("MSG");
      return { kind: "msg", target: rest.slice(0, gap), text: rest.slice(gap + 1).trimStart() };
    }
    default:
      return { kind: "unknown", word: rawWord };
  }
}

function usage(word: string): Command {
  const entry = COMMAND_HELP.find((help) => help.usage.startsWith(word + " "));
  return { kind: "usage", usage: entry?.usage ?? word };
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
