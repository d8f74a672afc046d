/**
 * How the terminal client shows what it receives and what it sends.
 *
 * A line from a room other than the current one starts with the room's tag,
 * `[#rust] bob: hi`, in its own colour (and readable without colour); the
 * current room's lines are not tagged, so a user of one room sees the chat
 * as before rooms. Lines about no room (private messages, errors, `LIST`)
 * are never tagged.
 *
 * Every server line is sanitised here, at the last step before the
 * terminal, whatever the server claims to have done: a hostile server must
 * not be able to drive the user's terminal, nor reorder what it shows with
 * bidi controls (see {@linkcode sanitizeForTerminal}). The only escape
 * sequences in the output are the client's own styles.
 *
 * @module
 */

import { parseServerLine, roomOf, type ServerLine } from "../protocol/server_lines.ts";
import { closestCommand } from "./input.ts";
import { sanitizeForTerminal } from "./terminal_text.ts";
import { nameKey } from "../protocol/username.ts";
import { DEFAULT_ROOM } from "../protocol/line_codec.ts";
import { roomKey } from "../protocol/room_name.ts";
import type { JoinedRoom, RoomView } from "./room_state.ts";
import type { NameColors } from "./name_colors.ts";
import { createStyle, NAME_COLOR_COUNT, type Style } from "./style.ts";

/** How lines are shown. */
export interface RenderOptions {
  /** Colours and bold, or plain text. */
  readonly style: Style;
  /**
   * Whether each line starts with the local time, `HH:MM` (history lines
   * always do, after {@linkcode HISTORY_MARK}).
   */
  readonly timestamps: boolean;
  /**
   * Each name's colour, in order of appearance.
   *
   * @default {a colour from each name's hash, {@linkcode nameColorIndex}}
   */
  readonly names?: NameColors;
}

/** Starts a history line, so it reads as one with or without colour: `~ 09:12 bob: hi`. */
export const HISTORY_MARK = "~ ";

const UTC_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** A user in the default room and nowhere else, as every user starts. */
const IN_DEFAULT_ROOM: RoomView = { current: DEFAULT_ROOM, defaultRoom: DEFAULT_ROOM };

/** How many rooms with unread messages the prompt names; the rest are counted. */
const MAX_PROMPT_ROOMS = 3;

/** The token of the client's own keepalive pings, whose PONGs are not shown. */
export const KEEPALIVE_TOKEN = "keepalive";

/**
 * Whether a server line only answers the client's keepalive ping, and so is
 * not shown.
 *
 * @param line A line as received.
 * @returns True for `PONG keepalive`.
 */
export function isKeepaliveReply(line: string): boolean {
  return line === `PONG ${KEEPALIVE_TOKEN}`;
}

/**
 * The colour a name always gets: the same for `Alice` and `alice`, and the
 * same in every session.
 *
 * @param name A username.
 * @returns An index below {@linkcode NAME_COLOR_COUNT}.
 */
export function nameColorIndex(name: string): number {
  // FNV-1a: tiny, stable across runs and platforms, spreads similar names.
  let hash = 0x811c9dc5;
  for (const char of nameKey(name)) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % NAME_COLOR_COUNT;
}

/**
 * Shows one line from the server.
 *
 * @param line The line as received, decoded but untrusted.
 * @param options Style and timestamps.
 * @param now The time to stamp it with.
 * @param rooms The current room, whose lines are not tagged, and the
 * default room's name; by default the user is in `#lobby`.
 * @returns The text to print, without a newline.
 */
export function renderServerLine(
  line: string,
  options: RenderOptions,
  now: Date,
  rooms: RoomView = IN_DEFAULT_ROOM,
): string {
  const parsed = inClientWords(parseServerLine(sanitizeForTerminal(line)));
  const tag = tagFor(parsed, rooms, options.style);
  if (parsed.kind === "history") {
    const time = UTC_TIME.test(parsed.time) ? new Date(parsed.time) : new Date(NaN);
    const when = Number.isNaN(time.getTime()) ? parsed.time : clock(time, false);
    const plain = { ...options, style: createStyle(false) };
    const { dim } = options.style;
    // Marked as well as dimmed: without colour, history would look like live
    // lines stamped with the time.
    return tag === ""
      ? dim(`${HISTORY_MARK}${when} ${renderBody(parsed.line, plain)}`)
      : `${dim(HISTORY_MARK + when)} ${tag}${dim(renderBody(parsed.line, plain))}`;
  }
  return stamp(tag + renderBody(parsed, options), options, now);
}

