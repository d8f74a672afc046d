import assert from "@nanochat/assert";
import { ReplayFilter } from "../../client/replay_filter.ts";

const T = "2026-12-02T08:00:00Z";

/** Feeds lines and collects what is shown. */
function feed(filter: ReplayFilter, lines: string[]): string[] {
  return lines.flatMap((line) => filter.take(line));
}

Deno.test("ReplayFilter leaves out the start of a replay that was shown, per room", () => {
  const filter = new ReplayFilter();
  feed(filter, [
    "NOTICE welcome: hi",
    `HISTORY ${T} [bob]: old`,
    "[bob]: one",
    "#rust [carol]: rusty",
    "[bob]: two",
  ]);
  filter.remember("[alice]: mine");
  filter.resume();
  const shown = feed(filter, [
    "NOTICE welcome: again",
    `HISTORY ${T} [bob]: one`,
    `HISTORY ${T} [bob]: two`,
    `HISTORY ${T} [alice]: mine`,
    `HISTORY ${T} [bob]: missed`,
    "#rust NOTICE joined: You joined #rust: 2 users",
    `#rust HISTORY ${T} [carol]: rusty`,
    `#rust HISTORY ${T} [carol]: new`,
    "PONG keepalive",
  ]);
  assert.deepEqual(shown, [
    "NOTICE welcome: again",
    `HISTORY ${T} [bob]: missed`,
    "#rust NOTICE joined: You joined #rust: 2 users",
    `#rust HISTORY ${T} [carol]: new`,
    "PONG keepalive",
  ]);
});

Deno.test("ReplayFilter keeps a repeated text that is not the tail of what was shown", () => {
  const filter = new ReplayFilter();
  feed(filter, ["NOTICE welcome: hi", "[bob]: hi", "[bob]: bye"]);
  filter.resume();
  assert.deepEqual(
    feed(filter, ["NOTICE welcome: again", `HISTORY ${T} [bob]: hi`, "[carol]: live"]),
    ["NOTICE welcome: again", `HISTORY ${T} [bob]: hi`, "[carol]: live"],
  );
});

Deno.test("ReplayFilter passes every line through when not resuming", () => {
  const filter = new ReplayFilter();
  const lines = [
    "NOTICE welcome: hi",
    `HISTORY ${T} [bob]: a`,
    `HISTORY ${T} [bob]: a`,
    "[bob]: a",
  ];
  assert.deepEqual(feed(filter, lines), lines);
});
