/**
 * Reads the lines a server sends: the one parser behind everything a client
 * (or the load tester) needs to know about them. The formats are written
 * by `replies.ts` and described in PROTOCOL.md.
 *
 * A line about a room other than the default one starts with the room's
 * name and a space (`#rust [bob]: hi`); its parse carries that `room`. A
 * line without the prefix parses exactly as before rooms existed, with no
 * `room` at all: a name never starts with `#`, so the prefix is never
 * ambiguous.
 *
 * @module
 */

/** A server line, understood. */
export type ServerLine =
  /** `[name]: text` */
  | { readonly kind: "chat"; readonly name: string; readonly text: string; readonly room?: string }
  /** `* name text` */
  | {
    readonly kind: "action";
    readonly name: string;
    readonly text: string;
    readonly room?: string;
  }
  /** `PRIVATE [name]: text`: a private message from name. */
  | { readonly kind: "private"; readonly name: string; readonly text: string }
  /** `SENT [name]: text`: your private message to name was delivered. */
  | { readonly kind: "sent"; readonly name: string; readonly text: string }
  /** `WHO count: names…` */
  | {
    readonly kind: "who";
    readonly count: number;
    readonly names: readonly string[];
    readonly room?: string;
  }
  /** `PONG [token]` */
  | { readonly kind: "pong"; readonly token: string }
  /** `HISTORY time line`: a public line replayed; `time` as sent, unchecked. */
  | {
    readonly kind: "history";
    readonly time: string;
    readonly line: ServerLine;
    readonly room?: string;
  }
  /** `TOPIC: text`: a room's topic, `""` when it has none. */
  | { readonly kind: "topic"; readonly text: string; readonly room?: string }
  /** `LIST #room count: topic`: one room of a LIST reply (`room` is the room listed). */
  | {
    readonly kind: "list";
    readonly room: string;
    readonly count: number;
    readonly topic: string;
  }
  /** `LIST END: count rooms`: the end of a LIST reply. */
  | { readonly kind: "list-end"; readonly count: number }
  /** `ERROR code: text` */
  | { readonly kind: "error"; readonly code: string; readonly text: string }
  /** `NOTICE code: text` */
  | {
    readonly kind: "notice";
    readonly code: string;
    readonly text: string;
    readonly room?: string;
  }
  /** Anything else, such as a line from another kind of server. */
  | { readonly kind: "other"; readonly text: string };

/** The kinds of line that may be about a room, and so may carry a room prefix. */
const ROOM_KINDS: ReadonlySet<ServerLine["kind"]> = new Set([
  "chat",
  "action",
  "who",
  "history",
  "topic",
  "notice",
]);

/**
 * Notices without a prefix that are about the server or the user rather
 * than the default room: they belong to no room.
 */
const ROOMLESS_NOTICES: ReadonlySet<string> = new Set(["welcome", "help", "shutdown", "current"]);

// `#` then 1 to 32 letters, digits, `_`, `-` or `.`; marks are let through
// for scripts whose letters need them.
const ROOM_NAME = String.raw`#[\p{L}\p{M}\p{N}_.\-]{1,32}`;
const ROOM_PREFIX = new RegExp(`^(${ROOM_NAME}) `, "su");
const ROOM_IN_TEXT = new RegExp(`${ROOM_NAME}(?![\\p{L}\\p{M}\\p{N}_.\\-])`, "u");

const CHAT = /^\[([^\]]*)\]: (.*)$/s;
const ACTION = /^\* (\S+) (.*)$/s;
const DIRECT = /^(PRIVATE|SENT) \[([^\]]*)\]: (.*)$/s;
const WHO = /^WHO (\d+): (.*)$/s;
const PONG = /^PONG(?: (.*))?$/s;
const HISTORY = /^HISTORY (\S+) (.*)$/s;
const TOPIC = /^TOPIC:(?: (.*))?$/s;
const LIST = new RegExp(`^LIST (${ROOM_NAME}) (\\d+):(?: (.*))?$`, "su");
const LIST_END = /^LIST END: (\d+) rooms?$/;
const TAGGED = /^(ERROR|NOTICE) ([a-z-]+): (.*)$/s;

