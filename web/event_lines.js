/**
 * How the web page shows a chat event: its CSS class and its parts (the
 * name, separators, the text), each shown as its own span. Pure, no DOM,
 * so it runs under `deno test` as it runs in the browser.
 *
 * @module
 */

/**
 * Whether two names are the same person's (names differ only in case).
 *
 * @param {string} a
 * @param {string} b
 * @returns {boolean}
 */
export function sameName(a, b) {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * What a chat event shows: its class and its parts (name, text).
 *
 * @param {string} kind
 * @param {string} from
 * @param {string} to
 * @param {string} body
 * @param {string} me The user's own name: a private message reads from their side.
 * @returns {{ className: string, parts: [string, string][] } | undefined} Undefined for a kind it does not know.
 *
 * @example A private message, from either side
 * ```ts
 * import { eventLine } from "./event_lines.js";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(eventLine("private", "bob", "alice", "hi", "alice")?.parts, [
 *   ["from", "bob"],
 *   ["sep", " → you: "],
 *   ["text", "hi"],
 * ]);
 * assert.deepEqual(eventLine("private", "Alice", "bob", "hi", "alice")?.parts, [
 *   ["sep", "you → "],
 *   ["from", "bob"],
 *   ["sep", ": "],
 *   ["text", "hi"],
 * ]);
 * ```
 */
export function eventLine(kind, from, to, body, me) {
  const reason = body === "" ? "" : ` (${body})`;
  switch (kind) {
    case "message":
      return { className: "message", parts: [["from", from], ["sep", ": "], ["text", body]] };
    case "action":
      return { className: "action", parts: [["sep", "* "], ["from", from], ["text", ` ${body}`]] };
    case "private":
      return {
        className: "private",
        parts: sameName(from, me)
          ? [["sep", "you → "], ["from", to], ["sep", ": "], ["text", body]]
          : [["from", from], ["sep", " → you: "], ["text", body]],
      };
    case "join":
      return { className: "presence", parts: [["text", `${from} joined`]] };
    case "part":
      return { className: "presence", parts: [["text", `${from} left${reason}`]] };
    case "quit":
      return { className: "presence", parts: [["text", `${from} left${reason}`]] };
    case "disconnect":
      return { className: "presence", parts: [["text", `${from} was disconnected${reason}`]] };
    case "nick":
      return { className: "presence", parts: [["text", `${from} is now ${to}`]] };
    case "topic":
      return {
        className: "notice",
        parts: [[
          "text",
          body === "" ? `${from} cleared the topic` : `${from} set the topic: ${body}`,
        ]],
      };
    case "kick":
      return { className: "kick", parts: [["text", `${to} was kicked by ${from}${reason}`]] };
  }
  return undefined;
}
