/**
 * Pins every WebSocket event of PROTOCOL.md ("The web page and its
 * WebSocket"): the JSON each event and reply becomes, in one text frame.
 */
import assert from "@nanochat/assert";
import type { ChatEvent, Reply } from "../../protocol/events.ts";
import { ServerError } from "../../protocol/errors.ts";
import { jsonCodec } from "../../protocol/json_codec.ts";

/** The JSON text inside one unfragmented, unmasked text frame. */
function frameText(frame: Uint8Array): string {
  assert.equal(frame[0], 0x81, "a final text frame");
  const length = frame[1]!;
  const start = length === 126 ? 4 : length === 127 ? 10 : 2;
  return new TextDecoder().decode(frame.subarray(start));
}

const EVENT: ChatEvent = {
  id: "mx5z-42",
  time: 1764662400000,
  room: "#lobby",
  kind: "message",
  from: "alice",
  to: "",
  text: "hello",
};

Deno.test("a live event: every field, in this order, the same for sender and others", () => {
  const expected =
    '{"type":"event","id":"mx5z-42","time":1764662400000,"room":"#lobby","kind":"message","from":"alice","to":"","text":"hello"}';
  assert.equal(frameText(jsonCodec.event(EVENT, false)), expected);
  const dm: ChatEvent = { ...EVENT, kind: "private", room: "", to: "bob" };
  assert.deepEqual(
    JSON.parse(frameText(jsonCodec.event(dm, true))),
    JSON.parse(frameText(jsonCodec.event(dm, false))),
  );
});

Deno.test("every reply as PROTOCOL.md's table gives it", () => {
  const cases: [Reply, Record<string, unknown>][] = [
    [
      { kind: "welcome", server: "nanochat 0.1.0", name: "alice", users: 3 },
      { type: "welcome", server: "nanochat 0.1.0", name: "alice", users: 3 },
    ],
    [{ kind: "history", event: EVENT }, { ...EVENT, type: "history" }],
    [
      { kind: "history-end", room: "#rust", count: 2, next: 1764662400000 },
      { type: "history-end", room: "#rust", count: 2, next: 1764662400000 },
    ],
    [
      { kind: "history-end", room: "#rust", count: 0, next: undefined },
      { type: "history-end", room: "#rust", count: 0 },
    ],
    [
      { kind: "who", room: "#lobby", count: 2, names: ["alice", "bob"] },
      { type: "who", room: "#lobby", count: 2, names: ["alice", "bob"] },
    ],
    [
      { kind: "joined", room: "#rust", users: 1, topic: "" },
      { type: "joined", room: "#rust", users: 1, topic: "" },
    ],
    [{ kind: "parted", room: "#rust" }, { type: "parted", room: "#rust" }],
    [{ kind: "current", room: "#rust" }, { type: "current", room: "#rust" }],
    [
      { kind: "topic", room: "#rust", topic: "1.90" },
      { type: "topic", room: "#rust", topic: "1.90" },
    ],
    [
      { kind: "list", rooms: [{ room: "#lobby", users: 2, topic: "" }] },
      { type: "list", rooms: [{ room: "#lobby", users: 2, topic: "" }] },
    ],
    [{ kind: "pong", token: "t1" }, { type: "pong", token: "t1" }],
    [
      { kind: "help", usage: "MSG name text", summary: "send text to one user only" },
      { type: "help", usage: "MSG name text", summary: "send text to one user only" },
    ],
    [{ kind: "shutdown" }, { type: "shutdown" }],
    [{ kind: "moderation", text: "bob was muted" }, { type: "moderation", text: "bob was muted" }],
    [
      {
        kind: "bans",
        bans: [{ target: "mallory", until: undefined, by: "alice", reason: "spam" }],
      },
      { type: "bans", bans: [{ target: "mallory", by: "alice", reason: "spam" }] },
    ],
    [
      { kind: "account", notice: "password", name: "alice" },
      {
        type: "account",
        notice: "password",
        name: "alice",
        text: "alice is registered: send PASS and its password",
      },
    ],
    [
      { kind: "error", error: ServerError.serverFull() },
      {
        type: "error",
        code: "server-full",
        text: "The server is full; try again later",
        closes: "always",
      },
    ],
  ];
  for (const [reply, expected] of cases) {
    const text = frameText(jsonCodec.reply(reply));
    assert.deepEqual(JSON.parse(text), expected, reply.kind);
    assert.ok(text.startsWith(`{"type":"${expected.type}"`), `${reply.kind}: type comes first`);
  }
});

Deno.test("text is carried as JSON strings: quotes, backslashes and non-ASCII survive", () => {
  const event = { ...EVENT, text: 'say "hi" \\ 日本 👋' };
  assert.equal(JSON.parse(frameText(jsonCodec.event(event, false))).text, event.text);
});
