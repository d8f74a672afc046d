/**
 * What the user types, turned into what the client does.
 *
 * Plain text is a chat message (the client adds the `*`). A line starting
 * with `/` is a command: `/quit [reason]` and `/help` are the client's own;
 * any other `/word args` is passed to the server as the special command
 * `WORD args`, so server commands work as soon as a server has them. `//`
 * escapes a leading slash: `//shrug` sends the message `/shrug`.
 *
 * Room commands are passed on too; the client adds the `#` a room name
 * needs where only a room can follow (`/join rust` is `JOIN #rust`), and
 * shows what `/say` sends, as it shows plain messages.
 *
 * @module
 */

import { asciiUpperCase, COMMANDS, commandUsage } from "../protocol/commands.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../protocol/line_splitter.ts";
import type { BellMode } from "./mentions.ts";

const encoder = new TextEncoder();

/** The client's answer to one typed line. */
export type InputAction =
  /**
   * Send this protocol line to the server; `message` or `action` is what to
   * show locally, since the server does not echo. A `message` goes to the
   * current room, or to `room` when given (`/say`).
   */
  | {
    readonly kind: "send";
    readonly line: string;
    readonly message?: string;
    readonly action?: string;
    readonly room?: string;
  }
  /** Leave: send `QUIT` (with the reason, if any) and exit. */
  | { readonly kind: "quit"; readonly line: string }
  /** Show the client's help. */
  | { readonly kind: "help" }
  /** Set when the bell rings, or show it when `mode` is absent. */
  | { readonly kind: "bell"; readonly mode?: BellMode }
  /** Nothing to do (an empty line). */
  | { readonly kind: "nothing" }
  /**
   * Tell the user their input was not understood, or cannot be sent; `keep`:
   * put it back in the input to be edited.
   */
  | { readonly kind: "invalid"; readonly reason: string; readonly keep?: boolean };

/** What the client adds to a server command's summary in `/help`. */
const CLIENT_NOTES: Readonly<Record<string, string>> = {
  HELP: "show this help",
  QUIT: "leave (also Ctrl-D, Ctrl-C)",
  SWITCH: "make a room you are in current (also Alt-1…Alt-9, Ctrl-N, Ctrl-P)",
};

/** The commands after which only a room can come, whose `#` the client adds. */
const ROOM_FIRST = new Set(["JOIN", "SWITCH", "SAY"]);

/** The server's commands as the client takes them, with what each does. */
const COMMAND_HELP: readonly (readonly [usage: string, summary: string])[] = COMMANDS
  .filter((spec) => spec.word !== "*")
  .map((spec) => ["/" + commandUsage(spec).toLowerCase(), CLIENT_NOTES[spec.word] ?? spec.summary]);

/** The usage column, wide enough for the longest usage and two spaces. */
const USAGE_WIDTH = Math.max(...COMMAND_HELP.map(([usage]) => usage.length)) + 2;

/**
 * The help text for `/help`: the server's commands from the protocol's
 * command table, written as the client takes them, and the client's own.
 */
export const INPUT_HELP: readonly string[] = [
  `${"text".padEnd(USAGE_WIDTH)}send a message to your current room`,
  ...COMMAND_HELP.map(([usage, summary]) => `${usage.padEnd(USAGE_WIDTH)}${summary}`),
  `${"//text".padEnd(USAGE_WIDTH)}send a message that starts with /`,
  `${
    "/bell on|off|mentions".padEnd(USAGE_WIDTH)
  }ring for every message, never, or (the default) when you are named or sent a private message`,
  `${"/word args".padEnd(USAGE_WIDTH)}any other server command WORD args`,
  "The prompt shows your current room, then other rooms with unread messages: #lobby [#rust 3]>",
  "Lines from a room other than the current one start with it: [#rust] bob: hi",
  "Alt-1…Alt-9 switch to the 1st…9th room you joined, Ctrl-N and Ctrl-P to the next and previous",
  "Tab completes names, and room names after #; Up and Down recall earlier lines.",
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
  const action = interpret(input);
  if (action.kind !== "send" && action.kind !== "quit") return action;
  // The server would refuse it and say only that a line was too long.
  const bytes = encoder.encode(action.line).length;
  if (bytes <= DEFAULT_MAX_LINE_BYTES) return action;
  return {
    kind: "invalid",
    reason:
      `Not sent: ${bytes} bytes, over the server's limit of ${DEFAULT_MAX_LINE_BYTES}; shorten it`,
    keep: true,
  };
}

