/**
 * A taken name in the interactive client (tmux): the client asks for
 * another and logs in with it; giving up exits 5, as a script does.
 */

import assert from "@nanochat/assert";
import { runCli } from "../support/cli_process.ts";
import { startClientPane } from "../support/client_pane.ts";
import { hasTmux } from "../support/tmux.ts";
import { PRESENCE_NOTICE, startServer } from "../support/test_server.ts";

const ignore = !hasTmux;

Deno.test({
  name: "interactive client: a taken name asks for another and logs in with it",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using alice = (await ts.login("alice")).ignore(PRESENCE_NOTICE);
    await using pane = await startClientPane(ts.port, ["alice"]);
    await pane.waitForText("The name alice is in use. Another name:");
    await pane.type("alice2");
    await pane.sendKeys("Enter");
    const screen = await pane.waitForText(`Connected to 127.0.0.1:${ts.port} as alice2.`);
    assert.doesNotMatch(screen, /as alice\./, "never shown connected as the taken name");
    assert.equal(screen.match(/Connected to/g)?.length, 1, "said once");

    await pane.type("hi from the other alice");
    await pane.sendKeys("Enter");
    assert.equal(await alice.readLine(), "[alice2]: hi from the other alice");
  },
});

Deno.test({
  name: "interactive client: a name that cannot be used is asked for again",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using _alice = await ts.login("alice");
    await using pane = await startClientPane(ts.port, ["alice"]);
    await pane.waitForText("The name alice is in use. Another name:");
    await pane.type("no spaces");
    await pane.sendKeys("Enter");
    await pane.waitForText("That name cannot be used: ");
    await pane.type("carol");
    await pane.sendKeys("Enter");
    await pane.waitForText("as carol.");
  },
});

Deno.test({
  name: "interactive client: giving up at the name question exits 5",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using _alice = await ts.login("alice");
    await using pane = await startClientPane(ts.port, ["alice"]);
    await pane.waitForText("Another name:");
    await pane.sendKeys("C-d");
    const screen = await pane.waitForText("[exit 5]");
    assert.match(screen, /nanochat: name refused: The name alice is in use/);
  },
});

Deno.test({
  name: "scripted client: a taken name still exits 5 without asking",
  async fn() {
    await using ts = await startServer();
    await using _alice = await ts.login("alice");
    const result = await runCli(["connect", `127.0.0.1:${ts.port}`, "alice"], "hi\n");
    assert.equal(result.code, 5);
    assert.doesNotMatch(result.stdout + result.stderr, /Another name/);
  },
});
