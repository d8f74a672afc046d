/**
 * Colours in a real terminal (tmux): none on a dumb terminal, and distinct
 * ones for the first users to speak.
 */

import assert from "@nanochat/assert";
import { nanochatArgs } from "../support/cli_process.ts";
import { hasTmux, TmuxPane } from "../support/tmux.ts";
import { startServer } from "../support/test_server.ts";

const ignore = !hasTmux;

/** Starts the client with the connect task's permissions and no NO_COLOR. */
function startClient(port: number, name: string, term: string): Promise<TmuxPane> {
  return TmuxPane.start([
    "env",
    "-u",
    "NO_COLOR",
    `TERM=${term}`,
    Deno.execPath(),
    ...nanochatArgs(["connect", `127.0.0.1:${port}`, name], ["--allow-env=TERM"]),
  ]);
}

// deno-lint-ignore no-control-regex -- looking for escape sequences is the point
const SGR = /\x1b\[[0-9;]*m/;

Deno.test({
  name: "interactive client: TERM=dumb gets no colour",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using bob = await ts.login("bob");
    await using pane = await startClient(ts.port, "alice", "dumb");
    await pane.waitForText("Connected to");
    await bob.send("*hi alice");
    await pane.waitForText("bob: hi alice");
    const screen = await pane.screen(true);
    assert.doesNotMatch(screen, SGR, JSON.stringify(screen));
  },
});

Deno.test({
  name: "interactive client: the first users to speak get distinct colours",
  ignore,
  async fn() {
    await using ts = await startServer();
    const names = ["bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
    const users = [];
    for (const name of names) users.push(await ts.login(name));
    try {
      await using pane = await startClient(ts.port, "alice", "xterm-256color");
      await pane.waitForText("Connected to");
      for (const [index, user] of users.entries()) await user.send(`*line ${index}`);
      await pane.waitForText(`heidi: line ${names.length - 1}`);
      const screen = await pane.screen(true);
      assert.match(screen, SGR);
      const colours = names.map((name) => {
        const styles = "(?:\\x1b\\[[0-9;]*m)+";
        const match = screen.match(new RegExp(`(${styles})${name}${styles}: line`));
        return match?.[1] ?? assert.fail(`no styled ${name} in ${JSON.stringify(screen)}`);
      });
      assert.equal(new Set(colours).size, names.length, JSON.stringify(colours));
    } finally {
      for (const user of users) await user.close();
    }
  },
});