/**
 * Parses one line from a server.
 *
 * @param line The line, without its LF.
 * @returns What kind of line it is, with its parts; with `room` when the
 * line starts with a room's name.
 *
 * @example
 * ```ts
 * import { parseServerLine } from "./server_lines.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseServerLine("[alice]: hi"), { kind: "chat", name: "alice", text: "hi" });
 * assert.deepEqual(parseServerLine("#rust [bob]: hi"), {
 *   kind: "chat",
 *   name: "bob",
 *   text: "hi",
 *   room: "#rust",
 * });
 * assert.deepEqual(parseServerLine("ERROR flood: slow down"), {
 *   kind: "error",
 *   code: "flood",
 *   text: "slow down",
 * });
 * ```
 */
export function parseServerLine(line: string): ServerLine {
  const prefix = line.match(ROOM_PREFIX);
  if (prefix === null) return parseUnprefixed(line);
  const room = prefix[1]!;
  const parsed = parseUnprefixed(line.slice(room.length + 1));
  // Only lines about a room may carry one; `#rust PRIVATE …` is no line of ours.
  return ROOM_KINDS.has(parsed.kind) ? { ...parsed, room } as ServerLine : otherLine(line);
}

function parseUnprefixed(line: string): ServerLine {
  let match: RegExpMatchArray | null;
  if ((match = line.match(CHAT))) return { kind: "chat", name: match[1]!, text: match[2]! };
  if ((match = line.match(ACTION))) return { kind: "action", name: match[1]!, text: match[2]! };
  if ((match = line.match(DIRECT))) {
    const kind = match[1] === "PRIVATE" ? "private" : "sent";
    return { kind, name: match[2]!, text: match[3]! };
  }
  if ((match = line.match(WHO))) {
    return { kind: "who", count: Number(match[1]), names: match[2]!.split(" ").filter(Boolean) };
  }
  if ((match = line.match(PONG))) return { kind: "pong", token: match[1] ?? "" };
  if ((match = line.match(HISTORY))) {
    // The room, if any, comes before HISTORY, never inside it.
    const replayed = ROOM_PREFIX.test(match[2]!)
      ? otherLine(match[2]!)
      : parseUnprefixed(match[2]!);
    return { kind: "history", time: match[1]!, line: replayed };
  }
  if ((match = line.match(TOPIC))) return { kind: "topic", text: match[1] ?? "" };
  if ((match = line.match(LIST))) {
    return { kind: "list", room: match[1]!, count: Number(match[2]), topic: match[3] ?? "" };
  }
  if ((match = line.match(LIST_END))) return { kind: "list-end", count: Number(match[1]) };
  if ((match = line.match(TAGGED))) {
    const kind = match[1] === "ERROR" ? "error" : "notice";
    return { kind, code: match[2]!, text: match[3]! };
  }
  return otherLine(line);
}

function otherLine(text: string): ServerLine {
  return { kind: "other", text };
}

/**
 * Which room a parsed line is about.
 *
 * @param line A parsed line.
 * @returns The room of a prefixed line; `""` for a line of the default
 * room, which has no prefix; `undefined` for a line about no room: private
 * messages, errors, `PONG`, `LIST` replies, and the notices about the server
 * or the user (`welcome`, `help`, `shutdown`, `current`).
 *
 * @example
 * ```ts
 * import { parseServerLine, roomOf } from "./server_lines.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(roomOf(parseServerLine("#rust NOTICE join: bob joined")), "#rust");
 * assert.equal(roomOf(parseServerLine("[carol]: lunch?")), "");
 * assert.equal(roomOf(parseServerLine("NOTICE current: #rust is your current room")), undefined);
 * ```
 */
export function roomOf(line: ServerLine): string | undefined {
  if (!ROOM_KINDS.has(line.kind)) return undefined;
  const { room } = line as { room?: string };
  if (room !== undefined) return room;
  return line.kind === "notice" && ROOMLESS_NOTICES.has(line.code) ? undefined : "";
}

/**
 * The first room name in a notice's text, such as `#rust` in
 * `#rust is your current room` or `You joined #rust: 3 users`.
 *
 * @param text A notice's text.
 * @returns The room name, or `undefined` if the text names none.
 */
export function roomInText(text: string): string | undefined {
  return text.match(ROOM_IN_TEXT)?.[0];
}
