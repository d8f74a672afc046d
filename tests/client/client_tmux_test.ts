/**
 * The interactive client in a real terminal (tmux): what a person sees and
 * types. tmux comes from Debian; `.ci/run` installs it.
 */

import assert from "@nanochat/assert";
import { nanochatArgs } from "../support/cli_process.ts";
import { hasTmux, TmuxPane } from "../support/tmux.ts";
import { startServer, type TestServer } from "../support/test_server.ts";

const ignore = !hasTmux;

/** How to start the client in tmux. */
interface ClientSetup {
  /** Its environment beyond the test's, without NO_COLOR unless set here. */
  env?: Record<string, string>;
  /** Flags after `connect host name`. */
  flags?: string[];
  /** The window's width. */
  columns?: number;
}

/** Starts `nanochat connect` in tmux and waits until the server's welcome is on screen. */
async function loggedInClient(
  ts: TestServer,
  name: string,
  setup: ClientSetup = {},
): Promise<TmuxPane> {
  const pane = await startClient(ts.port, name, setup);
  await pane.waitForText(`Welcome to nanochat`);
  return pane;
}

/** Starts `nanochat connect` in tmux, with NO_COLOR=1 unless `setup.env` is given. */
function startClient(port: number, name: string, setup: ClientSetup = {}) {
  const env = setup.env ?? { NO_COLOR: "1" };
  const assignments = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  return TmuxPane.start([
    "env",
    "-u",
    "NO_COLOR",
    ...assignments,
    Deno.execPath(),
    ...nanochatArgs(["connect", `127.0.0.1:${port}`, name, ...setup.flags ?? []]),
  ], setup.columns === undefined ? {} : { columns: setup.columns });
}

Deno.test({
  name: "interactive client: a message typed in one terminal appears in the other",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using alice = await startClient(ts.port, "alice");
    await using bob = await startClient(ts.port, "bob");
    await ts.waitForLog(/ login .*name=alice$/);
    await ts.waitForLog(/ login .*name=bob$/);
    await alice.waitForText("Connected to 127.0.0.1");

    await alice.type("hello bob");
    await alice.sendKeys("Enter");
    await bob.waitForText("alice: hello bob");
    const aliceLines = await alice.waitForScreen(
      (screen) => screen.includes("alice (you): hello bob"),
      "alice's own message, marked as hers",
    );
    assert.doesNotMatch(
      aliceLines,
      /^#lobby> hello bob$/m,
      "the typed line was replaced by the message",
    );
  },
});

Deno.test({
  name: "interactive client: an incoming message leaves the half-typed line and cursor intact",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using carol = await ts.login("carol");
    await using bob = await loggedInClient(ts, "bob");

    await bob.type("half typed");
    await bob.sendKeys("Left", "Left", "Left");
    await bob.waitForText("#lobby> half typed");
    await carol.send("*interrupting you");
    await bob.waitForText("carol: interrupting you");
    const lines = await bob.lines();
    assert.equal(lines.at(-1), "#lobby> half typed", "the input line is redrawn below the message");
    assert.equal(lines.at(-2), "carol: interrupting you");

    // The cursor is still three from the end: typing lands there.
    await bob.type("X");
    await bob.sendKeys("Enter");
    assert.equal(await carol.readLine(), "[bob]: half tyXped");
  },
});

Deno.test({
  name: "interactive client: Ctrl-D on an empty line sends QUIT and exits 0",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using alice = await loggedInClient(ts, "alice");
    await alice.sendKeys("C-d");
    await alice.waitForText("[exit 0]");
    await ts.waitForLog(/disconnect .*name=alice reason=quit/);
  },
});

Deno.test({
  name: "interactive client: Ctrl-C and /quit leave cleanly too",
  ignore,
  async fn() {
    await using ts = await startServer();
    for (const keys of [["C-c"], ["/quit lunch", "Enter"]]) {
      const since = ts.log.length;
      await using alice = await startClient(ts.port, "alice");
      await ts.waitForLog(/ login .*name=alice$/, since);
      await alice.waitForText("Connected to");
      await alice.sendKeys(...keys);
      await alice.waitForText("[exit 0]");
      await ts.waitForLog(/disconnect .*name=alice reason=quit/, since);
    }
  },
});

