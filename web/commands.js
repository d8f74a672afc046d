/**
 * What the page sends for what its user types, and the small rules around it
 * (reconnect delays, protocol times, mentions): pure functions, no DOM and no
 * socket, so they run under `deno test` as they run in the browser.
 *
 * A line typed in the input becomes one line of the line protocol
 * (PROTOCOL.md): `/word args` becomes `WORD args`, so every server command
 * works; plain text goes to the conversation shown, `SAY #room text` in a
 * room (whatever the server takes as the current room) or `MSG name text` in
 * a private conversation.
 *
 * @module
 */

/** The longest line the server takes, in UTF-8 bytes (its `--max-line` default). */
export const MAX_LINE_BYTES = 4096;

/** The first delay before reconnecting, in milliseconds. */
export const FIRST_RECONNECT_MS = 1_000;

/** The longest delay between two reconnect attempts, in milliseconds. */
export const MAX_RECONNECT_MS = 30_000;

/**
 * Where typed text goes: a room, or a private conversation with one user.
 *
 * @typedef {{ kind: "room" | "private", name: string }} Target
 */

/**
 * What a typed line asks for.
 *
 * - `say`, `action`: a message or `/me` in `room`, shown at once as the
 *   user's own (the server never echoes them);
 * - `private`: a private message to `peer` (the server's confirmation shows it);
 * - `quit`: the user leaves, and the page must not reconnect;
 * - `command`: anything else, answered by the server;
 * - `none`: nothing to send (an empty line);
 * - `refused`: nothing sent, `error` says why.
 *
 * `password` is a password the line sets (`/register`, `/password`), for the
 * page to log in with when it reconnects once the server confirms it.
 *
 * @typedef {object} Outgoing
 * @property {"say" | "action" | "private" | "quit" | "command" | "none" | "refused"} kind
 * @property {string[]} lines The protocol lines to send, in order.
 * @property {string} [room] For `say` and `action`: the room.
 * @property {string} [peer] For `private`: who it goes to.
 * @property {string} [text] For `say`, `action` and `private`: the text.
 * @property {string} [password] A password to remember once the server confirms it.
 * @property {string} [error] For `refused`: why.
 */

const encoder = new TextEncoder();

/**
 * Turns a typed line into what to send.
 *
 * @param {string} input What the user typed.
 * @param {Target} target The conversation shown.
 * @returns {Outgoing} What to send and show.
 *
 * @example Plain text goes to the room shown
 * ```ts
 * import { parseInput } from "./commands.js";
 * import assert from "node:assert/strict";
 *
 * const outgoing = parseInput("hello", { kind: "room", name: "#rust" });
 * assert.deepEqual(outgoing.lines, ["SAY #rust hello"]);
 * ```
 */
export function parseInput(input, target) {
  const outgoing = toOutgoing(input, target);
  const tooLong = outgoing.lines.find((line) => encoder.encode(line).length > MAX_LINE_BYTES);
  if (tooLong === undefined) return outgoing;
  return {
    kind: "refused",
    lines: [],
    error: `That line is too long to send (at most ${MAX_LINE_BYTES} bytes); shorten it`,
  };
}

/**
 * @param {string} input
 * @param {Target} target
 * @returns {Outgoing}
 */
function toOutgoing(input, target) {
  if (input.trim() === "") return { kind: "none", lines: [] };
  if (!input.startsWith("/") || input.startsWith("//")) {
    const text = input.startsWith("//") ? input.slice(1) : input;
    return target.kind === "room"
      ? { kind: "say", lines: [`SAY ${target.name} ${text}`], room: target.name, text }
      : { kind: "private", lines: [`MSG ${target.name} ${text}`], peer: target.name, text };
  }
  const match = input.match(/^\/(\S+)\s*(.*)$/s);
  const word = (match?.[1] ?? "").replace(/[A-Z]/g, (letter) => letter.toLowerCase());
  const args = (match?.[2] ?? "").trim();
  const line = (name, rest = args) => (rest === "" ? name : `${name} ${rest}`);
  switch (word) {
    case "me":
      if (target.kind !== "room") {
        return { kind: "refused", lines: [], error: "/me works in rooms, not in private" };
      }
      if (args === "") return { kind: "command", lines: ["ME"] };
      return { kind: "action", lines: [line("ME")], room: target.name, text: args };
    case "msg": {
      const [peer = "", text = ""] = splitFirst(args);
      if (peer === "" || text === "") return { kind: "command", lines: [line("MSG")] };
      return { kind: "private", lines: [line("MSG")], peer, text };
    }
    case "say": {
      const [room = "", text = ""] = splitFirst(args);
      if (room === "" || text === "") return { kind: "command", lines: [line("SAY")] };
      const name = withHash(room);
      return { kind: "say", lines: [`SAY ${name} ${text}`], room: name, text };
    }
    case "join":
    case "switch":
      return { kind: "command", lines: [line(word.toUpperCase(), withHash(args))] };
    case "quit":
      return { kind: "quit", lines: [line("QUIT")] };
    case "register":
      return args.startsWith("#") || args === ""
        ? { kind: "command", lines: [line("REGISTER")] }
        : { kind: "command", lines: [line("REGISTER")], password: args };
    case "password": {
      const [, password = ""] = splitFirst(args);
      return password === ""
        ? { kind: "command", lines: [line("PASSWORD")] }
        : { kind: "command", lines: [line("PASSWORD")], password };
    }
    default:
      return { kind: "command", lines: [line(word.toUpperCase())] };
  }
}

