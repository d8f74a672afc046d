import assert from "@nanochat/assert";
import {
  actionLine,
  chatLine,
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
import { parseServerLine, type ServerLine } from "../../protocol/server_lines.ts";

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
  ];
  for (const [line, expected] of cases) assert.deepEqual(parseServerLine(line), expected, line);
});

Deno.test("parseServerLine() calls anything else other", () => {
  for (
    const line of ["", "hello", "ERROR Flood: caps are not a code", "WHO: nobody", "[no colon]"]
  ) {
    assert.deepEqual(parseServerLine(line), { kind: "other", text: line }, line);
  }
});