function interpret(input: string): InputAction {
  if (!input.startsWith("/") || input.startsWith("//")) {
    const message = input.startsWith("//") ? input.slice(1) : input;
    return { kind: "send", line: `*${message}`, message };
  }
  const space = input.search(/[ \t]/);
  const word = asciiUpperCase(space === -1 ? input.slice(1) : input.slice(1, space));
  const rest = space === -1 ? "" : input.slice(space + 1).trim();
  if (word === "") return { kind: "invalid", reason: "Type a command after the /, or /help" };
  if (word === "HELP") return { kind: "help" };
  if (word === "BELL") {
    if (rest === "") return { kind: "bell" };
    const mode = rest.toLowerCase();
    if (mode === "on" || mode === "off" || mode === "mentions") return { kind: "bell", mode };
    return { kind: "invalid", reason: "Usage: /bell on|off|mentions" };
  }
  const args = ROOM_FIRST.has(word) && rest !== "" && !rest.startsWith("#") ? `#${rest}` : rest;
  const line = args === "" ? word : `${word} ${args}`;
  if (word === "QUIT") return { kind: "quit", line };
  if (word === "ME" && args !== "") return { kind: "send", line, action: args };
  if (word === "SAY") {
    const gap = args.indexOf(" ");
    const text = gap === -1 ? "" : args.slice(gap + 1).trimStart();
    if (text !== "") return { kind: "send", line, message: text, room: args.slice(0, gap) };
  }
  return { kind: "send", line };
}

/** The words of every `/command` the client takes, in lower case. */
const CLIENT_COMMANDS: readonly string[] = [
  ...COMMANDS.filter((spec) => spec.word !== "*").map((spec) => spec.word.toLowerCase()),
  "bell",
];

/**
 * The command a mistyped one most likely meant: the one that starts with it
 * or is fewest edits away (one for a word of up to four letters, else two).
 *
 * @param word The word as typed, without the `/`.
 * @returns The command's word in lower case, or `undefined` if none is close.
 *
 * @example
 * ```ts
 * import { closestCommand } from "./input.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(closestCommand("mgs"), "msg");
 * assert.equal(closestCommand("top"), "topic");
 * assert.equal(closestCommand("away"), undefined);
 * ```
 */
export function closestCommand(word: string): string | undefined {
  const typed = word.toLowerCase();
  if (typed === "") return undefined;
  const prefixed = CLIENT_COMMANDS.find((command) => command.startsWith(typed));
  if (prefixed !== undefined) return prefixed;
  let best: string | undefined;
  let bestDistance = typed.length <= 4 ? 1 : 2;
  for (const command of CLIENT_COMMANDS) {
    const distance = editDistance(typed, command);
    if (distance <= bestDistance) [best, bestDistance] = [command, distance - 1];
  }
  return best;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** A key as `node:readline` reports it in a `keypress` event. */
export interface Keypress {
  readonly name?: string | undefined;
  readonly ctrl?: boolean | undefined;
  readonly meta?: boolean | undefined;
  readonly shift?: boolean | undefined;
}

/** Where a room key goes: the Nth room joined, or the next or previous one. */
export type RoomKey =
  | { readonly kind: "nth"; readonly position: number }
  | { readonly kind: "step"; readonly step: 1 | -1 };

/**
 * Whether a key switches rooms: Alt-1…Alt-9 (the terminal sends ESC and the
 * digit) go to the 1st…9th room joined, Ctrl-N and Ctrl-P to the next and
 * previous room.
 *
 * @param key The key, as readline decoded it.
 * @returns Where it goes, or `undefined` for any other key.
 *
 * @example
 * ```ts
 * import { roomKeyOf } from "./input.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(roomKeyOf({ name: "2", meta: true }), { kind: "nth", position: 2 });
 * assert.deepEqual(roomKeyOf({ name: "n", ctrl: true }), { kind: "step", step: 1 });
 * assert.equal(roomKeyOf({ name: "n" }), undefined);
 * ```
 */
export function roomKeyOf(key: Keypress | undefined): RoomKey | undefined {
  if (key === undefined || key.name === undefined) return undefined;
  if (key.meta && !key.ctrl && /^[1-9]$/.test(key.name)) {
    return { kind: "nth", position: Number(key.name) };
  }
  if (key.ctrl && !key.meta && !key.shift && (key.name === "n" || key.name === "p")) {
    return { kind: "step", step: key.name === "n" ? 1 : -1 };
  }
  return undefined;
}
