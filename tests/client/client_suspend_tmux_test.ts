/**
 * Ctrl-Z in the interactive client, in a real terminal with a job-control
 * shell (tmux running bash): the job stops and the shell has the terminal,
 * `fg` brings the chat back with the draft, and what was typed at the shell
 * meanwhile is the shell's, never a chat line.
 */

import assert from "@nanochat/assert";
import { MAIN_PATH } from "../support/cli_process.ts";
import { hasTmux, TmuxPane } from "../support/tmux.ts";
import { PRESENCE_NOTICE, startServer } from "../support/test_server.ts";

const ignore = !hasTmux;
const ROOT = new URL("../..", import.meta.url).pathname;

/** Runs `command` at a bash prompt, suspends it with Ctrl-Z, then brings it back. */
async function suspendAndResume(command: (port: number) => string) {
  await using ts = await startServer();
  await using bob = (await ts.login("bob")).ignore(PRESENCE_NOTICE);
  await using pane = await TmuxPane.start(["bash", "--norc", "--noprofile", "-i"]);
  await pane.type(`export NO_COLOR=1 PS1='$ '; cd ${ROOT}`);
  await pane.sendKeys("Enter");
  await pane.type(command(ts.port));
  await pane.sendKeys("Enter");
  await pane.waitForText("Connected to 127.0.0.1");
  await pane.type("draft");
  await pane.waitForText("#lobby> draft");

  await pane.sendKeys("C-z");
  await pane.waitForText("Stopped");
  await pane.type("echo typed-at-shell");
  await pane.sendKeys("Enter");
  await pane.waitForScreen((screen) => /^typed-at-shell$/m.test(screen), "the shell's echo");
  await pane.type("jobs");
  await pane.sendKeys("Enter");
  await pane.waitForScreen(
    (screen) => /^\[1\]\+\s+Stopped/m.test(screen.split("$ jobs")[1] ?? ""),
    "jobs listing the client as stopped",
  );

  await pane.type("fg");
  await pane.sendKeys("Enter");
  await pane.waitForScreen(
    (screen) => screen.trimEnd().endsWith("#lobby> draft"),
    "the chat back, with the draft",
  );
  await pane.type(" after");
  await pane.sendKeys("Enter");
  assert.equal(await bob.readLine(), "[alice]: draft after", "nothing else was sent");
  await pane.waitForText("alice (you): draft after");
  await pane.sendKeys("C-d");
  await pane.waitForText("$ ");
}

Deno.test({
  name: "interactive client: Ctrl-Z stops it and fg brings it back, run directly",
  ignore,
  async fn() {
    // As the compiled binary: only --allow-net, so it stops just itself.
    await suspendAndResume((port) =>
      `${Deno.execPath()} run --allow-net ${MAIN_PATH} connect 127.0.0.1:${port} alice`
    );
  },
});

Deno.test({
  name: "interactive client: Ctrl-Z stops the whole job under deno task connect",
  ignore,
  async fn() {
    await suspendAndResume((port) => `${Deno.execPath()} task -q connect 127.0.0.1:${port} alice`);
  },
});
