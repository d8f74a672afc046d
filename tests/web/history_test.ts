import assert from "@nanochat/assert";
import {
  afterPage,
  afterReplay,
  countLine,
  GAP_PAGE,
  HISTORY_PAGE,
  historyRequest,
  MAX_GAP_PAGES,
  olderBefore,
  replay,
} from "../../web/history.js";

const second = (n: number, ms = 0) => Date.UTC(2026, 11, 2, 8, 0, n, ms);

/** A request of `mode` that received lines at these times, `known` of them shown already. */
function page(
  mode: "older" | "gap",
  count: number,
  times: number[],
  known = false,
  pages = 1,
) {
  const request = historyRequest(mode, count, pages);
  for (const time of times) countLine(request, time, known);
  return request;
}

Deno.test("afterReplay() fetches back only when a replay shares nothing with what was shown", () => {
  const cases: [string, boolean, number[], boolean, string][] = [
    ["first visit", false, [second(1)], false, "done"],
    ["nothing replayed", true, [], false, "done"],
    ["overlap", true, [second(1), second(2)], true, "done"],
    ["gap", true, [second(1, 500), second(2)], false, "ask"],
  ];
  for (const [name, knewIds, times, known, kind] of cases) {
    const counted = replay(knewIds);
    for (const time of times) countLine(counted, time, known);
    assert.equal(afterReplay(counted).kind, kind, name);
  }
  const gap = replay(true);
  countLine(gap, second(1, 500), false);
  assert.deepEqual(afterReplay(gap), {
    kind: "ask",
    request: historyRequest("gap", GAP_PAGE),
    before: "2026-12-02T08:00:02Z",
  });
});

Deno.test("afterPage() pages back until a gap closes, and gives up after a bound", () => {
  const newer = page("gap", GAP_PAGE, [second(5), second(6)]);
  assert.deepEqual(afterPage(newer, second(5)), {
    kind: "ask",
    request: historyRequest("gap", GAP_PAGE, 2),
    before: "2026-12-02T08:00:05Z",
  });
  assert.deepEqual(afterPage(page("gap", GAP_PAGE, [second(5)], true), second(5)), {
    kind: "done",
  });
  assert.deepEqual(afterPage(page("gap", GAP_PAGE, [second(5)]), undefined), { kind: "done" });
  const last = page("gap", GAP_PAGE, [second(5), second(6)], false, MAX_GAP_PAGES);
  assert.deepEqual(afterPage(last, second(5)), { kind: "gap" });
});

Deno.test("afterPage() notes where scrolling back goes on, null at the beginning", () => {
  assert.deepEqual(afterPage(page("older", HISTORY_PAGE, [second(1), second(2)]), second(1)), {
    kind: "older",
    next: second(1),
  });
  assert.deepEqual(afterPage(page("older", HISTORY_PAGE, [second(1)]), undefined), {
    kind: "older",
    next: null,
  });
});

Deno.test("afterPage() asks again for a full page of one second, which may be cut short", () => {
  const crowded = Array.from({ length: HISTORY_PAGE }, (_, index) => second(3, index));
  assert.deepEqual(afterPage(page("older", HISTORY_PAGE, crowded), second(3)), {
    kind: "ask",
    request: historyRequest("older", GAP_PAGE),
    before: "2026-12-02T08:00:04Z",
  });
  const full = Array.from({ length: GAP_PAGE }, (_, index) => second(3, index));
  assert.equal(afterPage(page("older", GAP_PAGE, full), second(3)).kind, "older");
});

Deno.test("olderBefore() starts from next, else from the second after the oldest line shown", () => {
  assert.equal(olderBefore(second(7, 250), second(9)), "2026-12-02T08:00:07Z");
  assert.equal(olderBefore(undefined, second(9, 250)), "2026-12-02T08:00:10Z");
  assert.equal(olderBefore(undefined, undefined), "");
});
