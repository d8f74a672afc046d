/**
 * The interactive client's screen in a real terminal (tmux) while the draft
 * takes more than one row: every received line is shown above the input,
 * and the input is drawn once, whole, with nothing left behind (issue 17,
 * items 1 and 2).
 */

import assert from "@nanochat/assert";
import { startClientPane } from "../support/client_pane.ts";
import { hasTmux, type TmuxPane } from "../support/tmux.ts";
import { startServer, type TestServer } from "../support/test_server.ts";

const ignore = !hasTmux;
const PROMPT = "#lobby> ";

/** Starts `nanochat connect` without colour in tmux and waits for "Connected". */
async function clientIn(ts: TestServer, name: string, columns: number): Promise<TmuxPane> {
  const pane = await startClientPane(ts.port, [name], { columns });
  await pane.waitForText("Connected to");
  return pane;
}

/** The screen's rows without trailing blanks, and without the empty rows at the end. */
function rowsOf(screen: string): string[] {
  const rows = screen.split("\n").map((row) => row.trimEnd());
  while (rows.length > 0 && rows.at(-1) === "") rows.pop();
  return rows;
}

/** `text` cut into rows of `columns` single-cell characters. */
function chunk(text: string, columns: number): string[] {
  const rows: string[] = [];
  for (let start = 0; start < text.length; start += columns) {
    rows.push(text.slice(start, start + columns));
  }
  return rows;
}

/**
 * Waits until the screen ends with `draftRows` and shows each of `lines`,
 * then checks that each line and each draft row is there as often as expected.
 */
async function expectLinesAboveDraft(
  pane: TmuxPane,
  lines: string[],
  draftRows: string[],
  what: string,
): Promise<string[]> {
  const screen = await pane.waitForScreen((shown) => {
    const rows = rowsOf(shown);
    return lines.every((line) => rows.includes(line)) &&
      draftRows.every((row, index) => rows.at(index - draftRows.length) === row);
  }, what);
  const rows = rowsOf(screen);
  const expectedRows = [...lines, ...draftRows];
  for (const expected of expectedRows) {
    const count = rows.filter((row) => row === expected).length;
    const wanted = expectedRows.filter((row) => row === expected).length;
    assert.equal(count, wanted, `${JSON.stringify(expected)} shown ${count} times:\n${screen}`);
  }
  assert.deepEqual(rows.slice(-draftRows.length - lines.length), [...lines, ...draftRows], screen);
  return rows;
}

Deno.test({
  name: "interactive client: lines received while the draft wraps are all shown above it",
  ignore,
  async fn() {
    for (const columns of [40, 100]) {
      await using ts = await startServer();
      await using carol = await ts.login("carol");
      await using alice = await clientIn(ts, "alice", columns);
      // The repro: six characters more than a row, so the cursor
      // is on the draft's second row.
      const draft = "x".repeat(columns - PROMPT.length) + "abcdef";
      await alice.type(draft);
      await alice.waitForText("abcdef");
      const lines = ["first line", "second line", "third line"];
      for (const line of lines) await carol.send(`*${line}`);
      await expectLinesAboveDraft(
        alice,
        lines.map((line) => `carol: ${line}`),
        chunk(PROMPT + draft, columns),
        `three lines above the draft, ${columns} columns`,
      );
      // The draft and the cursor are intact: typing lands at its end.
      await alice.type("!");
      await alice.sendKeys("Enter");
      assert.equal(await carol.readLine(), `[alice]: ${draft}!`);
    }
  },
});

Deno.test({
  name: "interactive client: a line received with the cursor on the draft's first row",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using carol = await ts.login("carol");
    await using alice = await clientIn(ts, "alice", 40);
    const draft = "y".repeat(70);
    await alice.type(draft);
    await alice.sendKeys("Home");
    await carol.send("*while you were home");
    await expectLinesAboveDraft(
      alice,
      ["carol: while you were home"],
      chunk(PROMPT + draft, 40),
      "the line above the draft",
    );
    await alice.type(">");
    await alice.sendKeys("Enter");
    assert.equal(await carol.readLine(), `[alice]: >${draft}`);
  },
});

Deno.test({
  name: "interactive client: a draft of wide characters wraps whole and leaves no stale row",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using carol = await ts.login("carol");
    await using alice = await clientIn(ts, "alice", 100);
    const draft = "中".repeat(60);
    await alice.type(draft);
    await alice.waitForText("中中");
    await carol.send("*look up");
    // "#lobby> " takes 8 cells: 46 wide characters fill the first row.
    const draftRows = [PROMPT + "中".repeat(46), "中".repeat(14)];
    await expectLinesAboveDraft(alice, ["carol: look up"], draftRows, "the line above the draft");
    await alice.sendKeys("Enter");
    assert.equal(await carol.readLine(), `[alice]: ${draft}`);
    const rows = await alice.waitForScreen(
      (screen) => rowsOf(screen).at(-1) === "#lobby>",
      "an empty prompt after sending",
    );
    assert.doesNotMatch(rows, /^#lobby> 中/m, rows);
  },
});

Deno.test({
  name: "interactive client: editing next to a wide character moved to the next row",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using carol = await ts.login("carol");
    await using alice = await clientIn(ts, "alice", 100);
    // 8 + 91 cells leave one cell on the first row, too few for 中.
    await alice.type("a".repeat(91) + "中");
    await alice.sendKeys("Left", "Left");
    await alice.type("X");
    const draft = "a".repeat(90) + "Xa中";
    await carol.send("*ping");
    await expectLinesAboveDraft(
      alice,
      ["carol: ping"],
      [PROMPT + "a".repeat(90) + "Xa", "中"],
      "the edited draft",
    );
    await alice.sendKeys("Enter");
    assert.equal(await carol.readLine(), `[alice]: ${draft}`);
  },
});

Deno.test({
  name: "interactive client: after the window shrinks, lines still land above a whole draft",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using carol = await ts.login("carol");
    await using alice = await clientIn(ts, "alice", 100);
    const draft = "z".repeat(150);
    await alice.type(draft);
    await alice.waitForText("zzzz");
    await alice.resize(40);
    await alice.waitForScreen(
      (screen) => rowsOf(screen).at(-1) === "z".repeat((PROMPT.length + 150) % 40),
      "the draft redrawn at 40 columns",
    );
    await carol.send("*after the resize");
    await expectLinesAboveDraft(
      alice,
      ["carol: after the resize"],
      chunk(PROMPT + draft, 40),
      "the line above the redrawn draft",
    );
    await alice.resize(100);
    await carol.send("*wider again");
    await expectLinesAboveDraft(
      alice,
      ["carol: wider again"],
      chunk(PROMPT + draft, 100),
      "the line above the draft at 100 columns",
    );
    await alice.sendKeys("Enter");
    assert.equal(await carol.readLine(), `[alice]: ${draft}`);
  },
});
