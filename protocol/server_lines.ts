/**
 * Reads the lines a server sends: the one parser behind everything a client
 * (or the load tester) needs to know about them. The formats are written
 * by `replies.ts` and described in PROTOCOL.md.
 *
 * @module
 */

/** A server line, understood. */
export type ServerLine =
  /** `[name]: text` */
  | { readonly kind: "chat"; readonly name: string; readonly text: string }
  /** `* name text` */
  | { readonly kind: "action"; readonly name: string; readonly text: string }
  /** `PRIVATE [name]: text`: a private message from name. */
  | { readonly kind: "private"; readonly name: string; readonly text: string }
  /** `SENT [name]: text`: your private message to name was delivered. */
  | { readonly kind: "sent"; readonly name: string; readonly text: string }
  /** `WHO count: names…` */
  | { readonly kind: "who"; readonly count: number; readonly names: readonly string[] }
  /** `PONG [token]` */
  | { readonly kind: "pong"; readonly token: string }
  /** `HISTORY time line`: a public line replayed; `time` as sent, unchecked. */
  | { readonly kind: "history"; readonly time: string; readonly line: ServerLine }
  /** `ERROR code: text` */
  | { readonly kind: "error"; readonly code: string; readonly text: string }
  /** `NOTICE code: text` */
  | { readonly kind: "notice"; readonly code: string; readonly text: string }
  /** Anything else, such as a line from another kind of server. */
  | { readonly kind: "other"; readonly text: string };

const CHAT = /^\[([^\]]*)\]: (.*)$/s;
const ACTION = /^\* (\S+) (.*)$/s;
const DIRECT = /^(PRIVATE|SENT) \[([^\]]*)\]: (.*)$/s;
const WHO = /^WHO (\d+): (.*)$/s;
const PONG = /^PONG(?: (.*))?$/s;
const HISTORY = /^HISTORY (\S+) (.*)$/s;
const TAGGED = /^(ERROR|NOTICE) ([a-z-]+): (.*)$/s;

/**
 * Parses one line from a server.
 *
 * @param line The line, without its LF.
 * @returns What kind of line it is, with its parts.
 *
 * @example
 * ```ts
 * import { parseServerLine } from "./server_lines.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseServerLine("[alice]: hi"), { kind: "chat", name: "alice", text: "hi" });
 * assert.deepEqual(parseServerLine("ERROR flood: slow down"), {
 *   kind: "error",
 *   code: "flood",
 *   text: "slow down",
 * });
 * ```
 */
export function parseServerLine(line: string): ServerLine {
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
    return { kind: "history", time: match[1]!, line: parseServerLine(match[2]!) };
  }
  if ((match = line.match(TAGGED))) {
    const kind = match[1] === "ERROR" ? "error" : "notice";
    return { kind, code: match[2]!, text: match[3]! };
  }
  return { kind: "other", text: line };
}