Deno.test({
  name: "interactive client: with --no-reconnect, server shutdown shows one line and exits 6",
  ignore,
  async fn() {
    const ts = await startServer();
    await using alice = await loggedInClient(ts, "alice", { flags: ["--no-reconnect"] });
    await ts.server.shutdown();
    const screen = await alice.waitForText("[exit 6]");
    assert.match(screen, /^-- The server is shutting down$/m);
    assert.match(screen, /^-- The server shut down$/m, "said as the client says everything");
  },
});

Deno.test({
  name: "interactive client: /help lists the commands and history recalls a sent line",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using bob = await ts.login("bob");
    await using alice = await loggedInClient(ts, "alice");
    await alice.type("/help");
    await alice.sendKeys("Enter");
    await alice.waitForText("/quit [reason]");
    await alice.type("first");
    await alice.sendKeys("Enter");
    assert.equal(await bob.readLine(), "[alice]: first");
    await alice.sendKeys("Up", "Enter");
    assert.equal(await bob.readLine(), "[alice]: first");
  },
});

Deno.test({
  name: "interactive client: names are coloured unless NO_COLOR is set",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using carol = await ts.login("carol");
    await using colored = await startClient(ts.port, "colored", {
      env: { TERM: "xterm-256color" },
    });
    await using plain = await startClient(ts.port, "plain", { env: { NO_COLOR: "1" } });
    await ts.waitForLog(/ login .*name=colored$/);
    await ts.waitForLog(/ login .*name=plain$/);
    await carol.send("*hi");
    await colored.waitForText("carol: hi");
    await plain.waitForText("carol: hi");
    const styledName = new RegExp(String.raw`\x1b\[[0-9;]*mcarol`);
    assert.match(await colored.screen(true), styledName);
    assert.doesNotMatch(await plain.screen(true), styledName);
  },
});

Deno.test({
  name: "interactive client: /msg with Tab completion, /me and /nick show as the user expects",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using bob = await ts.login("bob");
    await using alice = await loggedInClient(ts, "alice");

    await bob.send("*hi alice"); // alice's client learns bob's name from this
    await alice.waitForText("bob: hi alice");
    await alice.type("/msg b");
    await alice.sendKeys("Tab");
    await alice.waitForText("#lobby> /msg bob"); // capture-pane trims the trailing space
    await alice.type("psst");
    await alice.sendKeys("Enter");
    assert.equal(await bob.readLine(), "PRIVATE [alice]: psst");
    await alice.waitForText("you → bob: psst");

    await bob.send("MSG alice back");
    assert.equal(await bob.readLine(), "SENT [alice]: back");
    await alice.waitForText("bob → you: back");

    await alice.type("/me waves");
    await alice.sendKeys("Enter");
    assert.equal(await bob.readLine(), "* alice waves");
    await alice.waitForText("* alice waves");

    await alice.type("/nick alicia");
    await alice.sendKeys("Enter");
    await alice.waitForText("-- alice is now alicia");
    await alice.type("new name");
    await alice.sendKeys("Enter");
    await alice.waitForText("alicia (you): new name");
    assert.equal(await bob.readLine(), "[alicia]: new name");
  },
});

Deno.test({
  name: "interactive client: scrollback is shown with its own time, after the welcome",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using bob = await ts.login("bob");
    await bob.send("*said before you came");
    await ts.waitForLog(/ login .*name=bob$/);
    await using alice = await startClient(ts.port, "alice");
    const screen = await alice.waitForText("bob: said before you came");
    assert.match(screen, /Welcome to nanochat[^\n]*\n~ \d\d:\d\d bob: said before you came/);
  },
});

Deno.test({
  name: "interactive client: a server that never answers the name ends in exit 4, never Connected",
  ignore,
  async fn() {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    await using pane = await startClient(port, "victim", { flags: ["--timeout", "0.5"] });
    await using _conn = await listener.accept(); // and never writes
    const screen = await pane.waitForText("[exit 4]");
    assert.match(
      screen,
      new RegExp(
        `^nanochat: timed out: 127\\.0\\.0\\.1:${port} accepted the connection .* 0\\.5 s$`,
        "m",
      ),
    );
    assert.doesNotMatch(screen, /Connected/);
  },
});

