import assert from "@nanochat/assert";
import { InputBlock, layoutInput } from "../../client/input_block.ts";

Deno.test("layoutInput() cuts rows at the width, in cells, with the cursor where it lands", () => {
  const cases: {
    prompt: string;
    draft: string;
    cursor: number;
    columns: number;
    rows: string[];
    at: [number, number];
  }[] = [
    { prompt: "> ", draft: "abc", cursor: 3, columns: 10, rows: ["> abc"], at: [0, 5] },
    {
      prompt: "> ",
      draft: "abcdefgh",
      cursor: 8,
      columns: 10,
      rows: ["> abcdefgh", ""],
      at: [1, 0],
    },
    {
      prompt: "> ",
      draft: "abcdefghi",
      cursor: 0,
      columns: 10,
      rows: ["> abcdefgh", "i"],
      at: [0, 2],
    },
    {
      prompt: "> ",
      draft: "abcdefg中",
      cursor: 7,
      columns: 10,
      rows: ["> abcdefg", "中"],
      at: [1, 0],
    },
    {
      prompt: "> ",
      draft: "中中中中",
      cursor: 4,
      columns: 10,
      rows: ["> 中中中中", ""],
      at: [1, 0],
    },
    {
      prompt: "\x1b[36m#a\x1b[0m> ",
      draft: "xyz",
      cursor: 1,
      columns: 5,
      rows: ["\x1b[36m#a\x1b[0m> x", "yz"],
      at: [1, 0],
    },
    { prompt: "> ", draft: "a\x1bb", cursor: 3, columns: 10, rows: ["> a\uFFFDb"], at: [0, 5] },
  ];
  for (const { prompt, draft, cursor, columns, rows, at } of cases) {
    const layout = layoutInput(prompt, draft, cursor, columns);
    assert.deepEqual(layout.rows, rows, JSON.stringify(draft));
    assert.deepEqual([layout.cursorRow, layout.cursorColumn], at, JSON.stringify(draft));
  }
});

Deno.test("InputBlock goes back to the block's first row before printing above it", () => {
  let written = "";
  const block = new InputBlock({
    write: (text) => written += text,
    size: () => ({ columns: 10, rows: 24 }),
  });
  block.update("> ", "abcdefghijkl", 12);
  block.draw();
  written = "";
  block.printAbove("line\n");
  assert.ok(written.startsWith("\x1b[1A\r\x1b[J" + "line\n"), JSON.stringify(written));
});

Deno.test("InputBlock shows only the rows around the cursor of a block taller than the window", () => {
  let written = "";
  const block = new InputBlock({
    write: (text) => written += text,
    size: () => ({ columns: 10, rows: 3 }),
  });
  block.update("> ", "x".repeat(48), 48);
  block.draw();
  // 50 cells: five full rows and the cursor's empty one; two rows fit.
  assert.equal(written.split("\r\n").length, 2, JSON.stringify(written));
});
