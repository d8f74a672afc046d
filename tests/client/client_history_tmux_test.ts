/**
 * Recalling lines and sending long ones in a real terminal (tmux).
 */

import assert from "@nanochat/assert";
import { startClientPane } from "../support/client_pane.ts";
import { hasTmux, type TmuxPane } from "../support/tmux.ts";
import { PRESENCE_NOTICE, startServer } from "../support/test_server.ts";

const ignore = !hasTmux;

/** Waits until the input line, the screen's last, is exactly `text`. */
function waitForInput(pane: TmuxPane, text: string): Promise<string> {
  return pane.waitForScreen(
    (screen) => screen.trimEnd().split("\n").at(-1) === text,
    JSON.stringify(text),
  );
}

Deno.test({
  name: "interactive client: Up recalls every earlier line whatever the draft, Down gives it back",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using bob = (await ts.login("bob")).ignore(PRESENCE_NOTICE);
    await using alice = await startClientPane(ts.port, ["alice"]);
    await alice.waitForText("Connected to");
    for (const line of ["first line", "second line"]) {
      await alice.type(line);
      await alice.sendKeys("Enter");
      assert.equal(await bob.readLine(), `[alice]: ${line}`);
    }
    await alice.type("zz");
    await alice.sendKeys("Up");
    await waitForInput(alice, "#lobby> second line");
    await alice.sendKeys("Up");
    await waitForInput(alice, "#lobby> first line");
    await alice.sendKeys("Down");
    await waitForInput(alice, "#lobby> second line");
    await alice.sendKeys("Down");
    await waitForInput(alice, "#lobby> zz");
  },
});

Deno.test({
  name: "interactive client: Ctrl-P then Ctrl-N keeps the draft",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using alice = await startClientPane(ts.port, ["alice"]);
    await alice.waitForText("Connected to");
    await alice.type("/join rust");
    await alice.sendKeys("Enter");
    await alice.waitForText("#rust>");
    await alice.type("keep me");
    await alice.sendKeys("C-p");
    await waitForInput(alice, "#lobby> keep me");
    await alice.sendKeys("C-n");
    await waitForInput(alice, "#rust> keep me");
  },
});

Deno.test({
  name: "interactive client: a line over the server's limit is refused before sending, and kept",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using bob = (await ts.login("bob")).ignore(PRESENCE_NOTICE);
    await using alice = await startClientPane(ts.port, ["alice"]);
    await alice.waitForText("Connected to");
    await alice.type("x".repeat(5000));
    await alice.sendKeys("Enter");
    await alice.waitForText("Not sent: 5001 bytes, over the server's limit of 4096; shorten it");
    await alice.waitForScreen(
      (screen) => screen.includes("Not sent") && /\nx+$/.test(screen.trimEnd()),
      "the line back in the input",
    );
    // Still there to edit: erase most of it and send the rest.
    await alice.sendKeys("C-a", "C-k");
    await alice.type("short");
    await alice.sendKeys("Enter");
    assert.equal(await bob.readLine(), "[alice]: short", "the long line never reached the server");
  },
});

Deno.test({
  name: "interactive client: a 5,000-character paste is drawn within the usual wait",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using alice = await startClientPane(ts.port, ["alice"]);
    await alice.waitForText("Connected to");
    // Before the fix it took about 9 s; the wait gives up after the tests' usual 5 s.
    await alice.type("y".repeat(4999) + "z");
    await alice.waitForScreen((screen) => /\ny+z$/.test(screen.trimEnd()), "the pasted draft");
  },
});
