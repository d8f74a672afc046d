/**
 * How the terminal client shows what it receives and what it sends.
 *
 * Every server line is sanitised here, at the last step before the
 * terminal, whatever the server claims to have done: a hostile server must
 * not be able to drive the user's terminal. The only escape sequences in the
 * output are the client's own styles.
 *
 * @module
 */

import { sanitize } from "../protocol/text.ts";
import { nameKey } from "../protocol/username.ts";
import { createStyle, NAME_COLOR_COUNT, type Style } from "./style.ts";

/** How lines are shown. */
export interface RenderOptions {
  /** Colours and bold, or plain text. */
  readonly style: Style;
  /** Whether each line starts with the local time, `HH:MM`. */
  readonly timestamps: boolean;
}

const CHAT_LINE = /^\[([^\]]*)\]: (.*)$/s;
const ACTION_LINE = /^\* (\S+) (.*)$/s;
const PRIVATE_LINE = /^(PRIVATE|SENT) \[([^\]]*)\]: (.*)$/s;
const TAGGED_LINE = /^(ERROR|NOTICE) ([a-z-]+): (.*)$/s;
const WHO_LINE = /^WHO (\d+): (.*)$/s;
const HISTORY_LINE = /^HISTORY (\S+) (.*)$/s;
const UTC_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

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
 * @returns The text to print, without a newline.
 */
export function renderServerLine(line: string, options: RenderOptions, now: Date): string {
  const safe = sanitize(line);
  const history = safe.match(HISTORY_LINE);
  if (history) {
    const time = UTC_TIME.test(history[1]!) ? new Date(history[1]!) : new Date(NaN);
    const when = Number.isNaN(time.getTime()) ? history[1]! : clock(time, false);
    const plain = { ...options, style: createStyle(false) };
    return options.style.dim(`${when} ${renderBody(history[2]!, plain)}`);
  }
  return stamp(renderBody(safe, options), options, now);
}

/** Renders a sanitised line without its timestamp. */
function renderBody(safe: string, options: RenderOptions): string {
  const { style } = options;
  const chat = safe.match(CHAT_LINE);
  if (chat) return `${coloredName(chat[1]!, style)}: ${chat[2]}`;
  const action = safe.match(ACTION_LINE);
  if (action) return `* ${coloredName(action[1]!, style)} ${action[2]}`;
  const direct = safe.match(PRIVATE_LINE);
  if (direct?.[1] === "PRIVATE") {
    return `${coloredName(direct[2]!, style)} ${style.bold("→ you")}: ${direct[3]}`;
  }
  if (direct?.[1] === "SENT") {
    return `${style.bold("you →")} ${coloredName(direct[2]!, style)}: ${direct[3]}`;
  }
  const who = safe.match(WHO_LINE);
  if (who) {
    const users = who[1] === "1" ? "1 user" : `${who[1]} users`;
    return style.yellow(`-- ${users} online: ${who[2]!.split(" ").join(", ")}`);
  }
  const tagged = safe.match(TAGGED_LINE);
  if (tagged?.[1] === "ERROR") return style.red(`! ${tagged[3]}`);
  if (tagged?.[1] === "NOTICE") return style.yellow(`-- ${tagged[3]}`);
  return safe;
}

/**
 * Shows a message the user sent (the server does not echo it).
 *
 * @param name The user's name.
 * @param text The message.
 * @param options Style and timestamps.
 * @param now The time to stamp it with.
 * @returns `name (you): text`, styled.
 */
export function renderOwnMessage(
  name: string,
  text: string,
  options: RenderOptions,
  now: Date,
): string {
  const { style } = options;
  return stamp(
    `${coloredName(name, style)} ${style.dim("(you)")}: ${sanitize(text)}`,
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
  return stamp(`* ${coloredName(name, options.style)} ${sanitize(text)}`, options, now);
}

/**
 * Shows a message from the client itself (banner, help, local errors).
 *
 * @param text The message.
 * @param options Style.
 * @returns `-- text`, dimmed.
 */
export function renderInfo(text: string, options: RenderOptions): string {
  return options.style.dim(`-- ${sanitize(text)}`);
}

/**
 * A server line for scripts: exactly as received but sanitised, no styles.
 *
 * @param line The line as received.
 * @param timestamps Whether to start with `HH:MM:SS `.
 * @param now The time to stamp it with.
 * @returns The text to print, without a newline.
 */
export function plainLine(line: string, timestamps: boolean, now: Date): string {
  return timestamps ? `${clock(now, true)} ${sanitize(line)}` : sanitize(line);
}

function coloredName(name: string, style: Style): string {
  return style.nameColor(nameColorIndex(name), sanitize(name));
}

function stamp(text: string, options: RenderOptions, now: Date): string {
  return options.timestamps ? `${options.style.dim(clock(now, false))} ${text}` : text;
}

function clock(now: Date, seconds: boolean): string {
  const parts = [now.getHours(), now.getMinutes(), ...(seconds ? [now.getSeconds()] : [])];
  return parts.map((part) => String(part).padStart(2, "0")).join(":");
}
