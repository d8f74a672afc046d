/**
 * The interactive client in rooms, in a real terminal (tmux), against a fake
 * server that speaks PROTOCOL.md's rooms protocol: the prompt follows the
 * server's confirmations, other rooms' lines are tagged and counted, the room
 * keys switch, Tab completes room names.
 */

import assert from "@nanochat/assert";
import { startClientPane } from "../support/client_pane.ts";
import { hasTmux, type TmuxPane } from "../support/tmux.ts";
import { startServer } from "../support/test_server.ts";
import { FakeRoomServer } from "./fake_room_server.ts";

const ignore = !hasTmux;

/** Starts `nanochat connect` as alice in tmux, without colour, and waits for the welcome. */
async function aliceIn(server: { port: number }): Promise<TmuxPane> {
  const pane = await startClientPane(server.port, ["alice"]);
  await pane.waitForText("Welcome to nanochat");
  return pane;
}

/** Waits until the last non-empty row, the prompt and what is typed, is `prompt`. */
function waitForPrompt(pane: TmuxPane, prompt: string): Promise<string> {
  return pane.waitForScreen(
    (screen) => lastRow(screen) === prompt,
    `the prompt ${JSON.stringify(prompt)}`,
  );
}

function lastRow(screen: string): string | undefined {
  return screen.split("\n").filter((row) => row.trim() !== "").at(-1)?.trimEnd();
}

Deno.test({
  name: "rooms in the terminal: the prompt shows the room the server confirms joining",
  ignore,
  async fn() {
    await using server = FakeRoomServer.start();
    await using alice = await aliceIn(server);
    await waitForPrompt(alice, "#lobby>");

    await alice.enter("/join #rust");
    await server.waitForReceived("JOIN #rust");
    await alice.waitForText("-- You joined #rust: 1 user");
    await waitForPrompt(alice, "#rust>");

    await alice.enter("/join go"); // the client adds the #
    await server.waitForReceived("JOIN #go");
    await waitForPrompt(alice, "#go>");

    // A refused join changes nothing.
    await server.push("ERROR room-invalid: Room names are # then 1 to 32 letters");
    await alice.waitForText("! Room names are #");
    assert.equal(lastRow(await alice.screen()), "#go>");
  },
});

