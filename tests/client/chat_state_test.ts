import assert from "@nanochat/assert";
import { ChatState } from "../../client/chat_state.ts";

// deno-lint-ignore no-control-regex -- finding control characters is the point
const UNSAFE_CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

/** A state for `name` that has seen `lines`, in order. */
function stateAfter(name: string, lines: readonly string[]): ChatState {
  const state = new ChatState(name);
  for (const line of lines) state.observe(line);
  return state;
}

Deno.test("new ChatState() starts with the login name and nobody else", () => {
  const state = new ChatState("alice");
  assert.equal(state.name, "alice");
  assert.deepEqual(state.otherNames, []);
});

Deno.test("ChatState.observe() learns other users' names from the lines they cause", () => {
  const cases: { line: string; expected: string[] }[] = [
    { line: "[bob]: hi", expected: ["bob"] },
    { line: "[bob]: ", expected: ["bob"] },
    { line: "PRIVATE [bob]: hi", expected: ["bob"] },
    { line: "* bob waves", expected: ["bob"] },
    { line: "NOTICE join: bob joined", expected: ["bob"] },
    { line: "[bob]: [carol]: forged", expected: ["bob"] },
  ];
  for (const { line, expected } of cases) {
    assert.deepEqual(stateAfter("alice", [line]).otherNames, expected, JSON.stringify(line));
  }
});

Deno.test("ChatState.observe() learns nothing from lines that name nobody new", () => {
  const lines = [
    "NOTICE welcome: Welcome to nanochat, 2 users online",
    "NOTICE help: MSG name text sends a private message",
    "NOTICE shutdown: The server is shutting down",
    "ERROR no-such-user: Nobody is called bob",
    "ERROR name-taken: The name bob is in use",
    "PONG keepalive",
    "hello from an old server",
    "",
  ];
  for (const line of lines) {
    assert.deepEqual(stateAfter("alice", [line]).otherNames, [], JSON.stringify(line));
  }
});

Deno.test("ChatState.observe() forgets users who quit or were disconnected", () => {
  const cases: { line: string; expected: string[] }[] = [
    { line: "NOTICE quit: bob left", expected: ["carol"] },
    { line: "NOTICE quit: bob left (gone fishing)", expected: ["carol"] },
    { line: "NOTICE disconnect: bob was disconnected (idle timeout)", expected: ["carol"] },
    { line: "NOTICE quit: BOB left", expected: ["carol"] },
    { line: "NOTICE quit: dave left", expected: ["bob", "carol"] },
  ];
  for (const { line, expected } of cases) {
    const state = stateAfter("alice", ["[bob]: hi", "* carol waves", line]);
    assert.deepEqual(state.otherNames, expected, JSON.stringify(line));
  }
});

Deno.test("ChatState.observe() adds everyone a WHO reply lists, without the user", () => {
  // WHO lists one room's users: those in other rooms are still online.
  const state = stateAfter("alice", ["[dave]: hi", "WHO 3: alice bob carol"]);
  assert.deepEqual(state.otherNames, ["bob", "carol", "dave"]);
  assert.equal(state.name, "alice");

  const shouted = stateAfter("Alice", ["WHO 2: ALICE bob"]);
  assert.deepEqual(shouted.otherNames, ["bob"]);

  const elsewhere = stateAfter("alice", ["[bob]: hi", "#rust WHO 2: alice erin"]);
  assert.deepEqual(elsewhere.otherNames, ["bob", "erin"]);
});

Deno.test("ChatState.observe() follows the user's own NICK, ignoring case", () => {
  const cases: { name: string; line: string; expected: string }[] = [
    { name: "alice", line: "NOTICE nick: alice is now alicia", expected: "alicia" },
    { name: "Alice", line: "NOTICE nick: alice is now x", expected: "x" },
    { name: "alice", line: "NOTICE nick: ALICE is now Alice", expected: "Alice" },
    { name: "alice", line: "NOTICE nick: bob is now robert", expected: "alice" },
  ];
  for (const { name, line, expected } of cases) {
    const state = stateAfter(name, [line]);
    assert.equal(state.name, expected, JSON.stringify({ name, line }));
    assert.ok(
      !state.otherNames.some((other) => other.toLowerCase() === expected.toLowerCase()),
      `own name among others after ${JSON.stringify(line)}: ${state.otherNames}`,
    );
  }
});

