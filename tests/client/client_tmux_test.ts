/**
 * The interactive client in a real terminal (tmux): what a person sees and
 * types. tmux comes from Debian; `.ci/run` installs it.
 */

import assert from "@nanochat/assert";
import { nanochatArgs } from "../support/cli_process.ts";
import { hasTmux, TmuxPane } from "../support/tmux.ts";
import { startServer, type TestServer } from "../support/test_server.ts";

const ignore = !hasTmux;

/** Starts `nanochat connect` in tmux and waits until the server's welcome is on screen. */
async function loggedInClient(ts: TestServer, name: string): Promise<TmuxPane> {
  const pane = await startClient(ts.port, name);
  await pane.waitForText(`Welcome to nanochat`);
  return pane;
}

/** Starts `nanochat connect` in tmux; NO_COLOR only if `env` sets it. */
function startClient(port: number, name: string, env: Record<string, string> = { NO_COLOR: "1" }) {
  const assignments = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  return TmuxPane.start([
    "env",
    "-u",
    "NO_COLOR",
    ...assignments,
    Deno.execPath(),
    ...nanochatArgs(["connect", `127.0.0.1:${port}`, name]),
  ]);
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
    assert.doesNotMatch(aliceLines, /^> hello bob$/m, "the typed line was replaced by the message");
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
    await bob.waitForText("> half typed");
    await carol.send("*interrupting you");
    await bob.waitForText("carol: interrupting you");
    const lines = await bob.lines();
    assert.equal(lines.at(-1), "> half typed", "the input line is redrawn below the message");
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
  name: "interactive client: server shutdown shows one line and exits 6",
  ignore,
  async fn() {
    const ts = await startServer();
    await using alice = await loggedInClient(ts, "alice");
    await ts.server.shutdown();
    const screen = await alice.waitForText("[exit 6]");
    assert.match(screen, /^-- The server is shutting down$/m);
    assert.match(screen, /^-- the server shut down$/m);
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
    await using colored = await startClient(ts.port, "colored", { TERM: "xterm-256color" });
    await using plain = await startClient(ts.port, "plain", { NO_COLOR: "1" });
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
    await alice.waitForText("> /msg bob"); // capture-pane trims the trailing space
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
    assert.match(screen, /Welcome to nanochat[^\n]*\n\d\d:\d\d bob: said before you came/);
  },
});