/**
 * Splits at the first run of spaces.
 *
 * @param {string} text
 * @returns {[string, string]}
 */
function splitFirst(text) {
  const match = text.match(/^(\S+)\s+(.*)$/s);
  return match ? [match[1] ?? "", match[2] ?? ""] : [text, ""];
}

/**
 * Adds the `#` a room name needs when it was left out (`/join rust`).
 *
 * @param {string} room
 * @returns {string}
 */
function withHash(room) {
  return room === "" || room.startsWith("#") ? room : `#${room}`;
}

/**
 * How long to wait before the next reconnect attempt: 1 s doubling up to
 * 30 s, jittered down by up to half so that pages cut off together do not
 * all come back in the same instant.
 *
 * @param {number} attempt How many attempts failed since the last success (0 first).
 * @param {() => number} [random] A source of numbers in [0, 1).
 * @returns {number} Milliseconds.
 *
 * @example
 * ```ts
 * import { reconnectDelay } from "./commands.js";
 * import assert from "node:assert/strict";
 *
 * assert.equal(reconnectDelay(0, () => 0.999999), 999.9995);
 * assert.equal(reconnectDelay(10, () => 0), 15_000);
 * ```
 */
export function reconnectDelay(attempt, random = Math.random) {
  const full = Math.min(FIRST_RECONNECT_MS * 2 ** attempt, MAX_RECONNECT_MS);
  return full / 2 + (full / 2) * random();
}

/**
 * A time as the protocol writes it: UTC, to the second.
 *
 * @param {number} time Milliseconds since the epoch.
 * @returns {string} Such as `2026-12-02T08:00:00Z`.
 *
 * @example
 * ```ts
 * import { utcTime } from "./commands.js";
 * import assert from "node:assert/strict";
 *
 * assert.equal(utcTime(Date.UTC(2026, 11, 2, 8, 0, 0, 500)), "2026-12-02T08:00:00Z");
 * ```
 */
export function utcTime(time) {
  return `${new Date(time).toISOString().slice(0, 19)}Z`;
}

/**
 * A time as the protocol writes it (UTC, to the second), rounded up to the
 * next whole second so that `HISTORY … before` it includes the second of
 * `time` itself: the page drops what it has by id.
 *
 * @param {number} time Milliseconds since the epoch.
 * @returns {string} Such as `2026-12-02T08:00:01Z`.
 *
 * @example
 * ```ts
 * import { utcTimeAfter } from "./commands.js";
 * import assert from "node:assert/strict";
 *
 * assert.equal(utcTimeAfter(Date.UTC(2026, 11, 2, 8, 0, 0, 500)), "2026-12-02T08:00:01Z");
 * assert.equal(utcTimeAfter(Date.UTC(2026, 11, 2, 8, 0, 0, 0)), "2026-12-02T08:00:00Z");
 * ```
 */
export function utcTimeAfter(time) {
  return utcTime(Math.ceil(time / 1000) * 1000);
}

/**
 * Whether a text names a user: the name as a whole word, in any case
 * (`hello @alice`, `Alice?`, not `alicent`).
 *
 * @param {string} text The message.
 * @param {string} name The user's name.
 * @returns {boolean}
 *
 * @example
 * ```ts
 * import { mentions } from "./commands.js";
 * import assert from "node:assert/strict";
 *
 * assert.ok(mentions("hi @Alice!", "alice"));
 * assert.ok(!mentions("alicent", "alice"));
 * ```
 */
export function mentions(text, name) {
  if (name === "") return false;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, "iu").test(text);
}
