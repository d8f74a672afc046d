import assert from "@nanochat/assert";
import { COMMANDS } from "../../protocol/commands.ts";
import { TestClient } from "../support/test_client.ts";
import { floodUntilSlowReaderDropped, startServer } from "../support/test_server.ts";

const HISTORY_LINE = /^HISTORY \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (.*)$/;

/** The live line a HISTORY line replays. */
function replayed(line: string): string {
  const match = line.match(HISTORY_LINE);
  if (!match) throw new assert.AssertionError({ message: `Not a HISTORY line: ${line}` });
  return match[1]!;
}

Deno.test("server greets a new user with name, version, users online and HELP", async () => {
  await using ts = await startServer();
  await using alice = await TestClient.login(ts.port, "alice");
  assert.match(
    await alice.readLine(),
    /^NOTICE welcome: Welcome to nanochat \d+\.\d+\.\d+, alice! 1 user online\. Type HELP for commands\.$/,
  );
  await using bob = await TestClient.login(ts.port, "bob");
  assert.match(await bob.readLine(), /, bob! 2 users online\./);
});

Deno.test("server tells everyone but the subject when a user joins, quits or drops", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice", { presence: true });
  await using bob = await ts.login("bob", { presence: true });
  assert.equal(await alice.readLine(), "NOTICE join: bob joined");

  await using carol = await ts.login("carol", { presence: true });
  assert.equal(await alice.readLine(), "NOTICE join: carol joined");
  assert.equal(await bob.readLine(), "NOTICE join: carol joined");

  await carol.send("QUIT gone for lunch");
  assert.deepEqual(await carol.readUntilClosed(), []);
  assert.equal(await alice.readLine(), "NOTICE quit: carol left (gone for lunch)");
  assert.equal(await bob.readLine(), "NOTICE quit: carol left (gone for lunch)");

  await bob.send("quit");
  assert.equal(await alice.readLine(), "NOTICE quit: bob left");

  await using dave = await ts.login("dave", { presence: true });
  assert.equal(await alice.readLine(), "NOTICE join: dave joined");
  await dave.close(); // no QUIT: the connection just ends
  assert.equal(
    await alice.readLine(),
    "NOTICE disconnect: dave was disconnected (connection closed)",
  );
});

Deno.test("server announces a slow reader's disconnection after the message that overflowed it", async () => {
  await using ts = await startServer({ maxOutboxBytes: 256 * 1024 });
  await using alice = await ts.login("alice", { presence: true });
  await using bob = await ts.login("bob", { presence: true });
  const stalled = await Deno.connect({ hostname: "127.0.0.1", port: ts.port });
  try {
    await stalled.write(new TextEncoder().encode("stalled\n"));
    assert.equal(await alice.readLine(), "NOTICE join: bob joined");
    assert.equal(await bob.readLine(), "NOTICE join: stalled joined");
    assert.equal(await alice.readLine(), "NOTICE join: stalled joined");
    const { sent, received } = await floodUntilSlowReaderDropped(ts, alice, bob, "stalled");
    await alice.send("*end");
    for (let line = await bob.readLine(); line !== "[alice]: end"; line = await bob.readLine()) {
      received.push(line);
    }
    const notices = received.filter((l) => l.startsWith("NOTICE "));
    assert.deepEqual(notices, [
      "NOTICE disconnect: stalled was disconnected (not reading: too much output queued)",
    ]);
    assert.ok(received.indexOf(notices[0]!) > 0, "the notice follows the message that overflowed");
    const chat = received.filter((l) => l.startsWith("[alice]: "));
    assert.equal(chat.length, sent, "every message reached bob, none lost around the notice");
  } finally {
    stalled.close();
  }
});

Deno.test("WHO lists the users online, sorted, with the count", async () => {
  await using ts = await startServer();
  await using carol = await ts.login("carol");
  await using alice = await ts.login("Alice");
  await using bob = await ts.login("bob");
  await bob.send("WHO");
  assert.equal(await bob.readLine(), "WHO 3: Alice bob carol");
  await alice.send("quit");
  await ts.waitForLog(/disconnect .*name=Alice reason=quit/);
  await carol.send("who");
  assert.equal(await carol.readLine(), "WHO 2: bob carol");
});

Deno.test("MSG reaches exactly its recipient, and the sender sees a confirmation", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  await using carol = await ts.login("carol");
  await alice.send("MSG BOB are you free at noon?");
  assert.equal(await bob.readLine(), "PRIVATE [alice]: are you free at noon?");
  assert.equal(await alice.readLine(), "SENT [bob]: are you free at noon?");
  // carol's next line is the public one that follows, not the private one.
  await alice.send("*public again");
  assert.equal(await carol.readLine(), "[alice]: public again");
  assert.equal(await bob.readLine(), "[alice]: public again");
});

