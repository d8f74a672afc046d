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
import { NAME_COLOR_COUNT, type Style } from "./style.ts";

/** How lines are shown. */
export interface RenderOptions {
  /** Colours and bold, or plain text. */
  readonly style: Style;
  /** Whether each line starts with the local time, `HH:MM`. */
  readonly timestamps: boolean;
}

const CHAT_LINE = /^\[([^\]]*)\]: (.*)$/s;
const TAGGED_LINE = /^(ERROR|NOTICE) ([a-z-]+): (.*)$/s;

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
  const { style } = options;
  const safe = sanitize(line);
  const chat = safe.match(CHAT_LINE);
  if (chat) return stamp(`${coloredName(chat[1]!, style)}: ${chat[2]}`, options, now);
  const tagged = safe.match(TAGGED_LINE);
  if (tagged?.[1] === "ERROR") return stamp(style.red(`! ${tagged[3]}`), options, now);
  if (tagged?.[1] === "NOTICE") return stamp(style.yellow(`-- ${tagged[3]}`), options, now);
  return stamp(safe, options, now);
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
