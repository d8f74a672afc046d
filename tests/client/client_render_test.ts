import assert from "@nanochat/assert";
import {
  isKeepaliveReply,
  KEEPALIVE_TOKEN,
  nameColorIndex,
  plainLine,
  renderInfo,
  type RenderOptions,
  renderOwnAction,
  renderOwnMessage,
  renderPrompt,
  renderServerLine,
} from "../../client/render.ts";
import type { RoomView } from "../../client/room_state.ts";
import { createStyle, NAME_COLOR_COUNT } from "../../client/style.ts";

// Local-time components, so the clock reads 03:04:05 in every time zone.
const now = new Date(2026, 0, 2, 3, 4, 5);

const plain: RenderOptions = { style: createStyle(false), timestamps: false };
const plainStamped: RenderOptions = { style: createStyle(false), timestamps: true };
const colour: RenderOptions = { style: createStyle(true), timestamps: false };
const colourStamped: RenderOptions = { style: createStyle(true), timestamps: true };

// The controls, and the bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
// deno-lint-ignore no-control-regex -- finding control characters is the point
const UNSAFE_CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// deno-lint-ignore no-control-regex -- the client's own SGR styles start with ESC
const CLIENT_SGR = /\x1b\[[0-9;]*m/g;

/** The bold name colour a styled line wraps `name` in. */
function nameSgr(text: string, name: string): string {
  // deno-lint-ignore no-control-regex -- the client's own SGR styles start with ESC
  const match = text.match(/\x1b\[1;(\d+)m([^\x1b]*)\x1b\[0m/);
  if (match === null) return assert.fail(`no bold coloured name in ${JSON.stringify(text)}`);
  assert.equal(match[2], name, JSON.stringify(text));
  return match[1]!;
}

Deno.test("renderServerLine() shows chat, error, notice and other lines as plain text", () => {
  const cases: { line: string; expected: string }[] = [
    { line: "[alice]: hi", expected: "alice: hi" },
    { line: "[alice]: ", expected: "alice: " },
    { line: "[alice]: a]: b", expected: "alice: a]: b" },
    { line: "ERROR name-taken: The name x is in use", expected: "! The name x is in use" },
    { line: "ERROR unknown-command: Unknown command DANCE", expected: "! Unknown command DANCE" },
    { line: "NOTICE shutdown: bye", expected: "-- bye" },
    { line: "hello from an old server", expected: "hello from an old server" },
    { line: "ERROR Name-Taken: upper-case code", expected: "ERROR Name-Taken: upper-case code" },
    { line: "WARNING shutdown: unknown keyword", expected: "WARNING shutdown: unknown keyword" },
    { line: "", expected: "" },
  ];
  for (const { line, expected } of cases) {
    assert.equal(renderServerLine(line, plain, now), expected, JSON.stringify(line));
  }
});

Deno.test("renderServerLine() starts each line with HH:MM when timestamps are on", () => {
  const cases: { line: string; expected: string }[] = [
    { line: "[alice]: hi", expected: "03:04 alice: hi" },
    { line: "ERROR name-taken: The name x is in use", expected: "03:04 ! The name x is in use" },
    { line: "NOTICE shutdown: bye", expected: "03:04 -- bye" },
    { line: "hello from an old server", expected: "03:04 hello from an old server" },
  ];
  for (const { line, expected } of cases) {
    assert.equal(renderServerLine(line, plainStamped, now), expected, JSON.stringify(line));
  }
  const late = new Date(2026, 11, 31, 23, 59, 59);
  assert.equal(renderServerLine("[alice]: hi", plainStamped, late), "23:59 alice: hi");
});

Deno.test("renderOwnMessage() marks the user's own message", () => {
  assert.equal(renderOwnMessage("alice", "hi", plain, now), "alice (you): hi");
  assert.equal(renderOwnMessage("alice", "hi", plainStamped, now), "03:04 alice (you): hi");
  assert.equal(renderOwnMessage("alice", " spaced ", plain, now), "alice (you):  spaced ");
});

Deno.test("renderInfo() shows the client's own messages after --", () => {
  assert.equal(renderInfo("text", plain), "-- text");
  assert.equal(renderInfo("text", plainStamped), "-- text");
  assert.equal(renderInfo("text", colour), "\x1b[2m-- text\x1b[0m");
});

Deno.test("plainLine() passes the line through, with the UTC time HH:MM:SSZ when asked", () => {
  // 03:04:05 UTC, whatever the local time zone (the server's HISTORY times are UTC).
  const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  const cases: { line: string; timestamps: boolean; expected: string }[] = [
    { line: "[alice]: hi", timestamps: false, expected: "[alice]: hi" },
    { line: "[alice]: hi", timestamps: true, expected: "03:04:05Z [alice]: hi" },
    { line: "ERROR name-taken: x", timestamps: false, expected: "ERROR name-taken: x" },
    { line: "NOTICE shutdown: bye", timestamps: true, expected: "03:04:05Z NOTICE shutdown: bye" },
    { line: "", timestamps: true, expected: "03:04:05Z " },
  ];
  for (const { line, timestamps, expected } of cases) {
    assert.equal(plainLine(line, timestamps, now), expected, JSON.stringify({ line, timestamps }));
  }
});

Deno.test("renderServerLine() with colour styles the name, errors, notices and the clock", () => {
  const code = nameSgr(renderServerLine("[alice]: hi", colour, now), "alice");
  assert.equal(renderServerLine("[alice]: hi", colour, now), `\x1b[1;${code}malice\x1b[0m: hi`);
  assert.equal(
    renderServerLine("[alice]: hi", colourStamped, now),
    `\x1b[2m03:04\x1b[0m \x1b[1;${code}malice\x1b[0m: hi`,
  );
  assert.equal(
    renderServerLine("ERROR name-taken: The name x is in use", colour, now),
    "\x1b[31m! The name x is in use\x1b[0m",
  );
  assert.equal(renderServerLine("NOTICE shutdown: bye", colour, now), "\x1b[33m-- bye\x1b[0m");
  assert.equal(
    renderServerLine("hello from an old server", colour, now),
    "hello from an old server",
  );
  assert.equal(
    renderOwnMessage("alice", "hi", colour, now),
    `\x1b[1;${code}malice\x1b[0m \x1b[2m(you)\x1b[0m: hi`,
  );
});

Deno.test("renderServerLine() gives a name the same colour whatever its case and call", () => {
  const alice = nameSgr(renderServerLine("[alice]: hi", colour, now), "alice");
  assert.equal(nameSgr(renderServerLine("[Alice]: hi", colour, now), "Alice"), alice);
  assert.equal(nameSgr(renderServerLine("[ALICE]: yo", colourStamped, now), "ALICE"), alice);
  assert.equal(nameSgr(renderServerLine("[alice]: again", colour, now), "alice"), alice);
  assert.equal(nameSgr(renderOwnMessage("Alice", "hi", colour, now), "Alice"), alice);
  const style = createStyle(true);
  assert.equal(style.nameColor(nameColorIndex("alice"), "alice"), `\x1b[1;${alice}malice\x1b[0m`);
});

Deno.test("nameColorIndex() is stable across releases", () => {
  // Pinned so that a change of hash, which recolours every user, is noticed.
  const cases: { name: string; expected: number }[] = [
    { name: "alice", expected: 7 },
    { name: "bob", expected: 4 },
    { name: "carol", expected: 2 },
  ];
  for (const { name, expected } of cases) {
    assert.equal(nameColorIndex(name), expected, name);
  }
});

Deno.test("nameColorIndex() is the same for names that are one user", () => {
  const cases = [["alice", "Alice"], ["alice", "ALICE"], [
    "alice",
    "\uFF21\uFF4C\uFF49\uFF43\uFF45",
  ]];
  for (const [a, b] of cases) {
    assert.equal(nameColorIndex(a!), nameColorIndex(b!), `${a} and ${b}`);
  }
});

Deno.test("nameColorIndex() stays in range and spreads names over the colours", () => {
  assert.equal(NAME_COLOR_COUNT, 8);
  const names = Array.from({ length: 100 }, (_, i) => `user${i}`);
  names.push("", "a", "\u00e9", "\u{1F600}", "x".repeat(32));
  const colours = new Set<number>();
  for (const name of names) {
    const index = nameColorIndex(name);
    assert.ok(
      Number.isInteger(index) && index >= 0 && index < NAME_COLOR_COUNT,
      `${JSON.stringify(name)} got ${index}`,
    );
    colours.add(index);
  }
  assert.equal(
    colours.size,
    NAME_COLOR_COUNT,
    `${colours.size} colours over ${names.length} names`,
  );
});

Deno.test("renderServerLine() keeps TAB and makes an escape visible as U+FFFD", () => {
  assert.equal(renderServerLine("[alice]: a\tb", plain, now), "alice: a\tb");
  assert.equal(renderServerLine("[alice]: \x1b[2Jhi", plain, now), "alice: \uFFFD[2Jhi");
  assert.equal(renderServerLine("[al\x07ice]: hi", plain, now), "al\uFFFDice: hi");
  assert.equal(plainLine("[alice]: a\tb", false, now), "[alice]: a\tb");
  assert.equal(renderOwnMessage("alice", "a\tb", plain, now), "alice (you): a\tb");
  assert.equal(renderInfo("a\tb", plain), "-- a\tb");
  assert.equal(renderServerLine("NOTICE shutdown: a\tb", colour, now), "\x1b[33m-- a\tb\x1b[0m");
});

/** Ways a hostile server could try to drive the user's terminal. */
const attacks: Record<string, string> = {
  "CSI clear screen": "\x1b[2J",
  "CSI cursor home": "\x1b[H",
  "CSI cursor up": "\x1b[3A",
  "CSI cursor position": "\x1b[10;20H",
  "CSI erase line": "\x1b[2K",
  "SGR colour": "\x1b[31m",
  "OSC 0 title": "\x1b]0;pwned\x07",
  "OSC 0 title ended by ST": "\x1b]0;pwned\x1b\\",
  "OSC 52 clipboard": "\x1b]52;c;aGk=\x07",
  "OSC 8 hyperlink": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
  "C1 CSI": "\u009b31m",
  "C1 OSC": "\u009d0;pwned\u009c",
  "bell": "\x07",
  "backspaces": "abc\b\b\bxyz",
  "CR overwrite": "\r[bob]: forged",
  "LF forged line": "\n[bob]: forged",
  "DEL": "\x7f",
  "NUL": "\x00",
  "every unsafe control": Array.from({ length: 0xa0 }, (_, codePoint) => codePoint)
    .filter((cp) => (cp <= 0x1f && cp !== 0x09) || cp >= 0x7f)
    .map((codePoint) => String.fromCodePoint(codePoint))
    .join(""),
  "right-to-left override": "\u202Eexe.txt",
  "bidi isolate": "\u2067forged\u2069",
  "every bidi control": "\u061C\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069",
};

/** Where in a server line the attack is placed. */
const placements: Record<string, (attack: string) => string> = {
  "chat text": (attack) => `[alice]: hi ${attack} there\tok`,
  "chat name": (attack) => `[al${attack}ice]: hi`,
  "ERROR text": (attack) => `ERROR name-taken: The name ${attack} is in use`,
  "NOTICE text": (attack) => `NOTICE shutdown: bye ${attack}`,
  "unrecognised line": (attack) => `hello ${attack} from an old server`,
  "line start": (attack) => `${attack}[alice]: hi`,
  "room prefix": (attack) => `#ru${attack}st [alice]: hi`,
  "room line text": (attack) => `#rust [alice]: hi ${attack}`,
  "room notice": (attack) => `#rust NOTICE topic: alice set the topic: ${attack}`,
  "TOPIC text": (attack) => `#rust TOPIC: ${attack}`,
  "LIST topic": (attack) => `LIST #rust 3: ${attack}`,
};

function assertNoControls(text: string, label: string): void {
  assert.doesNotMatch(text, UNSAFE_CONTROL, `${label}: ${JSON.stringify(text)}`);
}

/** Styled output may hold only the client's own SGR codes, around what plain output shows. */
function assertOnlyClientStyles(styled: string, unstyled: string, label: string): void {
  const stripped = styled.replace(CLIENT_SGR, "");
  assertNoControls(stripped, `${label} (colour, own styles removed)`);
  assert.equal(stripped, unstyled, `${label}: colour adds nothing but styles`);
}

Deno.test("render functions never pass a server's control characters to the terminal", () => {
  for (const [attackName, attack] of Object.entries(attacks)) {
    for (const [placementName, place] of Object.entries(placements)) {
      const line = place(attack);
      const label = `${attackName} in ${placementName}`;
      for (const timestamps of [false, true]) {
        const off = { style: createStyle(false), timestamps };
        const on = { style: createStyle(true), timestamps };
        const tag = `${label}, timestamps ${timestamps}`;

        const server = renderServerLine(line, off, now);
        assertNoControls(server, `renderServerLine ${tag}`);
        assertOnlyClientStyles(renderServerLine(line, on, now), server, `renderServerLine ${tag}`);

        assertNoControls(plainLine(line, timestamps, now), `plainLine ${tag}`);

        const own = renderOwnMessage("alice", line, off, now);
        assertNoControls(own, `renderOwnMessage ${tag}`);
        assertOnlyClientStyles(renderOwnMessage("alice", line, on, now), own, `own ${tag}`);

        const info = renderInfo(line, off);
        assertNoControls(info, `renderInfo ${tag}`);
        assertOnlyClientStyles(renderInfo(line, on), info, `renderInfo ${tag}`);
      }
    }
  }
});

Deno.test("render functions show bidi controls as U+FFFD, one for each", () => {
  const bidi = "\u061C\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069";
  const shown = "\uFFFD".repeat(12);
  assert.equal(renderServerLine("[mallory]: \u202Etxt.exe", plain, now), "mallory: \uFFFDtxt.exe");
  assert.equal(renderServerLine(`[mallory]: ${bidi}`, plain, now), `mallory: ${shown}`);
  assert.equal(renderServerLine(`* mallory ${bidi}`, plain, now), `* mallory ${shown}`);
  assert.equal(plainLine(`[mallory]: ${bidi}`, false, now), `[mallory]: ${shown}`);
  assert.equal(renderOwnMessage("alice", bidi, plain, now), `alice (you): ${shown}`);
  assert.equal(renderInfo(bidi, plain), `-- ${shown}`);
  // Letters of right-to-left scripts are text, not controls: they stay.
  assert.equal(renderServerLine("[alice]: שלום سلام", plain, now), "alice: שלום سلام");
});

Deno.test("render functions keep TAB next to hostile controls", () => {
  const line = "[alice]: a\tb\x1b[2J";
  assert.ok(renderServerLine(line, plain, now).includes("a\tb"));
  assert.ok(renderServerLine(line, colour, now).includes("a\tb"));
  assert.ok(plainLine(line, false, now).includes("a\tb"));
  assert.ok(renderOwnMessage("alice", line, plain, now).includes("a\tb"));
  assert.ok(renderInfo(line, colour).includes("a\tb"));
});

Deno.test("renderOwnMessage() never passes control characters in the user's own name", () => {
  // The name comes from the command line, unchecked until the server answers;
  // render.ts promises that the only escapes in its output are its own.
  for (const [attackName, attack] of Object.entries(attacks)) {
    const name = `al${attack}ice`;
    const off = renderOwnMessage(name, "hi", plain, now);
    assertNoControls(off, `renderOwnMessage name with ${attackName}`);
    assertOnlyClientStyles(renderOwnMessage(name, "hi", colour, now), off, `name ${attackName}`);
  }
});

/** `HH:MM` of an instant on this machine's clock, so expectations hold in every time zone. */
function localClock(time: Date): string {
  return [time.getHours(), time.getMinutes()].map((part) => String(part).padStart(2, "0"))
    .join(":");
}

Deno.test("renderServerLine() shows actions, private messages, WHO and notices as plain text", () => {
  const cases: { line: string; expected: string }[] = [
    { line: "* alice waves", expected: "* alice waves" },
    { line: "* alice waves at bob", expected: "* alice waves at bob" },
    { line: "* alice  spaced", expected: "* alice  spaced" },
    { line: "PRIVATE [alice]: psst", expected: "alice → you: psst" },
    { line: "PRIVATE [alice]: a]: b", expected: "alice → you: a]: b" },
    { line: "SENT [bob]: psst", expected: "you → bob: psst" },
    { line: "WHO 3: alice bob carol", expected: "-- 3 users online: alice, bob, carol" },
    { line: "WHO 1: alice", expected: "-- 1 user online: alice" },
    { line: "WHO 2: alice bob", expected: "-- 2 users online: alice, bob" },
    { line: "NOTICE join: bob joined", expected: "-- bob joined" },
    { line: "NOTICE quit: bob left", expected: "-- bob left" },
    { line: "NOTICE quit: bob left (gone fishing)", expected: "-- bob left (gone fishing)" },
    {
      line: "NOTICE disconnect: bob was disconnected (idle timeout)",
      expected: "-- bob was disconnected (idle timeout)",
    },
    { line: "NOTICE nick: alice is now alicia", expected: "-- alice is now alicia" },
    { line: "NOTICE welcome: Welcome to nanochat", expected: "-- Welcome to nanochat" },
    { line: "NOTICE help: HELP lists commands", expected: "-- HELP lists commands" },
    { line: "ERROR no-such-user: Nobody is called bob", expected: "! Nobody is called bob" },
    { line: "PONG abc", expected: "PONG abc" },
    { line: "PONG", expected: "PONG" },
    { line: "*hello", expected: "*hello" },
    { line: "private [alice]: psst", expected: "private [alice]: psst" },
  ];
  for (const { line, expected } of cases) {
    assert.equal(renderServerLine(line, plain, now), expected, JSON.stringify(line));
  }
});

Deno.test("renderServerLine() stamps actions, private messages and WHO with HH:MM", () => {
  const cases: { line: string; expected: string }[] = [
    { line: "* alice waves", expected: "03:04 * alice waves" },
    { line: "PRIVATE [alice]: psst", expected: "03:04 alice → you: psst" },
    { line: "SENT [bob]: psst", expected: "03:04 you → bob: psst" },
    { line: "WHO 1: alice", expected: "03:04 -- 1 user online: alice" },
    { line: "NOTICE join: bob joined", expected: "03:04 -- bob joined" },
  ];
  for (const { line, expected } of cases) {
    assert.equal(renderServerLine(line, plainStamped, now), expected, JSON.stringify(line));
  }
});

Deno.test("renderServerLine() with colour gives names in actions and private messages their colour", () => {
  const alice = nameSgr(renderServerLine("[alice]: x", colour, now), "alice");
  const bob = nameSgr(renderServerLine("[bob]: x", colour, now), "bob");
  assert.notEqual(alice, bob);
  const cases: { line: string; expected: string }[] = [
    { line: "* alice waves", expected: `* \x1b[1;${alice}malice\x1b[0m waves` },
    { line: "* Alice waves", expected: `* \x1b[1;${alice}mAlice\x1b[0m waves` },
    {
      line: "PRIVATE [alice]: psst",
      expected: `\x1b[1;${alice}malice\x1b[0m \x1b[1m→ you\x1b[0m: psst`,
    },
    {
      line: "SENT [bob]: psst",
      expected: `\x1b[1myou →\x1b[0m \x1b[1;${bob}mbob\x1b[0m: psst`,
    },
    {
      line: "WHO 3: alice bob carol",
      expected: "\x1b[33m-- 3 users online: alice, bob, carol\x1b[0m",
    },
    { line: "NOTICE join: bob joined", expected: "\x1b[33m-- bob joined\x1b[0m" },
  ];
  for (const { line, expected } of cases) {
    assert.equal(renderServerLine(line, colour, now), expected, JSON.stringify(line));
  }
});

Deno.test("renderServerLine() shows a HISTORY line at its own time, on the local clock", () => {
  const time = "2026-01-02T03:04:05Z";
  const clock = localClock(new Date(time));
  const cases: { line: string; expected: string }[] = [
    { line: `HISTORY ${time} [alice]: hi`, expected: `~ ${clock} alice: hi` },
    { line: `HISTORY ${time} [alice]: `, expected: `~ ${clock} alice: ` },
    { line: `HISTORY ${time} * alice waves`, expected: `~ ${clock} * alice waves` },
    { line: `HISTORY ${time} [alice]: a b  c`, expected: `~ ${clock} alice: a b  c` },
    { line: `HISTORY ${time} old server text`, expected: `~ ${clock} old server text` },
  ];
  for (const { line, expected } of cases) {
    assert.equal(renderServerLine(line, plain, now), expected, JSON.stringify(line));
  }
  const late = "2026-12-31T23:59:59Z";
  assert.equal(
    renderServerLine(`HISTORY ${late} [bob]: yo`, plain, now),
    `~ ${localClock(new Date(late))} bob: yo`,
  );
});

Deno.test("renderServerLine() keeps the raw time of a HISTORY line whose time is no time", () => {
  const cases: { line: string; expected: string }[] = [
    { line: "HISTORY not-a-time [alice]: hi", expected: "~ not-a-time alice: hi" },
    { line: "HISTORY yesterday [alice]: hi", expected: "~ yesterday alice: hi" },
    {
      line: "HISTORY 2026-13-45T99:99:99Z [alice]: hi",
      expected: "~ 2026-13-45T99:99:99Z alice: hi",
    },
    { line: "HISTORY \uFFFD * alice waves", expected: "~ \uFFFD * alice waves" },
  ];
  for (const { line, expected } of cases) {
    assert.equal(renderServerLine(line, plain, now), expected, JSON.stringify(line));
    assert.equal(renderServerLine(line, plainStamped, now), expected, JSON.stringify(line));
  }
});

Deno.test("renderServerLine() keeps the raw time of a HISTORY line that is not ISO 8601 UTC", () => {
  // The protocol sends 2026-11-27T01:02:03Z; Date() also takes "12" or a bare
  // date, which would show a made-up clock as if the server had sent one.
  const times = ["12", "2026", "2026-01-02"];
  for (const time of times) {
    assert.equal(
      renderServerLine(`HISTORY ${time} [alice]: hi`, plain, now),
      `~ ${time} alice: hi`,
      time,
    );
  }
});

Deno.test("renderServerLine() with colour dims a HISTORY line rendered plain", () => {
  const time = "2026-01-02T03:04:05Z";
  const lines = [
    `HISTORY ${time} [alice]: hi`,
    `HISTORY ${time} * alice waves`,
    `HISTORY ${time} PRIVATE [alice]: psst`,
    `HISTORY ${time} NOTICE join: bob joined`,
    `HISTORY ${time} ERROR usage: bad`,
    "HISTORY not-a-time [alice]: hi",
  ];
  for (const line of lines) {
    for (const options of [colour, colourStamped]) {
      const styled = renderServerLine(line, options, now);
      const unstyled = renderServerLine(line, plain, now);
      assert.equal(styled, `\x1b[2m${unstyled}\x1b[0m`, JSON.stringify(line));
      assert.ok(!unstyled.includes("\x1b"), JSON.stringify(unstyled));
    }
  }
});

Deno.test("renderServerLine() with timestamps on stamps a HISTORY line with its time, not now", () => {
  // No time zone is 5:05 off UTC, so this clock never reads like `now` (03:04).
  const time = "2026-06-07T08:09:10Z";
  const clock = localClock(new Date(time));
  assert.notEqual(clock, localClock(now));
  const line = `HISTORY ${time} [alice]: hi`;
  assert.equal(renderServerLine(line, plainStamped, now), `~ ${clock} alice: hi`);
  assert.equal(renderServerLine(line, plain, now), `~ ${clock} alice: hi`);
  assert.equal(renderServerLine(line, colourStamped, now), `\x1b[2m~ ${clock} alice: hi\x1b[0m`);
  const late = new Date(2026, 11, 31, 23, 59, 59);
  assert.equal(renderServerLine(line, plainStamped, late), `~ ${clock} alice: hi`);
});

Deno.test("renderOwnAction() shows the user's /me action as others see it", () => {
  assert.equal(renderOwnAction("alice", "waves", plain, now), "* alice waves");
  assert.equal(renderOwnAction("alice", "waves", plainStamped, now), "03:04 * alice waves");
  assert.equal(renderOwnAction("alice", "a\tb", plain, now), "* alice a\tb");
  assert.equal(renderOwnAction("alice", " spaced ", plain, now), "* alice  spaced ");
  assert.equal(
    renderOwnAction("alice", "waves", plain, now),
    renderServerLine("* alice waves", plain, now),
  );
});

Deno.test("renderOwnAction() with colour gives the name the colour it has in chat lines", () => {
  const code = nameSgr(renderServerLine("[alice]: x", colour, now), "alice");
  const styled = renderOwnAction("alice", "waves", colour, now);
  assert.equal(nameSgr(styled, "alice"), code);
  assert.equal(styled, `* \x1b[1;${code}malice\x1b[0m waves`);
  assert.equal(nameSgr(renderOwnAction("Alice", "waves", colour, now), "Alice"), code);
  assert.equal(styled, renderServerLine("* alice waves", colour, now));
  assert.equal(
    renderOwnAction("alice", "waves", colourStamped, now),
    `\x1b[2m03:04\x1b[0m * \x1b[1;${code}malice\x1b[0m waves`,
  );
});

Deno.test("isKeepaliveReply() is true only for the reply to the client's own ping", () => {
  assert.equal(KEEPALIVE_TOKEN, "keepalive");
  const cases: { line: string; expected: boolean }[] = [
    { line: "PONG keepalive", expected: true },
    { line: `PONG ${KEEPALIVE_TOKEN}`, expected: true },
    { line: "PONG", expected: false },
    { line: "PONG ", expected: false },
    { line: "PONG keepalive2", expected: false },
    { line: "PONG keepalive ", expected: false },
    { line: " PONG keepalive", expected: false },
    { line: "PONG  keepalive", expected: false },
    { line: "pong keepalive", expected: false },
    { line: "PONG Keepalive", expected: false },
    { line: "PONG other", expected: false },
    { line: "[keepalive]: PONG keepalive", expected: false },
    { line: "[bob]: PONG keepalive", expected: false },
    { line: "HISTORY 2026-01-02T03:04:05Z PONG keepalive", expected: false },
    { line: "", expected: false },
  ];
  for (const { line, expected } of cases) {
    assert.equal(isKeepaliveReply(line), expected, JSON.stringify(line));
  }
});

/** Where in the newer kinds of server line the attack is placed. */
const newKindPlacements: Record<string, (attack: string) => string> = {
  "action name": (attack) => `* al${attack}ice waves`,
  "action text": (attack) => `* alice waves ${attack} there\tok`,
  "action name start": (attack) => `* ${attack} waves`,
  "PRIVATE name": (attack) => `PRIVATE [al${attack}ice]: psst`,
  "PRIVATE text": (attack) => `PRIVATE [alice]: psst ${attack} there\tok`,
  "SENT name": (attack) => `SENT [b${attack}ob]: psst`,
  "SENT text": (attack) => `SENT [bob]: psst ${attack}`,
  "WHO names": (attack) => `WHO 3: alice b${attack}ob carol`,
  "WHO name alone": (attack) => `WHO 1: ${attack}`,
  "WHO count": (attack) => `WHO 3${attack}: alice bob carol`,
  "NOTICE join name": (attack) => `NOTICE join: b${attack}ob joined`,
  "NOTICE nick names": (attack) => `NOTICE nick: a${attack}lice is now ${attack}`,
  "PONG token": (attack) => `PONG keepalive${attack}`,
  "HISTORY time": (attack) => `HISTORY 2026-01-02T03:04:05Z${attack} [alice]: hi`,
  "HISTORY time alone": (attack) => `HISTORY ${attack} [alice]: hi`,
  "HISTORY chat name": (attack) => `HISTORY 2026-01-02T03:04:05Z [al${attack}ice]: hi`,
  "HISTORY chat text": (attack) => `HISTORY 2026-01-02T03:04:05Z [alice]: hi ${attack}\tok`,
  "HISTORY action name": (attack) => `HISTORY 2026-01-02T03:04:05Z * al${attack}ice waves`,
  "HISTORY action text": (attack) => `HISTORY 2026-01-02T03:04:05Z * alice waves ${attack}`,
  "HISTORY embedded PRIVATE": (attack) =>
    `HISTORY 2026-01-02T03:04:05Z PRIVATE [a${attack}]: ${attack}`,
  "HISTORY embedded HISTORY": (attack) =>
    `HISTORY 2026-01-02T03:04:05Z HISTORY ${attack} [alice]: ${attack}`,
};

Deno.test("renderServerLine() never passes control characters in actions, PRIVATE, SENT, WHO or HISTORY", () => {
  for (const [attackName, attack] of Object.entries(attacks)) {
    for (const [placementName, place] of Object.entries(newKindPlacements)) {
      const line = place(attack);
      for (const timestamps of [false, true]) {
        const off = { style: createStyle(false), timestamps };
        const on = { style: createStyle(true), timestamps };
        const tag = `${attackName} in ${placementName}, timestamps ${timestamps}`;
        const unstyled = renderServerLine(line, off, now);
        assertNoControls(unstyled, `renderServerLine ${tag}`);
        assertOnlyClientStyles(
          renderServerLine(line, on, now),
          unstyled,
          `renderServerLine ${tag}`,
        );
      }
    }
  }
});

Deno.test("renderOwnAction() never passes control characters in the name or the action", () => {
  for (const [attackName, attack] of Object.entries(attacks)) {
    const cases: { place: string; name: string; text: string }[] = [
      { place: "name", name: `al${attack}ice`, text: "waves" },
      { place: "text", name: "alice", text: `waves ${attack} there\tok` },
      { place: "both", name: attack, text: attack },
    ];
    for (const { place, name, text } of cases) {
      for (const timestamps of [false, true]) {
        const off = { style: createStyle(false), timestamps };
        const on = { style: createStyle(true), timestamps };
        const tag = `${attackName} in ${place}, timestamps ${timestamps}`;
        const unstyled = renderOwnAction(name, text, off, now);
        assertNoControls(unstyled, `renderOwnAction ${tag}`);
        assertOnlyClientStyles(renderOwnAction(name, text, on, now), unstyled, `own action ${tag}`);
      }
    }
  }
});

Deno.test("renderServerLine() keeps TAB in actions, private messages and HISTORY lines", () => {
  const cases: { line: string; expected: string }[] = [
    { line: "* alice a\tb\x1b[2J", expected: "* alice a\tb\uFFFD[2J" },
    { line: "PRIVATE [alice]: a\tb", expected: "alice → you: a\tb" },
    { line: "SENT [bob]: a\tb\x07", expected: "you → bob: a\tb\uFFFD" },
    {
      line: "HISTORY not-a-time [alice]: a\tb\x1b]52;c;aGk=\x07",
      expected: "~ not-a-time alice: a\tb\uFFFD]52;c;aGk=\uFFFD",
    },
  ];
  for (const { line, expected } of cases) {
    assert.equal(renderServerLine(line, plain, now), expected, JSON.stringify(line));
  }
});

/** The user's view with `current` as the current room and #lobby the default one. */
function inRoom(current: string | undefined, defaultRoom = "#lobby"): RoomView {
  return { current, defaultRoom };
}

Deno.test("renderServerLine() tags lines from rooms other than the current one", () => {
  const cases: { line: string; rooms: RoomView; expected: string }[] = [
    // The current room's lines, prefixed or not, are not tagged.
    { line: "[carol]: lunch?", rooms: inRoom("#lobby"), expected: "carol: lunch?" },
    { line: "#rust [bob]: hi", rooms: inRoom("#rust"), expected: "bob: hi" },
    { line: "#Rust [bob]: hi", rooms: inRoom("#rust"), expected: "bob: hi" },
    { line: "#rust * bob waves", rooms: inRoom("#rust"), expected: "* bob waves" },
    // Other rooms' lines are.
    { line: "#rust [bob]: hi", rooms: inRoom("#lobby"), expected: "[#rust] bob: hi" },
    { line: "[carol]: lunch?", rooms: inRoom("#rust"), expected: "[#lobby] carol: lunch?" },
    { line: "[carol]: lunch?", rooms: inRoom("#rust", "#main"), expected: "[#main] carol: lunch?" },
    { line: "#rust * bob waves", rooms: inRoom("#go"), expected: "[#rust] * bob waves" },
    {
      line: "#rust NOTICE join: bob joined",
      rooms: inRoom("#lobby"),
      expected: "[#rust] -- bob joined",
    },
    { line: "NOTICE quit: bob left", rooms: inRoom("#rust"), expected: "[#lobby] -- bob left" },
    {
      line: "#rust WHO 2: alice bob",
      rooms: inRoom("#lobby"),
      expected: "[#rust] -- 2 users online: alice, bob",
    },
    // In no room, every room's lines are tagged.
    { line: "[carol]: lunch?", rooms: inRoom(undefined), expected: "[#lobby] carol: lunch?" },
    { line: "#rust [bob]: hi", rooms: inRoom(undefined), expected: "[#rust] bob: hi" },
    // Lines about no room never are.
    { line: "PRIVATE [bob]: psst", rooms: inRoom("#rust"), expected: "bob → you: psst" },
    {
      line: "ERROR not-in-room: You are not in #go",
      rooms: inRoom("#rust"),
      expected: "! You are not in #go",
    },
    {
      line: "NOTICE current: #rust is your current room",
      rooms: inRoom("#rust"),
      expected: "-- #rust is your current room",
    },
    { line: "NOTICE help: WHO  list", rooms: inRoom("#rust"), expected: "-- WHO  list" },
    {
      line: "NOTICE welcome: Welcome, alice!",
      rooms: inRoom("#rust"),
      expected: "-- Welcome, alice!",
    },
    {
      line: "NOTICE shutdown: The server is shutting down",
      rooms: inRoom("#rust"),
      expected: "-- The server is shutting down",
    },
    { line: "LIST #go 1: ", rooms: inRoom("#rust"), expected: "-- #go (1 user)" },
  ];
  for (const { line, rooms, expected } of cases) {
    assert.equal(renderServerLine(line, plain, now, rooms), expected, JSON.stringify(line));
  }
});

Deno.test("renderServerLine() assumes the user is in #lobby when told nothing", () => {
  assert.equal(renderServerLine("[carol]: lunch?", plain, now), "carol: lunch?");
  assert.equal(renderServerLine("#rust [bob]: hi", plain, now), "[#rust] bob: hi");
});

Deno.test("renderServerLine() shows topics and LIST replies", () => {
  const cases: { line: string; expected: string }[] = [
    { line: "TOPIC: Lobby talk", expected: "-- Topic: Lobby talk" },
    { line: "TOPIC: ", expected: "-- No topic" },
    { line: "#rust TOPIC: Rust talk", expected: "[#rust] -- Topic: Rust talk" },
    {
      line: "#rust NOTICE topic: alice set the topic: Rust talk",
      expected: "[#rust] -- alice set the topic: Rust talk",
    },
    { line: "LIST #rust 3: Rust talk", expected: "-- #rust (3 users): Rust talk" },
    { line: "LIST #go 1: ", expected: "-- #go (1 user)" },
    { line: "LIST END: 2 rooms", expected: "-- 2 rooms" },
    { line: "LIST END: 1 room", expected: "-- 1 room" },
  ];
  for (const { line, expected } of cases) {
    assert.equal(renderServerLine(line, plain, now), expected, JSON.stringify(line));
  }
});

Deno.test("renderServerLine() tags a room's HISTORY line after its time, dimmed", () => {
  const time = "2026-06-07T08:09:10Z";
  const clock = localClock(new Date(time));
  const line = `#rust HISTORY ${time} [bob]: old`;
  assert.equal(renderServerLine(line, plain, now, inRoom("#rust")), `~ ${clock} bob: old`);
  assert.equal(renderServerLine(line, plain, now, inRoom("#lobby")), `~ ${clock} [#rust] bob: old`);
  assert.equal(
    renderServerLine(line, colour, now, inRoom("#lobby")),
    `\x1b[2m~ ${clock}\x1b[0m \x1b[36m[#rust]\x1b[0m \x1b[2mbob: old\x1b[0m`,
  );
});

Deno.test("renderServerLine() with colour gives the room tag its own colour, not a name's", () => {
  const code = nameSgr(renderServerLine("[bob]: x", colour, now), "bob");
  assert.equal(
    renderServerLine("#rust [bob]: hi", colour, now),
    `\x1b[36m[#rust]\x1b[0m \x1b[1;${code}mbob\x1b[0m: hi`,
  );
  assert.equal(
    renderServerLine("#rust [bob]: hi", colourStamped, now),
    `\x1b[2m03:04\x1b[0m \x1b[36m[#rust]\x1b[0m \x1b[1;${code}mbob\x1b[0m: hi`,
  );
});

Deno.test("renderOwnMessage() tags a message to another room with it", () => {
  assert.equal(renderOwnMessage("alice", "hi", plain, now, "#rust"), "[#rust] alice (you): hi");
  assert.equal(
    renderOwnMessage("alice", "hi", plainStamped, now, "#rust"),
    "03:04 [#rust] alice (you): hi",
  );
  assert.equal(renderOwnMessage("alice", "hi", plain, now, undefined), "alice (you): hi");
});

Deno.test("renderPrompt() shows the current room, then the others with unread messages", () => {
  const style = createStyle(false);
  const cases: {
    current: string | undefined;
    joined: { name: string; unread: number }[];
    expected: string;
  }[] = [
    { current: "#lobby", joined: [{ name: "#lobby", unread: 0 }], expected: "#lobby> " },
    {
      current: "#rust",
      joined: [{ name: "#lobby", unread: 0 }, { name: "#rust", unread: 0 }],
      expected: "#rust> ",
    },
    {
      current: "#lobby",
      joined: [{ name: "#lobby", unread: 0 }, { name: "#rust", unread: 3 }],
      expected: "#lobby [#rust 3]> ",
    },
    {
      current: "#go",
      joined: [
        { name: "#lobby", unread: 12 },
        { name: "#rust", unread: 0 },
        { name: "#go", unread: 0 },
      ],
      expected: "#go [#lobby 12]> ",
    },
    {
      current: "#a",
      joined: [
        { name: "#a", unread: 0 },
        { name: "#b", unread: 1 },
        { name: "#c", unread: 2 },
        { name: "#d", unread: 3 },
        { name: "#e", unread: 4 },
        { name: "#f", unread: 5 },
      ],
      expected: "#a [#b 1] [#c 2] [#d 3] [+2]> ",
    },
    { current: undefined, joined: [], expected: "(no room)> " },
    {
      current: undefined,
      joined: [{ name: "#rust", unread: 1 }],
      expected: "(no room) [#rust 1]> ",
    },
  ];
  for (const { current, joined, expected } of cases) {
    assert.equal(
      renderPrompt(current, joined, style),
      expected,
      JSON.stringify({ current, joined }),
    );
  }
  assert.equal(
    renderPrompt("#lobby", [{ name: "#rust", unread: 3 }], createStyle(true)),
    "#lobby \x1b[36m[#rust 3]\x1b[0m> ",
  );
});

Deno.test("renderServerLine() puts the server's command words as the client takes them", () => {
  const cases: [string, string][] = [
    [
      "NOTICE welcome: Welcome to nanochat 0.1.0, alice! 1 user online. Type HELP for commands.",
      "-- Welcome to nanochat 0.1.0, alice! 1 user online. Type /help for commands.",
    ],
    ["ERROR usage: Usage: MSG name text", "! Usage: /msg name text"],
    ["ERROR usage: Usage: JOIN #room", "! Usage: /join #room"],
    [
      "ERROR unknown-command: Unknown command AWAY; type HELP for the list",
      "! Unknown command /away; /help lists the commands",
    ],
    [
      "ERROR unknown-command: Unknown command JION; type HELP for the list",
      "! Unknown command /jion; did you mean /join? /help lists the commands",
    ],
    ["ERROR no-current-room: You are in no room; JOIN one", "! You are in no room; /join one"],
    ["ERROR name-taken: The name HELP is in use", "! The name HELP is in use"],
  ];
  for (const [line, expected] of cases) assert.equal(renderServerLine(line, plain, now), expected);
});
