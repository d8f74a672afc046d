import assert from "@nanochat/assert";
import { INPUT_HELP, type InputAction, parseInput } from "../../client/input.ts";

Deno.test("parseInput() turns typed lines into client actions", () => {
  const cases: { input: string; expected: InputAction }[] = [
    // Plain text is a chat message, kept exactly as typed.
    { input: "hi all", expected: { kind: "send", line: "*hi all", message: "hi all" } },
    { input: "  hi  ", expected: { kind: "send", line: "*  hi  ", message: "  hi  " } },
    { input: "hi\tthere", expected: { kind: "send", line: "*hi\tthere", message: "hi\tthere" } },
    { input: "QUIT", expected: { kind: "send", line: "*QUIT", message: "QUIT" } },
    { input: " /quit", expected: { kind: "send", line: "* /quit", message: " /quit" } },
    // Blank lines do nothing.
    { input: "", expected: { kind: "nothing" } },
    { input: "   ", expected: { kind: "nothing" } },
    { input: "\t", expected: { kind: "nothing" } },
    // `//` escapes one leading slash.
    { input: "//shrug", expected: { kind: "send", line: "*/shrug", message: "/shrug" } },
    { input: "///x", expected: { kind: "send", line: "*//x", message: "//x" } },
    { input: "//quit", expected: { kind: "send", line: "*/quit", message: "/quit" } },
    // The client's own commands, whose word is case-insensitive.
    { input: "/quit", expected: { kind: "quit", line: "QUIT" } },
    { input: "/Quit", expected: { kind: "quit", line: "QUIT" } },
    { input: "/QUIT gone for lunch", expected: { kind: "quit", line: "QUIT gone for lunch" } },
    { input: "/quit   gone", expected: { kind: "quit", line: "QUIT gone" } },
    { input: "/quit gone  ", expected: { kind: "quit", line: "QUIT gone" } },
    { input: "/help", expected: { kind: "help" } },
    { input: "/HELP", expected: { kind: "help" } },
    { input: "/help me", expected: { kind: "help" } },
    // A slash with no word after it.
    {
      input: "/",
      expected: { kind: "invalid", reason: "Type a command after the /, or /help" },
    },
    {
      input: "/ x",
      expected: { kind: "invalid", reason: "Type a command after the /, or /help" },
    },
    // Any other word goes to the server as a special command.
    { input: "/who", expected: { kind: "send", line: "WHO" } },
    { input: "/msg bob hi there", expected: { kind: "send", line: "MSG bob hi there" } },
    { input: "/me waves", expected: { kind: "send", line: "ME waves", action: "waves" } },
    { input: "/me", expected: { kind: "send", line: "ME" } },
    // Command words are upper-cased ASCII only: dotless ı must not make QUIT.
    { input: "/qu\u0131t", expected: { kind: "send", line: "QU\u0131T" } },
    { input: "/qu\u0131t bye", expected: { kind: "send", line: "QU\u0131T bye" } },
  ];
  for (const { input, expected } of cases) {
    assert.deepEqual(parseInput(input), expected, JSON.stringify(input));
  }
});

Deno.test("parseInput() gives server commands no message to echo", () => {
  for (const input of ["/who", "/msg bob hi", "/nick alicia"]) {
    const action = parseInput(input);
    assert.equal(action.kind, "send", JSON.stringify(input));
    assert.ok(!("message" in action), `${JSON.stringify(input)} has no message field`);
  }
});

Deno.test("INPUT_HELP mentions /quit, /help and //", () => {
  const help = INPUT_HELP.join("\n");
  for (const command of ["/quit", "/help", "//", "/me", "/msg", "/nick", "/who"]) {
    assert.ok(help.includes(command), `help mentions ${command}`);
  }
});
