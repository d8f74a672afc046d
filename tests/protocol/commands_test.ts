import assert from "@nanochat/assert";
import { type Command, parseCommand } from "../../protocol/commands.ts";

Deno.test("parseCommand() understands messages, QUIT, empty lines and unknown words", () => {
  const cases: { line: string; expected: Command }[] = [
    { line: "*hi", expected: { kind: "message", text: "hi" } },
    { line: "*hello, world", expected: { kind: "message", text: "hello, world" } },
    { line: "* spaced", expected: { kind: "message", text: " spaced" } },
    { line: "*trailing ", expected: { kind: "message", text: "trailing " } },
    { line: "**", expected: { kind: "message", text: "*" } },
    { line: "*QUIT", expected: { kind: "message", text: "QUIT" } },
    { line: "*", expected: { kind: "nothing" } },
    { line: "", expected: { kind: "nothing" } },
    { line: "QUIT", expected: { kind: "quit", reason: "" } },
    { line: "quit", expected: { kind: "quit", reason: "" } },
    { line: "Quit", expected: { kind: "quit", reason: "" } },
    { line: "QUIT ", expected: { kind: "quit", reason: "" } },
    { line: "QUIT gone for lunch", expected: { kind: "quit", reason: "gone for lunch" } },
    { line: "quit  Back Soon  ", expected: { kind: "quit", reason: "Back Soon" } },
    { line: "QUITTER", expected: { kind: "unknown", word: "QUITTER" } },
    { line: "QUI", expected: { kind: "unknown", word: "QUI" } },
    { line: "foo bar", expected: { kind: "unknown", word: "foo" } },
    { line: "Foo", expected: { kind: "unknown", word: "Foo" } },
    { line: "hi there", expected: { kind: "unknown", word: "hi" } },
    { line: " QUIT", expected: { kind: "unknown", word: "" } },
    { line: " *hi", expected: { kind: "unknown", word: "" } },
  ];
  for (const { line, expected } of cases) {
    assert.deepEqual(parseCommand(line), expected, JSON.stringify(line));
  }
});

Deno.test("parseCommand() matches command words by ASCII case only", () => {
  assert.deepEqual(parseCommand("qu\u0131t"), { kind: "unknown", word: "qu\u0131t" });
  assert.deepEqual(parseCommand("qUiT"), { kind: "quit", reason: "" });
});