Deno.test("MSG errors: unknown user and missing text, and the connection stays usable", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await alice.send("MSG nobody hello");
  assert.equal(await alice.readLine(), "ERROR no-such-user: Nobody called nobody is online");
  await alice.send("MSG bob");
  assert.equal(await alice.readLine(), "ERROR usage: Usage: MSG name text");
  await alice.send("msg");
  assert.equal(await alice.readLine(), "ERROR usage: Usage: MSG name text");
  await alice.send("PING still-here");
  assert.equal(await alice.readLine(), "PONG still-here");
});

Deno.test("NICK renames the user for everyone, with the login rules", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice", { presence: true });
  await using bob = await ts.login("bob", { presence: true });
  assert.equal(await alice.readLine(), "NOTICE join: bob joined");

  await alice.send("NICK alicia");
  assert.equal(await alice.readLine(), "NOTICE nick: alice is now alicia");
  assert.equal(await bob.readLine(), "NOTICE nick: alice is now alicia");
  await alice.send("*under a new name");
  assert.equal(await bob.readLine(), "[alicia]: under a new name");

  await alice.send("NICK BOB");
  assert.equal(await alice.readLine(), "ERROR name-taken: The name BOB is in use");
  await alice.send("NICK a:b");
  assert.match(await alice.readLine(), /^ERROR name-invalid: Name must be /);
  await alice.send("NICK two words");
  assert.equal(await alice.readLine(), "ERROR usage: Usage: NICK name");
  await alice.send("NICK Alicia"); // only the case changes: allowed
  assert.equal(await bob.readLine(), "NOTICE nick: alicia is now Alicia");
  assert.equal(await alice.readLine(), "NOTICE nick: alicia is now Alicia");

  // The old name is free again; the new one is held.
  await using _newAlice = await ts.login("alice");
  assert.equal(await alice.readLine(), "NOTICE join: alice joined");
  await using impostor = await TestClient.login(ts.port, "ALICIA");
  assert.deepEqual(await impostor.readUntilClosed(), [
    "ERROR name-taken: The name ALICIA is in use",
  ]);
  await bob.send("MSG alicia still you?");
  assert.equal(await alice.readLine(), "PRIVATE [bob]: still you?");
});

Deno.test("ME sends an action line to everyone else", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  await alice.send("ME waves");
  assert.equal(await bob.readLine(), "* alice waves");
  await alice.send("me");
  assert.equal(await alice.readLine(), "ERROR usage: Usage: ME text");
});

Deno.test("PING gets PONG with the same token", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  for (
    const [ping, pong] of [["PING", "PONG"], ["ping 123", "PONG 123"], ["PING a b", "PONG a b"]]
  ) {
    await alice.send(ping!);
    assert.equal(await alice.readLine(), pong);
  }
});

Deno.test("HELP lists every command, one line each", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await alice.send("HELP");
  assert.deepEqual(await alice.readLines(COMMANDS.length), [
    "NOTICE help: *text                say text to everyone else in your current room",
    "NOTICE help: ME text              act: everyone else sees * yourname text",
    "NOTICE help: MSG name text        send text to one user only",
    "NOTICE help: NICK name            change your name",
    "NOTICE help: JOIN #room           join a room, creating it, and talk there",
    "NOTICE help: PART [#room] [reason] leave a room (the current one)",
    "NOTICE help: SAY #room text       say text in a room without switching to it",
    "NOTICE help: SWITCH #room         make a room you are in the current one",
    "NOTICE help: LIST                 list the rooms, their users and topics",
    "NOTICE help: TOPIC [#room] [text] show a room's topic, or set it (- clears it)",
    "NOTICE help: WHO [#room]          list the users in a room (the current one)",
    "NOTICE help: REGISTER password|#room keep your name (it needs this password from now), or own a room you made",
    "NOTICE help: OP #room name        room owners: make a user one of the room's operators",
    "NOTICE help: DEOP #room name      room owners: take that back",
    "NOTICE help: PASS password        log in under a registered name (after the name line)",
    "NOTICE help: PASSWORD old new     change your password",
    "NOTICE help: UNREGISTER password  give your name up",
    "NOTICE help: KICK [#room] name [reason] operators: remove a user from a room",
    "NOTICE help: BAN target [duration] [reason] operators: ban a name, address or range (10m, 1h30m, 7d; for good without)",
    "NOTICE help: UNBAN target         operators: lift a ban",
    "NOTICE help: BANS                 operators: list the bans in force",
    "NOTICE help: MUTE [#room] name [duration] operators: keep a user from speaking in a room, or anywhere",
    "NOTICE help: UNMUTE [#room] name  operators: let a muted user speak again",
    "NOTICE help: HISTORY [#room] [count] [before] older lines of a room: count (50, at most 200) from before a UTC time",
    "NOTICE help: PING [token]         the server answers PONG [token]",
    "NOTICE help: HELP                 this list",
    "NOTICE help: QUIT [reason]        leave",
  ]);
});

