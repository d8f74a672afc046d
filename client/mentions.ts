/**
 * What calls for the user's attention: a live message that names them, or a
 * private message. Such lines are highlighted, and ring the terminal's bell
 * as `/bell` chooses: `mentions` (the default) for those, `on` for every
 * message from someone else, `off` never.
 *
 * @module
 */

import { parseServerLine } from "../protocol/server_lines.ts";

/** When the bell rings. */
export type BellMode = "on" | "off" | "mentions";

/** What a line means to the user. */
export type Attention = "mention" | "message" | "none";

/**
 * Whether a server line mentions the user (their name as a word, with or
 * without `@`, in any case) or is a private message to them, or is some other
 * live message.
 *
 * @param line A line as received.
 * @param name The user's current name.
 * @returns `mention`, `message` for other chat, or `none` (notices, history).
 *
 * @example
 * ```ts
 * import { attentionOf } from "./mentions.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(attentionOf("[bob]: hello @Alice!", "alice"), "mention");
 * assert.equal(attentionOf("PRIVATE [bob]: psst", "alice"), "mention");
 * assert.equal(attentionOf("[bob]: malice aforethought", "alice"), "message");
 * assert.equal(attentionOf("NOTICE join: alice joined", "alice"), "none");
 * ```
 */
export function attentionOf(line: string, name: string): Attention {
  const parsed = parseServerLine(line);
  if (parsed.kind === "private") return "mention";
  if (parsed.kind !== "chat" && parsed.kind !== "action") return "none";
  return namePattern(name).test(parsed.text) ? "mention" : "message";
}

/**
 * Whether the bell rings for a line, in a mode.
 *
 * @param attention What the line means to the user.
 * @param mode The bell's mode.
 * @returns True to ring.
 */
export function ringsBell(attention: Attention, mode: BellMode): boolean {
  if (mode === "off" || attention === "none") return false;
  return mode === "on" || attention === "mention";
}

function namePattern(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  // A name is letters, digits, _ - and .; a word boundary is anything else.
  return new RegExp(`(?:^|[^\\p{L}\\p{N}_-])@?${escaped}(?![\\p{L}\\p{N}_-])`, "iu");
}