Deno.test("ChatState.observe() keeps the user's old name out once renamed", () => {
  const state = stateAfter("alice", ["NOTICE nick: alice is now alicia", "[alice]: hi"]);
  assert.equal(state.name, "alicia");
  assert.deepEqual(state.otherNames, ["alice"]);
  assert.deepEqual(stateAfter("alicia", ["[alicia]: echo"]).otherNames, []);
});

Deno.test("ChatState.observe() renames another user it knows", () => {
  const cases: { before: string[]; line: string; expected: string[] }[] = [
    { before: ["[bob]: hi"], line: "NOTICE nick: bob is now robert", expected: ["robert"] },
    { before: ["[bob]: hi"], line: "NOTICE nick: Bob is now Robert", expected: ["Robert"] },
    { before: ["[bob]: hi"], line: "NOTICE nick: bob is now BOB", expected: ["BOB"] },
    { before: [], line: "NOTICE nick: bob is now robert", expected: ["robert"] },
    {
      before: ["[bob]: hi", "[carol]: hi"],
      line: "NOTICE nick: carol is now aaron",
      expected: ["aaron", "bob"],
    },
  ];
  for (const { before, line, expected } of cases) {
    const state = stateAfter("alice", [...before, line]);
    assert.deepEqual(state.otherNames, expected, JSON.stringify(line));
    assert.equal(state.name, "alice");
  }
});

Deno.test("ChatState.observe() never lists the user's own name among the others", () => {
  const cases: { name: string; lines: string[] }[] = [
    { name: "alice", lines: ["[alice]: hi"] },
    { name: "alice", lines: ["* Alice waves"] },
    { name: "Alice", lines: ["NOTICE join: alice joined"] },
    { name: "alice", lines: ["PRIVATE [ALICE]: hi"] },
    { name: "alice", lines: ["WHO 2: alice bob"] },
    { name: "alice", lines: ["[bob]: hi", "NOTICE nick: bob is now Alice"] },
  ];
  for (const { name, lines } of cases) {
    const state = stateAfter(name, lines);
    const own = state.name.toLowerCase();
    assert.ok(
      !state.otherNames.some((other) => other.toLowerCase() === own),
      `${JSON.stringify(lines)} as ${name}: ${JSON.stringify(state.otherNames)}`,
    );
  }
});

Deno.test("ChatState.observe() drops a known name when the user takes it with NICK", () => {
  // The server lets the user take a name only when nobody online holds it, so
  // a name still known here is stale (its leave notice was missed).
  const state = stateAfter("alice", ["[alicia]: hi", "NOTICE nick: alice is now alicia"]);
  assert.equal(state.name, "alicia");
  assert.deepEqual(state.otherNames, []);
  assert.deepEqual(state.complete("/msg ali"), [[], "ali"]);
});

Deno.test("ChatState.otherNames is sorted and unique ignoring case", () => {
  const state = stateAfter("alice", [
    "[carol]: hi",
    "* Bob waves",
    "NOTICE join: dave joined",
    "[bob]: again",
    "PRIVATE [BOB]: psst",
    "[bert]: hi",
  ]);
  // Which spelling of bob is kept does not matter; that there is one does.
  assert.deepEqual(state.otherNames.map((name) => name.toLowerCase()), [
    "bert",
    "bob",
    "carol",
    "dave",
  ]);
  assert.equal(stateAfter("alice", ["[Bob]: hi", "[bob]: hi"]).otherNames.length, 1);
  assert.deepEqual(stateAfter("alice", ["[carol]: hi", "[bob]: hi", "[al]: hi"]).otherNames, [
    "al",
    "bob",
    "carol",
  ]);
  assert.deepEqual(
    stateAfter("alice", ["NOTICE join: \uFF22\uFF4F\uFF42 joined", "[bob]: hi"]).otherNames,
    ["bob"],
  );
});