Deno.test("server replays the last N public lines to a new user, marked as history", async () => {
  await using ts = await startServer({ historyLines: 3 });
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  for (const line of ["*one", "*two", "ME three", "MSG bob private", "*four"]) {
    await alice.send(line);
  }
  await bob.readLines(5); // one, two, three, the private line, four
  await alice.send("NICK alicia");
  await alice.send("*five");
  await bob.readLine();
  await alice.send("QUIT");
  await alice.readUntilClosed();

  await using carol = await ts.login("carol");
  const history = await carol.readLines(3);
  // The oldest dropped; names as they were when sent; nothing private.
  assert.deepEqual(history.map(replayed), ["* alice three", "[alice]: four", "[alicia]: five"]);
  await bob.send("*live");
  assert.equal(await carol.readLine(), "[bob]: live");
});

Deno.test("server with --history 0 replays nothing", async () => {
  await using ts = await startServer({ historyLines: 0 });
  await using alice = await ts.login("alice");
  await alice.send("*forgotten");
  await using bob = await ts.login("bob");
  await alice.send("*live");
  assert.equal(await bob.readLine(), "[alice]: live");
});

Deno.test("server disconnects a user silent past the idle timeout; activity keeps one alive", async () => {
  await using ts = await startServer({ idleTimeoutMs: 300 });
  await using pinger = await ts.login("pinger", { presence: true });
  await using silent = await ts.login("silent");
  assert.equal(await pinger.readLine(), "NOTICE join: silent joined");
  // The pinger pings more often than the timeout, for longer than it.
  const seen: string[] = [];
  for (let i = 0; i < 8; i++) {
    await pinger.send("PING");
    for (let line = await pinger.readLine(); line !== "PONG"; line = await pinger.readLine()) {
      seen.push(line);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(await silent.readUntilClosed(), [
    "ERROR idle-timeout: Nothing received for 0.3 s",
  ]);
  assert.deepEqual(seen, ["NOTICE disconnect: silent was disconnected (idle timeout)"]);
  await pinger.send("WHO");
  assert.equal(await pinger.readLine(), "WHO 1: pinger");
});

Deno.test("a seed-only client gets every chat line exactly, and only documented lines besides", async () => {
  await using ts = await startServer();
  await using bob = await ts.login("bob");
  // The seed client: sends a name, *messages and QUIT; reads everything raw.
  await using seed = await TestClient.login(ts.port, "seed");
  await bob.send("*hello seed");
  await seed.send("*hello bob");
  assert.equal(await bob.readLine(), "[seed]: hello bob");
  await bob.send("*bye");
  await seed.send("QUIT");
  const lines = await seed.readUntilClosed();
  assert.deepEqual(lines.filter((l) => l.startsWith("[")), ["[bob]: hello seed", "[bob]: bye"]);
  for (const line of lines.filter((l) => !l.startsWith("["))) {
    assert.match(line, /^NOTICE (welcome|join|quit|disconnect|nick): /, "a documented notice");
  }
});

Deno.test("joins and departures are not announced in a room larger than presenceMaxUsers", async () => {
  await using ts = await startServer({ presenceMaxUsers: 2 });
  await using alice = await ts.login("alice", { presence: true });
  await using _bob = await ts.login("bob");
  assert.equal(await alice.readLine(), "NOTICE join: bob joined"); // 1 other user: announced
  await using _carol = await ts.login("carol");
  assert.equal(await alice.readLine(), "NOTICE join: carol joined"); // 2: still announced
  await using dave = await ts.login("dave"); // 3 in the room: silent from now on
  await dave.send("QUIT");
  await dave.readUntilClosed();
  await ts.waitForLog(/disconnect .*name=dave reason=quit/);
  await alice.send("PING after");
  assert.equal(await alice.readLine(), "PONG after", "no join or quit notice came for dave");
});
