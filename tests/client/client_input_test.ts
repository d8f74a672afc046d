import assert from "@nanochat/assert";
import {
  INPUT_HELP,
  type InputAction,
  type Keypress,
  parseInput,
  type RoomKey,
  roomKeyOf,
} from "../../client/input.ts";
import { COMMANDS, commandUsage } from "../../protocol/commands.ts";

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

Deno.test("INPUT_HELP leaves a gap after every command's usage, however long", () => {
  for (const spec of COMMANDS.filter((spec) => spec.word !== "*")) {
    const usage = "/" + commandUsage(spec).toLowerCase();
    const line = INPUT_HELP.find((line) => line.startsWith(usage + " ")) ?? "";
    assert.match(line.slice(usage.length), /^ {2,}\S/, `${usage} in ${JSON.stringify(line)}`);
  }
});

Deno.test("INPUT_HELP tells the room keys and what the prompt and tags mean", () => {
  const help = INPUT_HELP.join("\n");
  for (const text of ["Alt-1", "Alt-9", "Ctrl-N", "Ctrl-P", "[#rust 3]", "[#rust] bob", "#"]) {
    assert.ok(help.includes(text), `help mentions ${text}`);
  }
});

Deno.test("parseInput() passes room commands on, adding the # only a room can need", () => {
  const cases: { input: string; expected: InputAction }[] = [
    { input: "/join #rust", expected: { kind: "send", line: "JOIN #rust" } },
    { input: "/join rust", expected: { kind: "send", line: "JOIN #rust" } },
    { input: "/JOIN  #Rust ", expected: { kind: "send", line: "JOIN #Rust" } },
    { input: "/join", expected: { kind: "send", line: "JOIN" } },
    { input: "/switch #rust", expected: { kind: "send", line: "SWITCH #rust" } },
    { input: "/switch rust", expected: { kind: "send", line: "SWITCH #rust" } },
    { input: "/part", expected: { kind: "send", line: "PART" } },
    { input: "/part #rust", expected: { kind: "send", line: "PART #rust" } },
    { input: "/part #rust see you", expected: { kind: "send", line: "PART #rust see you" } },
    // Without a #, what follows PART or TOPIC is a reason or a topic.
    { input: "/part see you", expected: { kind: "send", line: "PART see you" } },
    { input: "/list", expected: { kind: "send", line: "LIST" } },
    { input: "/topic", expected: { kind: "send", line: "TOPIC" } },
    { input: "/topic #rust", expected: { kind: "send", line: "TOPIC #rust" } },
    { input: "/topic Rust talk", expected: { kind: "send", line: "TOPIC Rust talk" } },
    { input: "/topic #rust Rust talk", expected: { kind: "send", line: "TOPIC #rust Rust talk" } },
    // SAY is shown, in its room, as the server does not echo it.
    {
      input: "/say #rust hi there",
      expected: { kind: "send", line: "SAY #rust hi there", message: "hi there", room: "#rust" },
    },
    {
      input: "/say rust hi",
      expected: { kind: "send", line: "SAY #rust hi", message: "hi", room: "#rust" },
    },
    {
      input: "/say #rust   spaced",
      expected: { kind: "send", line: "SAY #rust   spaced", message: "spaced", room: "#rust" },
    },
    // Nothing to say: the server answers with the usage.
    { input: "/say #rust", expected: { kind: "send", line: "SAY #rust" } },
    { input: "/say", expected: { kind: "send", line: "SAY" } },
  ];
  for (const { input, expected } of cases) {
    assert.deepEqual(parseInput(input), expected, JSON.stringify(input));
  }
});

Deno.test("roomKeyOf() knows Alt-1…Alt-9, Ctrl-N and Ctrl-P and no other key", () => {
  const cases: { key: Keypress | undefined; expected: RoomKey | undefined }[] = [
    { key: { name: "1", meta: true }, expected: { kind: "nth", position: 1 } },
    { key: { name: "9", meta: true }, expected: { kind: "nth", position: 9 } },
    { key: { name: "n", ctrl: true }, expected: { kind: "step", step: 1 } },
    { key: { name: "p", ctrl: true }, expected: { kind: "step", step: -1 } },
    { key: { name: "0", meta: true }, expected: undefined },
    { key: { name: "1" }, expected: undefined },
    { key: { name: "1", meta: true, ctrl: true }, expected: undefined },
    { key: { name: "n" }, expected: undefined },
    { key: { name: "n", meta: true }, expected: undefined },
    { key: { name: "n", ctrl: true, shift: true }, expected: undefined },
    { key: { name: "d", ctrl: true }, expected: undefined },
    { key: { name: "up" }, expected: undefined },
    { key: {}, expected: undefined },
    { key: undefined, expected: undefined },
  ];
  for (const { key, expected } of cases) {
    assert.deepEqual(roomKeyOf(key), expected, JSON.stringify(key));
  }
});
