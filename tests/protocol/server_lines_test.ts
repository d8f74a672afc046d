import assert from "@nanochat/assert";
import {
  actionLine,
  chatLine,
  errorLine,
  historyLine,
  listEndLine,
  listLine,
  NoticeCode,
  noticeLine,
  pongLine,
  privateLine,
  roomLine,
  sentLine,
  topicLine,
  whoLine,
} from "../../protocol/replies.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import {
  parseServerLine,
  roomInText,
  roomOf,
  type ServerLine,
} from "../../protocol/server_lines.ts";

Deno.test("parseServerLine() reads back every line the server writes", () => {
  const time = new Date(Date.UTC(2026, 10, 27, 1, 2, 3));
  const cases: [string, ServerLine][] = [
    [chatLine("alice", "hi: there"), { kind: "chat", name: "alice", text: "hi: there" }],
    [actionLine("alice", "waves back"), { kind: "action", name: "alice", text: "waves back" }],
    [privateLine("bob", "psst"), { kind: "private", name: "bob", text: "psst" }],
    [sentLine("bob", "psst"), { kind: "sent", name: "bob", text: "psst" }],
    [whoLine(["alice", "bob"]), { kind: "who", count: 2, names: ["alice", "bob"] }],
    [pongLine(""), { kind: "pong", token: "" }],
    [pongLine("a b"), { kind: "pong", token: "a b" }],
    [
      historyLine(time, chatLine("alice", "old")),
      {
        kind: "history",
        time: "2026-11-27T01:02:03Z",
        line: { kind: "chat", name: "alice", text: "old" },
      },
    ],
    [errorLine({ code: ErrorCode.Flood, text: "slow down" }), {
      kind: "error",
      code: "flood",
      text: "slow down",
    }],
    [
      noticeLine(NoticeCode.Join, "bob joined"),
      { kind: "notice", code: "join", text: "bob joined" },
    ],
    [topicLine("Rust talk"), { kind: "topic", text: "Rust talk" }],
    [topicLine(""), { kind: "topic", text: "" }],
    [listLine("#rust", 3, "Rust talk"), {
      kind: "list",
      room: "#rust",
      count: 3,
      topic: "Rust talk",
    }],
    [listLine("#go", 1, ""), { kind: "list", room: "#go", count: 1, topic: "" }],
    [listEndLine(2), { kind: "list-end", count: 2 }],
    [listEndLine(1), { kind: "list-end", count: 1 }],
    [
      roomLine("#rust", chatLine("bob", "hi")),
      { kind: "chat", name: "bob", text: "hi", room: "#rust" },
    ],
    [
      roomLine("#rust", historyLine(time, actionLine("bob", "waves"))),
      {
        kind: "history",
        time: "2026-11-27T01:02:03Z",
        line: { kind: "action", name: "bob", text: "waves" },
        room: "#rust",
      },
    ],
    [
      roomLine("#rust", noticeLine(NoticeCode.Joined, "You joined #rust: 1 user.")),
      { kind: "notice", code: "joined", text: "You joined #rust: 1 user.", room: "#rust" },
    ],
    [
      noticeLine(NoticeCode.Current, "#rust is your current room"),
      { kind: "notice", code: "current", text: "#rust is your current room" },
    ],
    [roomLine("#rust", topicLine("")), { kind: "topic", text: "", room: "#rust" }],
    [
      roomLine("#rust", whoLine(["bob"])),
      { kind: "who", count: 1, names: ["bob"], room: "#rust" },
    ],
  ];
  for (const [line, expected] of cases) assert.deepEqual(parseServerLine(line), expected, line);
});

Deno.test("parseServerLine() reads the lines of rooms, with the room of a prefixed one", () => {
  const cases: [string, ServerLine][] = [
    // The default room's lines have no prefix and no room.
    ["[carol]: lunch?", { kind: "chat", name: "carol", text: "lunch?" }],
    ["NOTICE join: bob joined", { kind: "notice", code: "join", text: "bob joined" }],
    // Every other room's lines start with the room.
    ["#rust [bob]: hi", { kind: "chat", name: "bob", text: "hi", room: "#rust" }],
    ["#rust [bob]: #go [eve]: x", {
      kind: "chat",
      name: "bob",
      text: "#go [eve]: x",
      room: "#rust",
    }],
    ["#rust * bob waves", { kind: "action", name: "bob", text: "waves", room: "#rust" }],
    [
      "#rust WHO 2: alice bob",
      { kind: "who", count: 2, names: ["alice", "bob"], room: "#rust" },
    ],
    [
      "#rust HISTORY 2026-12-02T08:00:00Z [bob]: anyone on 1.90 yet?",
      {
        kind: "history",
        time: "2026-12-02T08:00:00Z",
        line: { kind: "chat", name: "bob", text: "anyone on 1.90 yet?" },
        room: "#rust",
      },
    ],
    [
      "#rust NOTICE joined: You joined #rust: 3 users. Topic: Rust talk",
      {
        kind: "notice",
        code: "joined",
        text: "You joined #rust: 3 users. Topic: Rust talk",
        room: "#rust",
      },
    ],
    [
      "#rust NOTICE join: bob joined",
      { kind: "notice", code: "join", text: "bob joined", room: "#rust" },
    ],
    [
      "#rust NOTICE parted: You left #rust",
      { kind: "notice", code: "parted", text: "You left #rust", room: "#rust" },
    ],
    [
      "#rust NOTICE part: bob left (see you)",
      { kind: "notice", code: "part", text: "bob left (see you)", room: "#rust" },
    ],
    [
      "#rust NOTICE topic: alice set the topic: Rust talk",
      { kind: "notice", code: "topic", text: "alice set the topic: Rust talk", room: "#rust" },
    ],
    [
      "#rust NOTICE quit: bob left",
      { kind: "notice", code: "quit", text: "bob left", room: "#rust" },
    ],
    [
      "NOTICE current: #rust is your current room",
      { kind: "notice", code: "current", text: "#rust is your current room" },
    ],
    // Topics, of the default room and of others.
    ["TOPIC: Lobby talk", { kind: "topic", text: "Lobby talk" }],
    ["TOPIC: ", { kind: "topic", text: "" }],
    ["TOPIC:", { kind: "topic", text: "" }],
    ["#rust TOPIC: Rust talk", { kind: "topic", text: "Rust talk", room: "#rust" }],
    ["#rust TOPIC: ", { kind: "topic", text: "", room: "#rust" }],
    // LIST replies name a room without being about it.
    ["LIST #rust 3: Rust talk", { kind: "list", room: "#rust", count: 3, topic: "Rust talk" }],
    ["LIST #lobby 12: ", { kind: "list", room: "#lobby", count: 12, topic: "" }],
    ["LIST #a.b-c_d 1: x: y", { kind: "list", room: "#a.b-c_d", count: 1, topic: "x: y" }],
    ["LIST END: 2 rooms", { kind: "list-end", count: 2 }],
    ["LIST END: 1 room", { kind: "list-end", count: 1 }],
    ["LIST END: 0 rooms", { kind: "list-end", count: 0 }],
    // Names of rooms in other scripts.
    ["#ραβδί [bob]: γεια", { kind: "chat", name: "bob", text: "γεια", room: "#ραβδί" }],
    ["#日本語 [bob]: hi", { kind: "chat", name: "bob", text: "hi", room: "#日本語" }],
  ];
  for (const [line, expected] of cases) assert.deepEqual(parseServerLine(line), expected, line);
});

