import assert from "@nanochat/assert";
import {
  actionLine,
  chatLine,
  encodeLine,
  errorLine,
  historyLine,
  NoticeCode,
  noticeLine,
  pongLine,
  privateLine,
  sentLine,
  whoLine,
} from "../../protocol/replies.ts";
import { ErrorCode } from "../../protocol/errors.ts";

const KEBAB_CASE = /^[a-z]+(-[a-z]+)*$/;

Deno.test("chatLine() is the original server's [name]: text", () => {
  assert.equal(chatLine("alice", "hi"), "[alice]: hi");
  assert.equal(chatLine("李", " spaced "), "[李]:  spaced ");
  assert.equal(chatLine("bob", ""), "[bob]: ");
});

Deno.test("errorLine() is ERROR code: text", () => {
  assert.equal(errorLine({ code: ErrorCode.NameTaken, text: "x" }), "ERROR name-taken: x");
  assert.equal(
    errorLine({ code: ErrorCode.LineTooLong, text: "Line is longer than 4096 bytes" }),
    "ERROR line-too-long: Line is longer than 4096 bytes",
  );
});

Deno.test("noticeLine() is NOTICE code: text", () => {
  assert.equal(noticeLine(NoticeCode.Shutdown, "x"), "NOTICE shutdown: x");
});

Deno.test("ErrorCode and NoticeCode values are distinct lower-case kebab words", () => {
  // The codes PROTOCOL.md lists, no more, no fewer.
  assert.deepEqual(ErrorCode, {
    NameTaken: "name-taken",
    NameInvalid: "name-invalid",
    Usage: "usage",
    NoSuchUser: "no-such-user",
    IdleTimeout: "idle-timeout",
    LineTooLong: "line-too-long",
    UnknownCommand: "unknown-command",
    LoginTimeout: "login-timeout",
    ServerFull: "server-full",
    TooManyConnections: "too-many-connections",
    TooManyNewConnections: "too-many-new-connections",
    RoomInvalid: "room-invalid",
    NotInRoom: "not-in-room",
    NoSuchRoom: "no-such-room",
    TooManyRooms: "too-many-rooms",
    NoCurrentRoom: "no-current-room",
    PasswordWrong: "password-wrong",
    PasswordLocked: "password-locked",
    PasswordInvalid: "password-invalid",
    AlreadyRegistered: "already-registered",
    NotRegistered: "not-registered",
    Replaced: "replaced",
    NotOperator: "not-operator",
    Banned: "banned",
    Muted: "muted",
    Flood: "flood",
    ClusterUnavailable: "cluster-unavailable",
  });
  assert.deepEqual(NoticeCode, {
    Welcome: "welcome",
    Join: "join",
    Quit: "quit",
    Disconnect: "disconnect",
    Nick: "nick",
    Help: "help",
    Shutdown: "shutdown",
    Joined: "joined",
    Part: "part",
    Parted: "parted",
    Current: "current",
    Topic: "topic",
    Password: "password",
    Registered: "registered",
    PasswordChanged: "password-changed",
    Unregistered: "unregistered",
    Kick: "kick",
    Moderation: "moderation",
    HistoryEnd: "history-end",
  });
  const codes = [...Object.values(ErrorCode), ...Object.values(NoticeCode)];
  for (const code of codes) assert.match(code, KEBAB_CASE, code);
  assert.equal(new Set(codes).size, codes.length);
});

Deno.test("errorLine() and noticeLine() never start like a chat line", () => {
  for (const text of ["x", "", "[alice]: hi", "[", "]"]) {
    for (const code of Object.values(ErrorCode)) {
      const line = errorLine({ code: code, text: text });
      assert.ok(!line.startsWith("["), line);
      assert.ok(line.startsWith(`ERROR ${code}: `), line);
    }
    for (const code of Object.values(NoticeCode)) {
      const line = noticeLine(code, text);
      assert.ok(!line.startsWith("["), line);
      assert.ok(line.startsWith(`NOTICE ${code}: `), line);
    }
  }
});

Deno.test("encodeLine() encodes UTF-8 and adds exactly one LF", () => {
  const cases: { line: string; expected: number[] }[] = [
    { line: "", expected: [0x0a] },
    { line: "hi", expected: [0x68, 0x69, 0x0a] },
    { line: "é", expected: [0xc3, 0xa9, 0x0a] },
    { line: "李", expected: [0xe6, 0x9d, 0x8e, 0x0a] },
    { line: "😀", expected: [0xf0, 0x9f, 0x98, 0x80, 0x0a] },
    { line: "[alice]: hi", expected: [...new TextEncoder().encode("[alice]: hi"), 0x0a] },
  ];
  for (const { line, expected } of cases) {
    const bytes = encodeLine(line);
    assert.ok(bytes instanceof Uint8Array, JSON.stringify(line));
    assert.deepEqual([...bytes], expected, JSON.stringify(line));
  }
});

Deno.test("encodeLine() gives a fresh array each call", () => {
  const first = encodeLine("hi");
  first.fill(0);
  assert.deepEqual([...encodeLine("hi")], [0x68, 0x69, 0x0a]);
});

Deno.test("the lines of the chat commands have their documented formats", () => {
  const cases: [string, string][] = [
    [actionLine("alice", "waves"), "* alice waves"],
    [privateLine("alice", "psst"), "PRIVATE [alice]: psst"],
    [sentLine("bob", "psst"), "SENT [bob]: psst"],
    [whoLine(["alice", "bob", "carol"]), "WHO 3: alice bob carol"],
    [whoLine(["alice"]), "WHO 1: alice"],
    [pongLine(""), "PONG"],
    [pongLine("42 x"), "PONG 42 x"],
    [
      historyLine(new Date(Date.UTC(2026, 10, 27, 1, 2, 3, 456)), "[alice]: hi"),
      "HISTORY 2026-11-27T01:02:03Z [alice]: hi",
    ],
  ];
  for (const [actual, expected] of cases) assert.equal(actual, expected);
});

Deno.test("no server line but a chat line starts with [", () => {
  const lines = [
    actionLine("alice", "x"),
    privateLine("alice", "x"),
    sentLine("alice", "x"),
    whoLine(["alice"]),
    pongLine("x"),
    historyLine(new Date(0), "[alice]: x"),
  ];
  for (const line of lines) assert.ok(!line.startsWith("["), line);
});
