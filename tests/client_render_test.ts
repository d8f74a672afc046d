import assert from "@nanochat/assert";
import {
  nameColorIndex,
  plainLine,
  renderInfo,
  type RenderOptions,
  renderOwnMessage,
  renderServerLine,
} from "../client/render.ts";
import { createStyle, NAME_COLOR_COUNT } from "../client/style.ts";

// Local-time components, so the clock reads 03:04:05 in every time zone.
const now = new Date(2026, 0, 2, 3, 4, 5);

const plain: RenderOptions = { style: createStyle(false), timestamps: false };
const plainStamped: RenderOptions = { style: createStyle(false), timestamps: true };
const colour: RenderOptions = { style: createStyle(true), timestamps: false };
const colourStamped: RenderOptions = { style: createStyle(true), timestamps: true };

// deno-lint-ignore no-control-regex -- finding control characters is the point
const UNSAFE_CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
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

Deno.test("plainLine() passes the line through, with HH:MM:SS when asked", () => {
  const cases: { line: string; timestamps: boolean; expected: string }[] = [
    { line: "[alice]: hi", timestamps: false, expected: "[alice]: hi" },
    { line: "[alice]: hi", timestamps: true, expected: "03:04:05 [alice]: hi" },
    { line: "ERROR name-taken: x", timestamps: false, expected: "ERROR name-taken: x" },
    { line: "NOTICE shutdown: bye", timestamps: true, expected: "03:04:05 NOTICE shutdown: bye" },
    { line: "", timestamps: true, expected: "03:04:05 " },
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
    { name: "alice", expected: 11 },
    { name: "bob", expected: 8 },
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
  assert.equal(NAME_COLOR_COUNT, 12);
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
  assert.ok(colours.size >= 8, `only ${colours.size} colours over ${names.length} names`);
});

Deno.test("renderServerLine() keeps TAB and makes an escape visible as U+FFFD", () => {
  assert.equal(renderServerLine("[alice]: a\tb", plain, now), "alice: a\tb");
  assert.equal(renderServerLine("[alice]: \x1b[2Jhi", plain, now), "alice: \uFFFD[2Jhi");
  assert.equal(renderServerLine("[al\x07ice]: hi", plain, now), "al\uFFFDice: hi");
  assert.equal(plainLine("[alice]: a\tb", true, now), "03:04:05 [alice]: a\tb");
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
};

/** Where in a server line the attack is placed. */
const placements: Record<string, (attack: string) => string> = {
  "chat text": (attack) => `[alice]: hi ${attack} there\tok`,
  "chat name": (attack) => `[al${attack}ice]: hi`,
  "ERROR text": (attack) => `ERROR name-taken: The name ${attack} is in use`,
  "NOTICE text": (attack) => `NOTICE shutdown: bye ${attack}`,
  "unrecognised line": (attack) => `hello ${attack} from an old server`,
  "line start": (attack) => `${attack}[alice]: hi`,
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