Deno.test("parseServerLine() calls anything else other", () => {
  const lines = [
    "",
    "hello",
    "ERROR Flood: caps are not a code",
    "WHO: nobody",
    "[no colon]",
    // A prefix only on lines that can be about a room.
    "#rust PRIVATE [bob]: psst",
    "#rust SENT [bob]: psst",
    "#rust PONG x",
    "#rust ERROR flood: slow down",
    "#rust LIST END: 2 rooms",
    "#rust #go [bob]: two rooms",
    "#rust hello",
    // Not room names: too long, empty, a space or bracket inside, no space after.
    `#${"a".repeat(33)} [bob]: hi`,
    "# [bob]: hi",
    "#ru[st [bob]: hi",
    "#rust",
    "#rust\t[bob]: hi",
    // LIST lines that are not quite.
    "LIST rust 3: no hash",
    "LIST #rust three: no count",
    "LIST END: many rooms",
  ];
  for (const line of lines) {
    assert.deepEqual(parseServerLine(line), { kind: "other", text: line }, line);
  }
  // The room comes before HISTORY, not inside it.
  assert.deepEqual(parseServerLine("HISTORY 2026-12-02T08:00:00Z #rust [bob]: hi"), {
    kind: "history",
    time: "2026-12-02T08:00:00Z",
    line: { kind: "other", text: "#rust [bob]: hi" },
  });
});

Deno.test("parseServerLine() keeps a room of 32 characters, the longest there is", () => {
  const room = `#${"r".repeat(32)}`;
  assert.deepEqual(parseServerLine(`${room} [bob]: hi`), {
    kind: "chat",
    name: "bob",
    text: "hi",
    room,
  });
});

Deno.test("roomOf() tells the room a line is about, the default room as empty", () => {
  const cases: [string, string | undefined][] = [
    ["#rust [bob]: hi", "#rust"],
    ["#rust * bob waves", "#rust"],
    ["#rust NOTICE quit: bob left", "#rust"],
    ["#rust TOPIC: Rust talk", "#rust"],
    ["#rust WHO 1: bob", "#rust"],
    ["#rust HISTORY 2026-12-02T08:00:00Z [bob]: hi", "#rust"],
    ["[bob]: hi", ""],
    ["* bob waves", ""],
    ["NOTICE join: bob joined", ""],
    ["NOTICE quit: bob left", ""],
    ["NOTICE nick: bob is now robert", ""],
    ["NOTICE parted: You left #lobby", ""],
    ["HISTORY 2026-12-02T08:00:00Z [bob]: hi", ""],
    ["TOPIC: ", ""],
    ["WHO 2: alice bob", ""],
    ["NOTICE welcome: Welcome to nanochat 0.1.0, alice!", undefined],
    ["NOTICE help: MSG name text  send text to one user only", undefined],
    ["NOTICE shutdown: The server is shutting down", undefined],
    ["NOTICE current: #rust is your current room", undefined],
    ["PRIVATE [bob]: psst", undefined],
    ["SENT [bob]: psst", undefined],
    ["ERROR not-in-room: You are not in #rust", undefined],
    ["LIST #rust 3: Rust talk", undefined],
    ["LIST END: 2 rooms", undefined],
    ["PONG x", undefined],
    ["hello from an old server", undefined],
  ];
  for (const [line, expected] of cases) assert.equal(roomOf(parseServerLine(line)), expected, line);
});

Deno.test("roomInText() finds the room a notice's text names", () => {
  const cases: [string, string | undefined][] = [
    ["#rust is your current room", "#rust"],
    ["You joined #rust: 3 users. Topic: Rust talk", "#rust"],
    ["You left #lobby", "#lobby"],
    ["You joined #日本語: 1 user", "#日本語"],
    ["nobody here", undefined],
    [`#${"x".repeat(33)} is too long`, undefined],
  ];
  for (const [text, expected] of cases) assert.equal(roomInText(text), expected, text);
});