/** Waits until the pane's window has rung its bell. */
async function bellRung(pane: TmuxPane): Promise<void> {
  for (let polls = 0; (await pane.format("#{window_bell_flag}")) !== "1"; polls++) {
    if (polls === 200) throw new Error(`The bell never rang:\n${await pane.screen()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The rows from the one that starts with `first` up to the prompt. */
function rowsOfLine(screen: string, first: string): string[] {
  const rows = screen.split("\n");
  const start = rows.findIndex((row) => row.startsWith(first));
  assert.notEqual(start, -1, `no row starts with ${JSON.stringify(first)}:\n${screen}`);
  const end = rows.findIndex((row, index) => index > start && row.startsWith("#lobby>"));
  return rows.slice(start, end === -1 ? undefined : end);
}

Deno.test({
  name: "interactive client: a message padded to the window's width cannot forge a row from bob",
  ignore,
  async fn() {
    for (const columns of [40, 100]) {
      await using ts = await startServer();
      await using alice = await ts.login("alice");
      await using victim = await loggedInClient(ts, "victim", { columns });
      const padding = " ".repeat(columns - "alice: hi".length);
      await alice.send(`*hi${padding}bob: please send me the admin password`);
      const screen = await victim.waitForScreen(
        (text) => /password\n+#lobby>/.test(text),
        `the padded message and the prompt after it, ${columns} columns`,
      );
      const where = `${columns} columns:\n${screen}`;
      assert.doesNotMatch(screen, /^bob:/m, where);
      const rows = rowsOfLine(screen, "alice: hi");
      assert.ok(rows.length >= 2, where);
      for (const row of rows.slice(1)) assert.match(row, /^ {4}\S/, where);
      assert.match(rows[1]!, /^ {4}bob: please send me the admin/, where);
    }
  },
});

Deno.test({
  name: "interactive client: CJK wraps before a wide character that would straddle the edge",
  ignore,
  async fn() {
    for (const columns of [40, 100]) {
      await using ts = await startServer();
      await using alice = await ts.login("alice");
      await using victim = await loggedInClient(ts, "victim", { columns });
      // "alice: " takes 7 columns, an odd number: the wide characters after
      // it fill the row but for one column, where the next one cannot go.
      const perRow = Math.floor((columns - 7) / 2);
      const text = "漢字かな".repeat(20).slice(0, perRow + 10);
      await alice.send(`*${text}`);
      const screen = await victim.waitForScreen(
        (shown) => shown.includes(text.slice(perRow)),
        `the CJK message, ${columns} columns`,
      );
      assert.deepEqual(rowsOfLine(screen, "alice: "), [
        `alice: ${text.slice(0, perRow)}`,
        `    ${text.slice(perRow)}`,
      ], `${columns} columns:\n${screen}`);
    }
  },
});

Deno.test({
  name: "interactive client: a sent line of wide characters leaves none of its echo behind",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using bob = await ts.login("bob");
    await using alice = await loggedInClient(ts, "alice", { columns: 40 });
    const text = "漢字かな".repeat(7); // 28 wide characters: the echo takes two rows
    await alice.type(text);
    await alice.waitForText("#lobby> 漢字");
    await alice.sendKeys("Enter");
    assert.equal(await bob.readLine(), `[alice]: ${text}`);
    const screen = await alice.waitForScreen(
      (shown) => /^alice \(you\): /m.test(shown) && /\n#lobby>\s*$/.test(shown),
      "alice's own message and a fresh prompt",
    );
    assert.doesNotMatch(screen, /^#lobby> \S/m, `the typed line is gone:\n${screen}`);
    assert.deepEqual(
      screen.split("\n").filter((row) => /[漢字かな]/.test(row)).map((row) => row.trimEnd()),
      [`alice (you): ${text.slice(0, 13)}`, `    ${text.slice(13)}`],
    );
  },
});

Deno.test({
  name: "listening client on a terminal wraps lines too, so a padded message forges no row",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using alice = await ts.login("alice");
    await using logger = await loggedInClient(ts, "logger", { columns: 40, flags: ["--listen"] });
    const padding = " ".repeat(40 - "[alice]: hi".length);
    await alice.send(`*hi${padding}[bob]: please send me the admin password`);
    const screen = await logger.waitForText("password");
    assert.doesNotMatch(screen, /^\[bob\]/m, screen);
    const rows = screen.split("\n").filter((row) => row.trim() !== "");
    const first = rows.findIndex((row) => row.startsWith("[alice]: hi"));
    assert.deepEqual(rows.slice(first), [
      "[alice]: hi",
      "    [bob]: please send me the admin",
      "    password",
    ], screen);
  },
});

Deno.test({
  name: "interactive client: characters the terminal draws wider than counted forge no row either",
  ignore,
  async fn() {
    // tmux 3.3 draws 👍🏽 (thumbs up, skin tone) in 4 cells where string-width
    // and newer terminals count 2; U+00AD SOFT HYPHEN in 1 where they count 0.
    // Either way the terminal would find the client's row too long and wrap
    // it itself, into a row that starts at the left edge.
    for (const filler of ["👍🏽".repeat(8) + "x", "\u00AD".repeat(33)]) {
      await using ts = await startServer();
      await using alice = await ts.login("alice");
      await using victim = await loggedInClient(ts, "victim", { columns: 40 });
      await alice.send(`*${filler}bob: please send me the admin password`);
      const screen = await victim.waitForScreen(
        (text) => /password\n+#lobby>/.test(text),
        "the message and the prompt after it",
      );
      assert.doesNotMatch(screen, /^bob:/m, screen);
      const rows = rowsOfLine(screen, "alice: ");
      for (const row of rows.slice(1)) assert.match(row, /^ {4}\S/, screen);
    }
  },
});

Deno.test({
  name: "interactive client: server errors and the welcome speak the client's commands",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using alice = await loggedInClient(ts, "alice");
    const welcome = await alice.waitForText("Type /help for commands.");
    assert.doesNotMatch(welcome, /HELP/);
    for (const typed of ["/msg", "/away", "/mgs bob hi"]) {
      await alice.type(typed);
      await alice.sendKeys("Enter");
    }
    const screen = await alice.waitForText("Unknown command /mgs; did you mean /msg?");
    assert.match(screen, /^! Usage: \/msg name text$/m);
    assert.match(screen, /^! Unknown command \/away; \/help lists the commands$/m);
    assert.match(
      screen,
      /^! Unknown command \/mgs; did you mean \/msg\? \/help lists the commands$/m,
    );
    assert.doesNotMatch(screen, /HELP|MSG/);
  },
});

Deno.test({
  name: "interactive client: a message naming you is highlighted and rings the bell; /bell off",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using carol = await ts.login("carol");
    await using alice = await loggedInClient(ts, "alice", { env: { TERM: "xterm-256color" } });
    await carol.send("*nothing for you");
    await alice.waitForText("carol: nothing for you");
    await carol.send("*still nothing, malice");
    await alice.waitForText("still nothing, malice");
    assert.equal(await alice.format("#{window_bell_flag}"), "0", "no bell for other chat");
    await carol.send("*hey @Alice, look");
    await alice.waitForText("hey @Alice, look");
    const styled = (await alice.screen(true)).split("\n");
    // deno-lint-ignore no-control-regex -- matching the escape sequence is the point
    const reverse = /\x1b\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m/; // as tmux writes it back, with others
    assert.match(styled.find((row) => row.includes("hey @Alice"))!, reverse);
    assert.doesNotMatch(styled.find((row) => row.includes("nothing for you"))!, reverse);
    await bellRung(alice);

    await using bob = await loggedInClient(ts, "bob");
    await bob.type("/bell off");
    await bob.sendKeys("Enter");
    await bob.waitForText("-- Bell: never rings.");
    await carol.send("MSG bob psst");
    await bob.waitForText("carol → you: psst");
    await carol.send("*later");
    await bob.waitForText("carol: later");
    assert.equal(await bob.format("#{window_bell_flag}"), "0", "/bell off");
  },
});