/**
 * The server's words for its commands (`HELP`, `MSG name text`) put as the
 * user types them in the client (`/help`, `/msg name text`), with a
 * suggestion for a command the server does not know.
 */
function inClientWords(line: ServerLine): ServerLine {
  if (line.kind === "notice" && line.code === "welcome") {
    return {
      ...line,
      text: line.text.replace(/\bType HELP for commands\b/, "Type /help for commands"),
    };
  }
  if (line.kind === "notice" && line.code === "registered") {
    return {
      ...line,
      text: line.text.replace(
        /; log in with its password$/,
        "; the client asks for it when you log in (or give --password-file)",
      ),
    };
  }
  if (line.kind !== "error") return line;
  if (line.code === "not-operator") {
    return {
      ...line,
      text: line.text.replace(
        /\bmay ([A-Z]+)\b/,
        (_, word: string) => `may /${word.toLowerCase()}`,
      ),
    };
  }
  const usage = line.text.match(/^Usage: ([A-Z]+)\b(.*)$/);
  if (line.code === "usage" && usage) {
    return { ...line, text: `Usage: /${usage[1]!.toLowerCase()}${usage[2]}` };
  }
  const unknown = line.text.match(/^Unknown command (\S+); type HELP for the list$/);
  if (line.code === "unknown-command" && unknown) {
    const word = unknown[1]!.toLowerCase();
    const closest = closestCommand(word);
    const guess = closest === undefined ? ";" : `; did you mean /${closest}?`;
    return { ...line, text: `Unknown command /${word}${guess} /help lists the commands` };
  }
  return {
    ...line,
    text: line.text.replace(
      /\b(JOIN|HELP) (one|for)\b/,
      (_, word, rest) => `/${word.toLowerCase()} ${rest}`,
    ),
  };
}

/** `[#room] ` for a line of a room other than the current one, else nothing. */
function tagFor(line: ServerLine, rooms: RoomView, style: Style): string {
  const room = roomOf(line);
  if (room === undefined) return "";
  const name = room === "" ? rooms.defaultRoom : room;
  const current = rooms.current;
  return current !== undefined && roomKey(current) === roomKey(name) ? "" : roomTag(name, style);
}

function roomTag(room: string, style: Style): string {
  return `${style.cyan(`[${sanitizeForTerminal(room)}]`)} `;
}

/** Renders a sanitised, parsed line without its timestamp. */
function renderBody(line: ServerLine, options: RenderOptions): string {
  const { style } = options;
  switch (line.kind) {
    case "chat":
      return `${coloredName(line.name, options)}: ${line.text}`;
    case "action":
      return `* ${coloredName(line.name, options)} ${line.text}`;
    case "private":
      return `${coloredName(line.name, options)} ${style.bold("→ you")}: ${line.text}`;
    case "sent":
      return `${style.bold("you →")} ${coloredName(line.name, options)}: ${line.text}`;
    case "who": {
      const users = line.count === 1 ? "1 user" : `${line.count} users`;
      return style.yellow(`-- ${users} online: ${line.names.join(", ")}`);
    }
    case "error":
      return style.red(`! ${line.text}`);
    case "notice":
      // Being removed, or removing someone, should not pass unnoticed among joins and parts.
      if (line.code === "kick") return style.bold(style.red(`-- ${line.text}`));
      if (line.code === "moderation") return style.bold(style.yellow(`-- ${line.text}`));
      return style.yellow(`-- ${line.text}`);
    case "topic":
      return style.yellow(line.text === "" ? "-- No topic" : `-- Topic: ${line.text}`);
    case "list": {
      const users = line.count === 1 ? "1 user" : `${line.count} users`;
      return style.yellow(
        `-- ${line.room} (${users})${line.topic === "" ? "" : `: ${line.topic}`}`,
      );
    }
    case "list-end":
      return style.yellow(`-- ${line.count === 1 ? "1 room" : `${line.count} rooms`}`);
    case "history":
      return renderBody(line.line, options);
    case "pong":
      return line.token === "" ? "PONG" : `PONG ${line.token}`;
    case "other":
      return line.text;
  }
}