Deno.test("ChatState.otherNames is a copy the caller cannot use to change the state", () => {
  const state = stateAfter("alice", ["[bob]: hi"]);
  state.otherNames.push("mallory");
  assert.deepEqual(state.otherNames, ["bob"]);
});

Deno.test("ChatState.complete() completes the last word with known names", () => {
  const state = stateAfter("alice", ["[bob]: hi", "[bert]: hi", "[carol]: hi", "[Alan]: hi"]);
  const cases: { input: string; expected: [string[], string] }[] = [
    { input: "", expected: [[], ""] },
    { input: "hi ", expected: [[], ""] },
    { input: "/msg ", expected: [[], ""] },
    { input: "/msg b", expected: [["bert", "bob"], "b"] },
    { input: "b", expected: [["bert", "bob"], "b"] },
    { input: "/msg bo", expected: [["bob "], "bo"] },
    { input: "/msg bob", expected: [["bob "], "bob"] },
    { input: "B", expected: [["bert", "bob"], "B"] },
    { input: "BO", expected: [["bob "], "BO"] },
    { input: "hi al", expected: [["Alan "], "al"] },
    { input: "hi c", expected: [["carol "], "c"] },
    { input: "hi carol and b", expected: [["bert", "bob"], "b"] },
    { input: "hi z", expected: [[], "z"] },
    { input: "/msg bobby", expected: [[], "bobby"] },
    { input: "/msg ob", expected: [[], "ob"] },
  ];
  for (const { input, expected } of cases) {
    assert.deepEqual(state.complete(input), expected, JSON.stringify(input));
  }
});

Deno.test("ChatState.complete() never offers the user's own name", () => {
  const state = stateAfter("alice", ["WHO 3: alice alan bob"]);
  assert.deepEqual(state.complete("/msg al"), [["alan "], "al"]);
  assert.deepEqual(new ChatState("alice").complete("al"), [[], "al"]);
});

Deno.test("ChatState.complete() follows joins, leaves and renames", () => {
  const state = new ChatState("alice");
  assert.deepEqual(state.complete("b"), [[], "b"]);
  state.observe("NOTICE join: bob joined");
  assert.deepEqual(state.complete("b"), [["bob "], "b"]);
  state.observe("NOTICE nick: bob is now robert");
  assert.deepEqual(state.complete("b"), [[], "b"]);
  assert.deepEqual(state.complete("r"), [["robert "], "r"]);
  state.observe("NOTICE quit: robert left");
  assert.deepEqual(state.complete("r"), [[], "r"]);
});

Deno.test("ChatState.complete() completes a word that starts with # with room names", () => {
  const state = stateAfter("alice", [
    "[rusty]: hi",
    "#rust NOTICE joined: You joined #rust: 1 user",
    "LIST #ruby 2: gems",
    "#Go [bob]: hi",
  ]);
  const cases: { input: string; expected: [string[], string] }[] = [
    { input: "/switch #ru", expected: [["#ruby", "#rust"], "#ru"] },
    { input: "/switch #rus", expected: [["#rust "], "#rus"] },
    { input: "/join #RUS", expected: [["#rust "], "#RUS"] },
    { input: "/say #g", expected: [["#Go "], "#g"] },
    { input: "#l", expected: [["#lobby "], "#l"] },
    { input: "#", expected: [["#Go", "#lobby", "#ruby", "#rust"], "#"] },
    { input: "#x", expected: [[], "#x"] },
    // Without the #, names as before.
    { input: "ru", expected: [["rusty "], "ru"] },
  ];
  for (const { input, expected } of cases) {
    assert.deepEqual(state.complete(input), expected, JSON.stringify(input));
  }
});