Deno.test({
  name: "rooms in the terminal: another room's lines are tagged and counted in the prompt",
  ignore,
  async fn() {
    await using server = FakeRoomServer.start();
    await using alice = await aliceIn(server);
    await alice.enter("/join #rust");
    await waitForPrompt(alice, "#rust>");

    await server.push("#rust [bob]: in the current room");
    await alice.waitForText("bob: in the current room");
    await server.push("[carol]: lunch?");
    const screen = await waitForPrompt(alice, "#rust [#lobby 1]>");
    assert.match(screen, /^bob: in the current room$/m);
    assert.match(screen, /^\[#lobby\] carol: lunch\?$/m);

    await server.push("* carol waits");
    await server.push("NOTICE join: dave joined"); // presence is no message
    await waitForPrompt(alice, "#rust [#lobby 2]>");
    assert.match(await alice.screen(), /^\[#lobby\] -- dave joined$/m);

    // What alice says goes to the current room, shown untagged.
    await alice.enter("hello rust");
    await server.waitForReceived("*hello rust");
    await alice.waitForText("alice (you): hello rust");
    await alice.enter("/say #lobby on my way");
    await server.waitForReceived("SAY #lobby on my way");
    await alice.waitForText("[#lobby] alice (you): on my way");
  },
});

Deno.test({
  name: "rooms in the terminal: Alt-2, Ctrl-N and Ctrl-P switch rooms and reset the count",
  ignore,
  async fn() {
    await using server = FakeRoomServer.start();
    await using alice = await aliceIn(server);
    await alice.enter("/join #rust");
    await waitForPrompt(alice, "#rust>");
    await alice.enter("/join #go");
    await waitForPrompt(alice, "#go>");
    await server.push("#rust [bob]: one");
    await server.push("#rust [bob]: two");
    await server.push("[carol]: lunch?");
    await waitForPrompt(alice, "#go [#lobby 1] [#rust 2]>");
    assert.match(await alice.screen(), /^\[#rust\] bob: two$/m);

    // A half-typed line stays as it is.
    await alice.type("draft");
    await alice.sendKeys("M-2");
    await server.waitForReceived("SWITCH #rust");
    await waitForPrompt(alice, "#rust [#lobby 1]> draft");

    await alice.sendKeys("C-n");
    await server.waitForReceived("SWITCH #go");
    await waitForPrompt(alice, "#go [#lobby 1]> draft");

    await alice.sendKeys("C-n"); // wraps around to the first room
    await server.waitForReceived("SWITCH #lobby");
    await waitForPrompt(alice, "#lobby> draft");

    await alice.sendKeys("C-p");
    await server.waitForReceived("SWITCH #go");
    await waitForPrompt(alice, "#go> draft");
    await alice.sendKeys("Enter");
    await server.waitForReceived("*draft");
  },
});

Deno.test({
  name: "rooms in the terminal: Tab completes a room name after #",
  ignore,
  async fn() {
    await using server = FakeRoomServer.start();
    await using alice = await aliceIn(server);
    await alice.enter("/join #rust");
    await waitForPrompt(alice, "#rust>");
    await alice.enter("/switch #lobby");
    await waitForPrompt(alice, "#lobby>");

    await alice.type("/switch #ru");
    await alice.sendKeys("Tab");
    await waitForPrompt(alice, "#lobby> /switch #rust"); // capture-pane trims the space
    await alice.sendKeys("Enter");
    await server.waitForReceived("SWITCH #rust");
    await waitForPrompt(alice, "#rust>");
  },
});

Deno.test({
  name: "rooms in the terminal: /part goes back to the room joined last, then to none",
  ignore,
  async fn() {
    await using server = FakeRoomServer.start();
    await using alice = await aliceIn(server);
    await alice.enter("/join #rust");
    await waitForPrompt(alice, "#rust>");
    await alice.enter("/join #go");
    await waitForPrompt(alice, "#go>");
    await alice.enter("/switch #lobby");
    await waitForPrompt(alice, "#lobby>");

    await alice.enter("/part #go bye");
    await server.waitForReceived("PART #go bye");
    await alice.waitForText("[#go] -- You left #go");
    await waitForPrompt(alice, "#lobby>");

    await alice.enter("/part");
    await server.waitForReceived("PART");
    await waitForPrompt(alice, "#rust>");
    await alice.enter("/part");
    await waitForPrompt(alice, "(no room)>");

    await alice.enter("/list");
    await alice.waitForText("-- 0 rooms");
  },
});

Deno.test({
  name: "rooms in the terminal: /list and /topic show rooms and topics",
  ignore,
  async fn() {
    await using server = FakeRoomServer.start();
    await using alice = await aliceIn(server);
    await alice.enter("/join #rust");
    await waitForPrompt(alice, "#rust>");
    await alice.enter("/topic Rust talk");
    await alice.waitForText("-- alice set the topic: Rust talk");
    await alice.enter("/topic #lobby");
    await alice.waitForText("[#lobby] -- No topic");
    await alice.enter("/list");
    const screen = await alice.waitForText("-- 2 rooms");
    assert.match(screen, /^-- #lobby \(1 user\)$/m);
    assert.match(screen, /^-- #rust \(1 user\): Rust talk$/m);
  },
});

Deno.test({
  name:
    "rooms in the terminal: against the real server, tags, counts and keys work as with the fake",
  ignore,
  async fn() {
    await using ts = await startServer();
    await using bob = await ts.login("bob");
    bob.ignore(/^(#\S+ )?(NOTICE|HISTORY) /);
    await using alice = await aliceIn(ts);
    await alice.enter("/join rust");
    await alice.waitForText("-- You joined #rust: 1 user.");
    await waitForPrompt(alice, "#rust>");
    await bob.send("JOIN #rust");
    await alice.waitForText("-- bob joined");

    await bob.send("*in rust");
    await alice.waitForText("bob: in rust");
    await alice.sendKeys("M-1");
    await alice.waitForText("-- #lobby is your current room");
    await waitForPrompt(alice, "#lobby>");
    await bob.send("*still in rust");
    await alice.waitForText("[#rust] bob: still in rust");
    await waitForPrompt(alice, "#lobby [#rust 1]>");

    await alice.enter("hi lobby");
    await alice.waitForText("alice (you): hi lobby");
    await alice.enter("/say #rust hi rust");
    await alice.waitForText("[#rust] alice (you): hi rust");
    // bob is in both rooms.
    assert.deepEqual(await bob.readLines(2), ["[alice]: hi lobby", "#rust [alice]: hi rust"]);

    await alice.sendKeys("C-n");
    await waitForPrompt(alice, "#rust>");
    await alice.enter("/part");
    await alice.waitForText("[#rust] -- You left #rust");
    await waitForPrompt(alice, "#lobby>");
  },
});
