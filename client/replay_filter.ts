/**
 * After a reconnect, the server replays its recent history again, and most
 * of it was shown before the connection was lost. The line protocol gives
 * its lines no ids, so the client recognises them by their text: it keeps
 * the public lines (chat and actions) it showed, per room, in order; the
 * replay of a room is the tail of what was shown there followed by what was
 * missed, so the longest start of the replay that matches the end of what
 * was shown is left out, and the rest is shown.
 *
 * The replay is held back until it is complete: until the answer to a ping
 * sent on reconnecting, or the first live message, comes after it.
 *
 * @module
 */

import { parseServerLine } from "../protocol/server_lines.ts";
import { KEEPALIVE_TOKEN } from "./render.ts";

/** How many public lines of each room are remembered. */
const MAX_REMEMBERED = 1000;

/** How many lines a replay may hold back. */
const MAX_HELD = 5000;

/** The answer to the ping a client sends on reconnecting: the replay is over. */
const RESUME_MARK = `PONG ${KEEPALIVE_TOKEN}`;

const HISTORY = /^(#\S+ )?HISTORY \S+ (.*)$/s;
const ROOM_PREFIX = /^(#\S+ )/;

/**
 * Remembers the public lines shown and leaves out those a replay repeats.
 *
 * @example
 * ```ts
 * import { ReplayFilter } from "./replay_filter.ts";
 * import assert from "node:assert/strict";
 *
 * const filter = new ReplayFilter();
 * filter.take("[bob]: one");
 * filter.take("[bob]: two");
 * filter.resume();
 * assert.deepEqual(filter.take("NOTICE welcome: Welcome back"), ["NOTICE welcome: Welcome back"]);
 * assert.deepEqual(filter.take("HISTORY 2026-12-02T08:00:00Z [bob]: two"), []);
 * assert.deepEqual(filter.take("HISTORY 2026-12-02T08:01:00Z [bob]: three"), []);
 * assert.deepEqual(filter.take("PONG keepalive"), [
 *   "HISTORY 2026-12-02T08:01:00Z [bob]: three",
 *   "PONG keepalive",
 * ]);
 * ```
 */
export class ReplayFilter {
  /** The public lines shown, per room prefix (`""` for the default room). */
  readonly #shown = new Map<string, string[]>();
  /** The replay held back since {@linkcode ReplayFilter.resume}. */
  #replay: string[] | undefined;
  #welcomed = false;

  /**
   * Starts holding back the replay of a new connection: from the line after
   * its first (the welcome) to the first line that is not history.
   */
  resume(): void {
    this.#replay = [];
    this.#welcomed = false;
  }

  /**
   * Takes one line from the server.
   *
   * @param line A line as received.
   * @returns The lines to show now, in order: none while a replay is held
   * back, the replay's new lines and this one when it ends.
   */
  take(line: string): string[] {
    if (this.#replay === undefined) {
      this.#remember(line);
      return [line];
    }
    if (!this.#welcomed) {
      this.#welcomed = true;
      return [line];
    }
    // Live chat comes after the replay (the server sends it behind), and
    // so does the answer to the ping sent on reconnecting; anything else
    // (notices of rooms joined again, their history) waits with the replay.
    const kind = parseServerLine(line).kind;
    const ends = line === RESUME_MARK || kind === "chat" || kind === "action" ||
      kind === "private" || this.#replay.length >= MAX_HELD;
    if (!ends) {
      this.#replay.push(line);
      return [];
    }
    const replay = this.#withoutShown(this.#replay);
    this.#replay = undefined;
    for (const held of replay) this.#remember(held);
    this.#remember(line);
    return [...replay, line];
  }

  /**
   * Remembers a line the client showed without receiving it, such as the
   * user's own message, in the form the server's history will have.
   *
   * @param line The line as the server would send it, `[alice]: hi`.
   */
  remember(line: string): void {
    this.#remember(line);
  }

  #remember(line: string): void {
    const history = line.match(HISTORY);
    const text = history ? (history[1] ?? "") + history[2] : line;
    const kind = parseServerLine(text).kind;
    if (kind !== "chat" && kind !== "action") return;
    const room = text.match(ROOM_PREFIX)?.[1] ?? "";
    const shown = this.#shown.get(room) ?? [];
    shown.push(text);
    if (shown.length > MAX_REMEMBERED) shown.shift();
    this.#shown.set(room, shown);
  }

  /** The replay without its start that repeats the end of what each room showed. */
  #withoutShown(replay: string[]): string[] {
    const byRoom = new Map<string, string[]>();
    for (const line of replay) {
      const history = line.match(HISTORY);
      if (history === null) continue;
      const [, room = "", text = ""] = history;
      byRoom.set(room, [...byRoom.get(room) ?? [], room + text]);
    }
    const skip = new Map<string, number>();
    for (const [room, texts] of byRoom) {
      skip.set(room, overlap(this.#shown.get(room) ?? [], texts));
    }
    return replay.filter((line) => {
      const history = line.match(HISTORY);
      if (history === null) return true;
      const room = history[1] ?? "";
      const left = skip.get(room)!;
      if (left === 0) return true;
      skip.set(room, left - 1);
      return false;
    });
  }
}

/** The length of the longest start of `next` that is also the end of `shown`. */
function overlap(shown: readonly string[], next: readonly string[]): number {
  for (let length = Math.min(shown.length, next.length); length > 0; length--) {
    const start = shown.length - length;
    if (next.slice(0, length).every((text, index) => text === shown[start + index])) return length;
  }
  return 0;
}