Deno.test("ChatState.observe() learns names from the lines of every room", () => {
  const state = stateAfter("alice", [
    "#rust [bob]: hi",
    "#rust * carol waves",
    "#go NOTICE join: dave joined",
    "#rust HISTORY 2026-12-02T08:00:00Z [erin]: old",
  ]);
  assert.deepEqual(state.otherNames, ["bob", "carol", "dave"]);
  // Leaving a room is not leaving the server; quitting is.
  assert.deepEqual(
    stateAfter("alice", ["#rust [bob]: hi", "#rust NOTICE part: bob left"]).otherNames,
    ["bob"],
  );
  assert.deepEqual(
    stateAfter("alice", ["#rust [bob]: hi", "#rust NOTICE quit: bob left"]).otherNames,
    [],
  );
});

/** Lines a hostile or broken server could send. */
const hostileLines = [
  "[]: y",
  "[ ]: y",
  "[x]: ",
  "[x]:y",
  "[",
  "[]",
  "]: y",
  "PRIVATE []: y",
  "* ",
  "*  waves",
  "* x",
  "NOTICE join:  joined",
  "NOTICE join: joined",
  "NOTICE quit: ",
  "NOTICE quit:  left",
  "NOTICE nick:  is now ",
  "NOTICE nick: a is now ",
  "NOTICE nick:  is now b",
  "WHO 0: ",
  "WHO 3:    ",
  "WHO -1: x",
  "WHO 99999999999999999999: x",
  "[__proto__]: y",
  "[constructor]: y",
  "* hasOwnProperty waves",
  "[\uD800]: lone surrogate",
  "[\u{1F600}]: emoji",
  `[${"x".repeat(100_000)}]: long`,
  "\uFFFD\uFFFD",
];

/** Control sequences a hostile server could put into a name. */
const hostilePayloads: Record<string, string> = {
  "CSI clear screen": "\x1b[2J",
  "OSC 52 clipboard": "\x1b]52;c;aGk=\x07",
  "C1 CSI": "\u009b31m",
  "bell": "\x07",
  "DEL": "\x7f",
  "NUL": "\x00",
};

Deno.test("ChatState.observe() does not throw on hostile or malformed lines", () => {
  const state = new ChatState("alice");
  for (const line of hostileLines) {
    state.observe(line);
    assert.ok(Array.isArray(state.otherNames), JSON.stringify(line));
    state.complete("x");
    state.complete("");
  }
  assert.equal(typeof state.name, "string");
  assert.ok(!state.otherNames.includes(""), JSON.stringify(state.otherNames));
});

Deno.test("ChatState never offers control characters from a hostile server to the terminal", () => {
  // node:readline writes completions to the terminal as they are: a name
  // with an escape sequence in it must not come back from complete().
  for (const [payloadName, payload] of Object.entries(hostilePayloads)) {
    for (const name of [payload, `mal${payload}lory`]) {
      const lines = [
        `[${name}]: hi`,
        `PRIVATE [${name}]: hi`,
        `* ${name} waves`,
        `NOTICE join: ${name} joined`,
        `WHO 2: alice ${name}`,
        `NOTICE nick: bob is now ${name}`,
        `#${name} [bob]: hi`,
        `LIST #${name} 1: x`,
        `NOTICE current: #${name} is your current room`,
        `NOTICE joined: You joined #${name}: 1 user`,
      ];
      for (const line of lines) {
        const state = stateAfter("alice", ["[bob]: hi", line]);
        const label = `${payloadName} in ${JSON.stringify(line)}`;
        for (const other of state.otherNames) {
          assert.doesNotMatch(other, UNSAFE_CONTROL, `otherNames after ${label}`);
        }
        for (const input of ["m", "mal", payload.slice(0, 1), "b", "#", "#m"]) {
          const [completions] = state.complete(input);
          for (const completion of completions) {
            assert.doesNotMatch(
              completion,
              UNSAFE_CONTROL,
              `complete(${JSON.stringify(input)}) after ${label}`,
            );
          }
        }
      }
    }
  }
});
