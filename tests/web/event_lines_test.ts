import assert from "node:assert/strict";
import { eventLine } from "../../web/event_lines.js";

/** How each kind of event reads on the page, seen by alice. */
const CASES: {
  kind: string;
  from: string;
  to: string;
  body: string;
  shown: string;
  className: string;
}[] = [
  { kind: "message", from: "bob", to: "", body: "hi", shown: "bob: hi", className: "message" },
  { kind: "action", from: "bob", to: "", body: "waves", shown: "* bob waves", className: "action" },
  {
    kind: "private",
    from: "bob",
    to: "alice",
    body: "psst",
    shown: "bob → you: psst",
    className: "private",
  },
  {
    kind: "private",
    from: "alice",
    to: "bob",
    body: "psst",
    shown: "you → bob: psst",
    className: "private",
  },
  { kind: "join", from: "bob", to: "", body: "", shown: "bob joined", className: "presence" },
  { kind: "part", from: "bob", to: "", body: "", shown: "bob left", className: "presence" },
  {
    kind: "part",
    from: "bob",
    to: "",
    body: "lunch",
    shown: "bob left (lunch)",
    className: "presence",
  },
  {
    kind: "quit",
    from: "bob",
    to: "",
    body: "bye",
    shown: "bob left (bye)",
    className: "presence",
  },
  {
    kind: "disconnect",
    from: "bob",
    to: "",
    body: "timed out",
    shown: "bob was disconnected (timed out)",
    className: "presence",
  },
  {
    kind: "nick",
    from: "bob",
    to: "robert",
    body: "",
    shown: "bob is now robert",
    className: "presence",
  },
  {
    kind: "topic",
    from: "bob",
    to: "",
    body: "Deno",
    shown: "bob set the topic: Deno",
    className: "notice",
  },
  {
    kind: "topic",
    from: "bob",
    to: "",
    body: "",
    shown: "bob cleared the topic",
    className: "notice",
  },
  {
    kind: "kick",
    from: "op",
    to: "bob",
    body: "spam",
    shown: "bob was kicked by op (spam)",
    className: "kick",
  },
];

Deno.test("eventLine() shows each kind of event as the page reads it", () => {
  for (const { kind, from, to, body, shown, className } of CASES) {
    const line = eventLine(kind, from, to, body, "alice");
    assert.ok(line, kind);
    assert.equal(line.parts.map(([, text]) => text).join(""), shown, kind);
    assert.equal(line.className, className, kind);
  }
});

Deno.test("eventLine() marks who spoke, apart from the text", () => {
  const line = eventLine("message", "bob", "", "a: b", "alice")!;
  assert.deepEqual(line.parts, [["from", "bob"], ["sep", ": "], ["text", "a: b"]]);
});

Deno.test("eventLine() shows nothing for a kind it does not know", () => {
  assert.equal(eventLine("teleport", "bob", "", "", "alice"), undefined);
});
