import assert from "@nanochat/assert";
import { mentions, parseInput, reconnectDelay, utcTime, utcTimeAfter } from "../../web/commands.js";

const lobby = { kind: "room", name: "#lobby" } as const;
const withBob = { kind: "private", name: "bob" } as const;

Deno.test("parseInput() turns what is typed into lines of the line protocol", () => {
  const cases: [string, { kind: "room" | "private"; name: string }, string[]][] = [
    ["hello", lobby, ["SAY #lobby hello"]],
    ["  spaced  ", lobby, ["SAY #lobby   spaced  "]],
    ["//slash", lobby, ["SAY #lobby /slash"]],
    ["hello", withBob, ["MSG bob hello"]],
    ["/me waves", lobby, ["ME waves"]],
    ["/msg bob hi there", lobby, ["MSG bob hi there"]],
    ["/join rust", lobby, ["JOIN #rust"]],
    ["/JOIN #rust", lobby, ["JOIN #rust"]],
    ["/switch rust", lobby, ["SWITCH #rust"]],
    ["/say rust hi", lobby, ["SAY #rust hi"]],
    ["/part", lobby, ["PART"]],
    ["/part #rust bye now", lobby, ["PART #rust bye now"]],
    ["/topic Rust talk", lobby, ["TOPIC Rust talk"]],
    ["/who", lobby, ["WHO"]],
    ["/list", lobby, ["LIST"]],
    ["/history #lobby 10", lobby, ["HISTORY #lobby 10"]],
    ["/kick bob spam", lobby, ["KICK bob spam"]],
    ["/dance", lobby, ["DANCE"]],
    ["/quit see you", lobby, ["QUIT see you"]],
    ["/register hunter22!", lobby, ["REGISTER hunter22!"]],
    ["   ", lobby, []],
  ];
  for (const [input, target, lines] of cases) {
    assert.deepEqual(parseInput(input, target).lines, lines, input);
  }
});

Deno.test("parseInput() says what the page shows at once and what it remembers", () => {
  assert.deepEqual(parseInput("hi", lobby), {
    kind: "say",
    lines: ["SAY #lobby hi"],
    room: "#lobby",
    text: "hi",
  });
  assert.equal(parseInput("/me waves", lobby).kind, "action");
  assert.equal(parseInput("/msg bob hi", lobby).peer, "bob");
  assert.equal(parseInput("/quit", lobby).kind, "quit");
  assert.equal(parseInput("/register correct-horse", lobby).password, "correct-horse");
  assert.equal(parseInput("/register #rust", lobby).password, undefined);
  assert.equal(parseInput("/password old new-one", lobby).password, "new-one");
  assert.equal(parseInput("/me waves", withBob).kind, "refused");
});

Deno.test("parseInput() refuses a line longer than the server takes", () => {
  const outgoing = parseInput("é".repeat(2100), lobby);
  assert.equal(outgoing.kind, "refused");
  assert.deepEqual(outgoing.lines, []);
  assert.equal(parseInput("a".repeat(4000), lobby).kind, "say");
});

Deno.test("reconnectDelay() doubles from 1 s to 30 s, jittered down by up to half", () => {
  const delays = [0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => reconnectDelay(attempt, () => 1));
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  assert.equal(reconnectDelay(0, () => 0), 500);
  assert.equal(reconnectDelay(9, () => 0), 15000);
});

Deno.test("utcTime() and utcTimeAfter() write times as HISTORY reads them", () => {
  const time = Date.UTC(2026, 11, 2, 8, 0, 4, 1);
  assert.equal(utcTime(time), "2026-12-02T08:00:04Z");
  assert.equal(utcTimeAfter(time), "2026-12-02T08:00:05Z");
});

Deno.test("mentions() finds a name as a whole word in any case", () => {
  const cases: [string, string, boolean][] = [
    ["hello @alice", "alice", true],
    ["ALICE?", "alice", true],
    ["alicent", "alice", false],
    ["malice", "alice", false],
    ["hi a.b", "a.b", true],
    ["hi axb", "a.b", false],
    ["zoë!", "zoë", true],
    ["anything", "", false],
  ];
  for (const [text, name, found] of cases) assert.equal(mentions(text, name), found, text);
});
