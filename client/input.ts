/**
 * What the user types, turned into what the client does.
 *
 * Plain text is a chat message (the client adds the `*`). A line starting
 * with `/` is a command: `/quit [reason]` and `/help` are the client's own;
 * any other `/word args` is passed to the server as the special command
 * `WORD args`, so server commands work as soon as a server has them. `//`
 * escapes a leading slash: `//shrug` sends the message `/shrug`.
 *
 * @module
 */

import { asciiUpperCase, COMMANDS, commandUsage } from "../protocol/commands.ts";

/** The client's answer to one typed line. */
export type InputAction =
  /**
   * Send this protocol line to the server; `message` or `action` is what to
   * show locally, since the server does not echo.
   */
  | {
    readonly kind: "send";
    readonly line: string;
    readonly message?: string;
    readonly action?: string;
  }
  /** Leave: send `QUIT` (with the reason, if any) and exit. */
  | { readonly kind: "quit"; readonly line: string }
  /** Show the client's help. */
  | { readonly kind: "help" }
  /** Nothing to do (an empty line). */
  | { readonly kind: "nothing" }
  /** Tell the user their input was not understood. */
  | { readonly kind: "invalid"; readonly reason: string };

/** What the client adds to a server command's summary in `/help`. */
const CLIENT_NOTES: Readonly<Record<string, string>> = {
  HELP: "show this help",
  QUIT: "leave (also Ctrl-D, Ctrl-C)",
};

/**
 * The help text for `/help`: the server's commands from the protocol's
 * command table, written as the client takes them, and the client's own.
 */
export const INPUT_HELP: readonly string[] = [
  `${"text".padEnd(17)}send a message to everyone`,
  ...COMMANDS.filter((spec) => spec.word !== "*").map((spec) =>
    `${("/" + commandUsage(spec).toLowerCase()).padEnd(17)}${
      CLIENT_NOTES[spec.word] ?? spec.summary
    }`
  ),
  `${"//text".padEnd(17)}send a message that starts with /`,
  `${"/word args".padEnd(17)}any other server command WORD args`,
  "Tab completes names; Up and Down recall earlier lines.",
];

/**
 * Interprets one typed line.
 *
 * @param input The line as typed, without its line ending.
 * @returns What to do with it.
 *
 * @example
 * ```ts
 * import { parseInput } from "./input.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseInput("hi all"), { kind: "send", line: "*hi all", message: "hi all" });
 * assert.deepEqual(parseInput("/who"), { kind: "send", line: "WHO" });
 * ```
 */
export function parseInput(input: string): InputAction {
  if (input.trim() === "") return { kind: "nothing" };
  if (!input.startsWith("/") || input.startsWith("//")) {
    const message = input.startsWith("//") ? input.slice(1) : input;
    return { kind: "send", line: `*${message}`, message };
  }
  const space = input.search(/[ \t]/);
  const word = asciiUpperCase(space === -1 ? input.slice(1) : input.slice(1, space));
  const rest = space === -1 ? "" : input.slice(space + 1).trim();
  if (word === "") return { kind: "invalid", reason: "Type a command after the /, or /help" };
  if (word === "HELP") return { kind: "help" };
  const line = rest === "" ? word : `${word} ${rest}`;
  if (word === "QUIT") return { kind: "quit", line };
  if (word === "ME" && rest !== "") return { kind: "send", line, action: rest };
  return { kind: "send", line };
}
