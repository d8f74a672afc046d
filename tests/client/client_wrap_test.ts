import assert from "@nanochat/assert";
import stringWidth from "string-width";
import { CONTINUATION_INDENT, terminalRows, wrapLine } from "../../client/wrap.ts";

const indent = " ".repeat(CONTINUATION_INDENT);

Deno.test("wrapLine() wraps at the width, in cells, and indents every row after the first", () => {
  const cases: { what: string; line: string; columns: number; rows: string[] }[] = [
    { what: "empty", line: "", columns: 10, rows: [""] },
    { what: "ASCII that fits", line: "alice: hi", columns: 10, rows: ["alice: hi"] },
    { what: "ASCII exactly the width", line: "alice: hi!", columns: 10, rows: ["alice: hi!"] },
    { what: "a space at the end", line: "abcdefghij ", columns: 10, rows: ["abcdefghij"] },
    {
      what: "ASCII one over",
      line: "abcdefghijk",
      columns: 10,
      rows: ["abcdefghij", `${indent}k`],
    },
    {
      what: "words, broken at spaces, which go",
      line: "alice: the quick brown fox",
      columns: 12,
      rows: ["alice: the", `${indent}quick`, `${indent}brown`, `${indent}fox`],
    },
    {
      what: "a space at the edge",
      line: "abcdefghij klm",
      columns: 10,
      rows: ["abcdefghij", `${indent}klm`],
    },
    {
      what: "a word longer than a row",
      line: "alice: " + "x".repeat(15),
      columns: 10,
      rows: ["alice:", `${indent}xxxxxx`, `${indent}xxxxxx`, `${indent}xxx`],
    },
    {
      what: "padding to the width cannot start a row",
      line: "alice: hi" + " ".repeat(11) + "bob: hi",
      columns: 20,
      rows: ["alice: hi" + " ".repeat(10), `${indent}bob: hi`],
    },
    {
      what: "padding longer than a row",
      line: "a" + " ".repeat(25) + "bob: hi",
      columns: 10,
      rows: [
        "a" + " ".repeat(9),
        indent + " ".repeat(6),
        indent + " ".repeat(6),
        `${indent} bob:`,
        `${indent}hi`,
      ],
    },
    {
      what: "CJK straddling the edge",
      line: "alice: 漢字",
      columns: 10,
      rows: ["alice: 漢", `${indent}字`],
    },
    {
      what: "CJK ending exactly at the edge",
      line: "abcdefgh漢字",
      columns: 10,
      rows: ["abcdefgh漢", `${indent}字`],
    },
    {
      what: "CJK without spaces, many rows",
      line: "漢字かな漢字かな",
      columns: 9,
      rows: ["漢字かな", `${indent}漢字`, `${indent}かな`],
    },
    {
      what: "a word after CJK moves as a whole",
      line: "abcde漢字ab",
      columns: 10,
      rows: ["abcde漢字", `${indent}ab`],
    },
    {
      what: "CJK before a space",
      line: "漢字 かな漢字",
      columns: 10,
      rows: ["漢字 かな", `${indent}漢字`],
    },
    {
      what: "combining marks take no cells and stay with their letter",
      line: "e\u0301".repeat(12),
      columns: 10,
      rows: ["e\u0301".repeat(10), indent + "e\u0301".repeat(2)],
    },
    {
      what: "a combining mark at the edge",
      line: "abcdefghij\u0301\u0316k",
      columns: 10,
      rows: ["abcdefghij\u0301\u0316", `${indent}k`],
    },
    {
      what: "an emoji straddling the edge",
      line: "abcdefghi👍",
      columns: 10,
      rows: ["abcdefghi", `${indent}👍`],
    },
    {
      what: "emoji sequences are one cluster of 2 cells",
      line: "abcdefgh👨‍👩‍👧🇩🇪",
      columns: 10,
      rows: ["abcdefgh👨‍👩‍👧", `${indent}🇩🇪`],
    },
    { what: "a tab to the next stop", line: "a\tb", columns: 20, rows: ["a       b"] },
    {
      what: "a tab stops at the edge and breaks there",
      line: "abcdefgh\tx",
      columns: 10,
      rows: ["abcdefgh", `${indent}x`],
    },
    {
      what: "a tab on a continuation row counts from the screen's left edge",
      line: "abcdefghijk\tz",
      columns: 10,
      rows: ["abcdefghij", `${indent}k   z`],
    },
    { what: "width 1, ASCII", line: "abc", columns: 1, rows: ["a", "b", "c"] },
    { what: "width 1, wide characters stick out", line: "漢字", columns: 1, rows: ["漢", "字"] },
    { what: "width 2, ASCII", line: "abcde", columns: 2, rows: ["ab", "cd", "e"] },
    { what: "width 2, wide characters", line: "a漢字", columns: 2, rows: ["a", "漢", "字"] },
    { what: "width 3 indents by 1", line: "abcde", columns: 3, rows: ["abc", " de"] },
    { what: "width 3, a wide character fits", line: "ab漢", columns: 3, rows: ["ab", " 漢"] },
  ];
  for (const { what, line, columns, rows } of cases) {
    assert.deepEqual(wrapLine(line, { columns }), rows, what);
  }
});