/**
 * Shows a message the user sent (the server does not echo it).
 *
 * @param name The user's name.
 * @param text The message.
 * @param options Style and timestamps.
 * @param now The time to stamp it with.
 * @param room The room to tag it with, for a message to a room other than
 * the current one (`/say`); none for the current room.
 * @returns `name (you): text`, styled.
 */
export function renderOwnMessage(
  name: string,
  text: string,
  options: RenderOptions,
  now: Date,
  room?: string,
): string {
  const { style } = options;
  const tag = room === undefined ? "" : roomTag(room, style);
  return stamp(
    `${tag}${coloredName(name, options)} ${style.dim("(you)")}: ${sanitizeForTerminal(text)}`,
    options,
    now,
  );
}

/**
 * Shows an action the user sent with `/me`.
 *
 * @param name The user's name.
 * @param text The action.
 * @param options Style and timestamps.
 * @param now The time to stamp it with.
 * @returns `* name text`, styled as others see it.
 */
export function renderOwnAction(
  name: string,
  text: string,
  options: RenderOptions,
  now: Date,
): string {
  return stamp(`* ${coloredName(name, options)} ${sanitizeForTerminal(text)}`, options, now);
}

/**
 * The input line's prompt: the current room, then the other rooms with
 * unread messages and how many, such as `#lobby [#rust 3]> `.
 *
 * @param current The current room, or `undefined` when the user is in none.
 * @param joined The rooms the user is in, in join order, with unread counts.
 * @param style Unread rooms are coloured as room tags are.
 * @returns The prompt, ending in `> `.
 *
 * @example
 * ```ts
 * import { renderPrompt } from "./render.ts";
 * import { createStyle } from "./style.ts";
 * import assert from "node:assert/strict";
 *
 * const joined = [{ name: "#lobby", unread: 0 }, { name: "#rust", unread: 3 }];
 * assert.equal(renderPrompt("#lobby", joined, createStyle(false)), "#lobby [#rust 3]> ");
 * ```
 */
export function renderPrompt(
  current: string | undefined,
  joined: readonly JoinedRoom[],
  style: Style,
): string {
  const unread = joined.filter((room) =>
    room.unread > 0 && (current === undefined || roomKey(room.name) !== roomKey(current))
  );
  const shown = unread.slice(0, MAX_PROMPT_ROOMS).map((room) =>
    ` ${style.cyan(`[${sanitizeForTerminal(room.name)} ${room.unread}]`)}`
  );
  const more = unread.length - shown.length;
  if (more > 0) shown.push(` ${style.cyan(`[+${more}]`)}`);
  const here = current === undefined ? "(no room)" : sanitizeForTerminal(current);
  return `${here}${shown.join("")}> `;
}

/**
 * Shows a message from the client itself (banner, help, local errors).
 *
 * @param text The message.
 * @param options Style.
 * @returns `-- text`, dimmed.
 */
export function renderInfo(text: string, options: RenderOptions): string {
  return options.style.dim(`-- ${sanitizeForTerminal(text)}`);
}

/**
 * A server line for scripts: exactly as received but sanitised, no styles.
 * Its timestamp is in UTC, the time zone of the server's `HISTORY` lines, so
 * a log never mixes two.
 *
 * @param line The line as received.
 * @param timestamps Whether to start with the UTC time, `HH:MM:SSZ `.
 * @param now The time to stamp it with.
 * @returns The text to print, without a newline.
 */
export function plainLine(line: string, timestamps: boolean, now: Date): string {
  return timestamps
    ? `${now.toISOString().slice(11, 19)}Z ${sanitizeForTerminal(line)}`
    : sanitizeForTerminal(line);
}

function coloredName(name: string, options: RenderOptions): string {
  const index = options.names?.indexOf(name) ?? nameColorIndex(name);
  return options.style.nameColor(index, sanitizeForTerminal(name));
}

function stamp(text: string, options: RenderOptions, now: Date): string {
  return options.timestamps ? `${options.style.dim(clock(now, false))} ${text}` : text;
}

/** The local time, `HH:MM` or `HH:MM:SS`. */
function clock(now: Date, seconds: boolean): string {
  const parts = [now.getHours(), now.getMinutes(), ...(seconds ? [now.getSeconds()] : [])];
  return parts.map((part) => String(part).padStart(2, "0")).join(":");
}
