/**
 * How the page fetches a room's history: what it counts of each history as
 * it comes (the replay after a login or join, or a page it asked for with
 * `HISTORY`), and what it asks for next. Pure decisions, no DOM and no
 * socket, so they run under `deno test` as they run in the browser.
 *
 * After a reconnect, a room's replay that shares no line with what the page
 * showed means lines were said while it was away that the replay does not
 * reach: the page asks for older pages until one holds a line it showed, or
 * says a gap may remain. The server's pages never split a second, unless a
 * second fills a page; such a page is asked again whole.
 *
 * @module
 */

import { utcTime, utcTimeAfter } from "./commands.js";

/** How many lines a page of history asks for when the user scrolls back. */
export const HISTORY_PAGE = 50;

/** How many lines a page asks for to close a gap, or to have a crowded second whole: the server's most. */
export const GAP_PAGE = 200;

/** How many pages the page fetches to close a gap before it gives up. */
export const MAX_GAP_PAGES = 10;

/**
 * What the page counts of a history as its lines come.
 *
 * @typedef {object} HistoryCount
 * @property {number} received How many lines came.
 * @property {boolean} overlap Whether one of them was shown already.
 * @property {number} oldest The time of the oldest (Infinity before any).
 * @property {number} newest The time of the newest (-Infinity before any).
 */

/**
 * A page of history the page asked for: the user scrolling back (`older`),
 * or the page closing a gap after a reconnect (`gap`).
 *
 * @typedef {HistoryCount & { mode: "older" | "gap", count: number, pages: number }} HistoryRequest
 */

/**
 * The replay of a room's recent lines after a login or join, and whether the
 * page had shown lines of that room before it.
 *
 * @typedef {HistoryCount & { knewIds: boolean }} Replay
 */

/**
 * What to do next: ask for a page (`before` is a UTC time, or "" for now),
 * note where scrolling back goes on (`next`, null at the beginning), say
 * that a gap may remain, or nothing.
 *
 * @typedef {{ kind: "ask", request: HistoryRequest, before: string }
 *   | { kind: "older", next: number | null }
 *   | { kind: "gap" }
 *   | { kind: "done" }} HistoryStep
 */

/** @returns {HistoryCount} */
function nothingYet() {
  return { received: 0, overlap: false, oldest: Infinity, newest: -Infinity };
}

/**
 * A new request.
 *
 * @param {"older" | "gap"} mode
 * @param {number} count How many lines to ask for.
 * @param {number} [pages] How many pages this request is into.
 * @returns {HistoryRequest}
 */
export function historyRequest(mode, count, pages = 1) {
  return { mode, count, pages, ...nothingYet() };
}

/**
 * A replay about to come.
 *
 * @param {boolean} knewIds Whether the page showed lines of the room before.
 * @returns {Replay}
 */
export function replay(knewIds) {
  return { knewIds, ...nothingYet() };
}

/**
 * Counts a line of a history.
 *
 * @param {HistoryCount} count
 * @param {number} time The line's time.
 * @param {boolean} known Whether the page showed it already.
 */
export function countLine(count, time, known) {
  count.received++;
  count.oldest = Math.min(count.oldest, time);
  count.newest = Math.max(count.newest, time);
  if (known) count.overlap = true;
}

/** @param {number} time */
const secondOf = (time) => Math.floor(time / 1000);

/**
 * What to do once a replay is complete.
 *
 * @param {Replay} replay
 * @returns {HistoryStep}
 *
 * @example A replay that shares nothing with what was shown leaves a gap to close
 * ```ts
 * import { afterReplay, countLine, replay } from "./history.js";
 * import assert from "node:assert/strict";
 *
 * const counted = replay(true);
 * countLine(counted, Date.UTC(2026, 11, 2, 8, 0, 0, 500), false);
 * const step = afterReplay(counted);
 * assert.equal(step.kind, "ask");
 * assert.equal(step.kind === "ask" && step.before, "2026-12-02T08:00:01Z");
 * ```
 */
export function afterReplay(replay) {
  if (!replay.knewIds || replay.received === 0 || replay.overlap) return { kind: "done" };
  // The replay may have split its oldest second: ask from the next one.
  return {
    kind: "ask",
    request: historyRequest("gap", GAP_PAGE),
    before: utcTimeAfter(replay.oldest),
  };
}

/**
 * What to do once a page asked for is complete.
 *
 * @param {HistoryRequest} request The page, counted.
 * @param {number | undefined} next `history-end`'s `next`: where older lines start.
 * @returns {HistoryStep}
 */
export function afterPage(request, next) {
  const cut = next !== undefined && request.received === request.count &&
    request.count < GAP_PAGE && secondOf(request.oldest) === secondOf(request.newest);
  if (cut) {
    return {
      kind: "ask",
      request: historyRequest(request.mode, GAP_PAGE, request.pages),
      before: utcTimeAfter(request.newest),
    };
  }
  if (request.mode === "older") return { kind: "older", next: next ?? null };
  if (request.overlap || next === undefined) return { kind: "done" };
  if (request.pages >= MAX_GAP_PAGES) return { kind: "gap" };
  return {
    kind: "ask",
    request: historyRequest("gap", GAP_PAGE, request.pages + 1),
    before: utcTime(next),
  };
}

/**
 * Where scrolling back asks from: `next` once a page gave one, else the
 * oldest line shown, whose second may hold lines not shown yet, or now.
 *
 * @param {number | undefined} next
 * @param {number | undefined} oldestShown
 * @returns {string} A UTC time, or "" for now.
 */
export function olderBefore(next, oldestShown) {
  if (next !== undefined) return utcTime(next);
  return oldestShown === undefined ? "" : utcTimeAfter(oldestShown);
}