Deno.test("wrapLine() takes the indent from its options, within the width", () => {
  assert.deepEqual(wrapLine("abcdefgh", { columns: 4, indent: 2 }), ["abcd", "  ef", "  gh"]);
  assert.deepEqual(wrapLine("abcdefgh", { columns: 4, indent: 0 }), ["abcd", "efgh"]);
  assert.deepEqual(wrapLine("abcdefgh", { columns: 4, indent: 9 }), ["abcd", "  ef", "  gh"]);
});

Deno.test("wrapLine() gives the client's styles no cells and carries them over a break", () => {
  const bold = "\x1b[1;31malice\x1b[0m";
  assert.deepEqual(wrapLine(`${bold}: hi!`, { columns: 10 }), [`${bold}: hi!`]);
  assert.deepEqual(wrapLine("\x1b[2mabcdefghijkl\x1b[0m", { columns: 10 }), [
    "\x1b[2mabcdefghij\x1b[0m",
    `${indent}\x1b[2mkl\x1b[0m`,
  ]);
  assert.deepEqual(wrapLine(`${bold}: the quick`, { columns: 10 }), [
    `${bold}: the`,
    `${indent}quick`,
  ]);
  assert.deepEqual(wrapLine("\x1b[33m-- a b\x1b[0m", { columns: 4 }), [
    "\x1b[33m-- a\x1b[0m",
    "  \x1b[33mb\x1b[0m",
  ]);
});

Deno.test("wrapLine() never makes a row wider than the width, nor one that starts at the edge", () => {
  const lines = [
    "alice: " + "hi ".repeat(40),
    "bob: " + "漢字 かな ".repeat(20),
    "carol: " + "👍🏽 e\u0301 ".repeat(30),
    "dave: " + "a\tbc\t".repeat(20),
    "eve: " + "x".repeat(90),
  ];
  for (const line of lines) {
    for (let columns = 2; columns <= 41; columns++) {
      const rows = wrapLine(line, { columns });
      const rowIndent = " ".repeat(Math.min(CONTINUATION_INDENT, columns - 2));
      for (const [index, row] of rows.entries()) {
        const where = `${JSON.stringify(line)} at ${columns}, row ${index}`;
        assert.ok(stringWidth(row) <= columns, `${where} is ${stringWidth(row)} wide`);
        if (index > 0) assert.ok(row.startsWith(rowIndent), `${where} is not indented`);
        if (index > 0 && columns > 4) assert.notEqual(row.trim(), "", `${where} is blank`);
      }
    }
  }
});

Deno.test("wrapLine() refuses a width that is no whole number of at least 1", () => {
  for (const columns of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(() => wrapLine("hi", { columns }), RangeError, String(columns));
  }
});

Deno.test("terminalRows() ends every row with a newline and turns the terminal's wrapping off around them", () => {
  assert.equal(terminalRows("", 10), "\x1b[?7l\n\x1b[?7h");
  assert.equal(terminalRows("alice: hi", 10), "\x1b[?7lalice: hi\n\x1b[?7h");
  assert.equal(
    terminalRows("alice: the quick brown fox", 12),
    `\x1b[?7lalice: the\n${indent}quick\n${indent}brown\n${indent}fox\n\x1b[?7h`,
  );
});
