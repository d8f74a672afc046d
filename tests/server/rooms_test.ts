import assert from "@nanochat/assert";
import { MemoryRooms } from "../../server/hub/rooms.ts";
import { TestClient } from "../support/test_client.ts";
import { startServer, type TestServer } from "../support/test_server.ts";

/** Logs in and joins rooms, reading each `joined` notice. */
async function inRooms(ts: TestServer, name: string, ...rooms: string[]): Promise<TestClient> {
  const client = await ts.login(name);
  for (const room of rooms) {
    await client.send(`JOIN ${room}`);
    assert.match(await client.readLine(), new RegExp(`^${room} NOTICE joined: `));
  }
  return client;
}

Deno.test("rooms route each line to exactly their members", async () => {
  await using ts = await startServer();
  await using alice = await inRooms(ts, "alice", "#a");
  await using bob = await inRooms(ts, "bob", "#b");
  await using carol = await inRooms(ts, "carol", "#a", "#b");
  await carol.send("PART #lobby");
  assert.equal(await carol.readLine(), "NOTICE parted: You left #lobby");
  // alice: the lobby and #a (current); bob: the lobby and #b; carol: #a and #b (current).
  const steps: [TestClient, string, TestClient, string][] = [
    [alice, "SAY #lobby l1", bob, "[alice]: l1"],
    [carol, "SAY #a a1", alice, "#a [carol]: a1"],
    [bob, "*b1", carol, "#b [bob]: b1"],
    [alice, "ME waves", carol, "#a * alice waves"],
    [bob, "SAY #lobby l2", alice, "[bob]: l2"],
    [carol, "*b2", bob, "#b [carol]: b2"],
  ];
  for (const [sender, line, receiver, expected] of steps) {
    await sender.send(line);
    assert.equal(await receiver.readLine(), expected, line);
  }
  for (const client of [alice, bob, carol]) {
    await client.send("PING end");
    assert.equal(await client.readLine(), "PONG end", "nothing else was delivered");
  }
});

Deno.test("members of overlapping rooms see the same lines in the same order", async () => {
  await using ts = await startServer();
  await using alice = await inRooms(ts, "alice", "#x");
  await using bob = await inRooms(ts, "bob", "#x");
  await using erin = await ts.login("erin"); // the lobby only
  await using carol = await inRooms(ts, "carol", "#x");
  await using dave = await inRooms(ts, "dave", "#x");
  const count = 100;
  await Promise.all([
    alice.sendBytes(new TextEncoder().encode(lines("a", count, "*"))),
    bob.sendBytes(new TextEncoder().encode(lines("b", count, "*"))),
    erin.sendBytes(new TextEncoder().encode(lines("e", count, "*"))),
  ]);
  const carolSaw = await carol.readLines(3 * count);
  const daveSaw = await dave.readLines(3 * count);
  assert.deepEqual(carolSaw, daveSaw);
  for (
    const [prefix, from] of [["#x [alice]: a", "alice"], ["#x [bob]: b", "bob"], [
      "[erin]: e",
      "erin",
    ]]
  ) {
    const own = carolSaw.filter((line) => line.startsWith(prefix!));
    assert.deepEqual(own, Array.from({ length: count }, (_, i) => `${prefix}${i}`), from);
  }
});

function lines(prefix: string, count: number, command: string): string {
  return Array.from({ length: count }, (_, i) => `${command}${prefix}${i}\n`).join("");
}

Deno.test("a seed-only client in the lobby sees nothing of other rooms, byte for byte", async () => {
  await using ts = await startServer();
  await using seed = await TestClient.login(ts.port, "seed");
  assert.match(await seed.readLine(), /^NOTICE welcome: /);
  await using bob = await inRooms(ts, "bob", "#rust");
  assert.equal(await seed.readLine(), "NOTICE join: bob joined");
  await bob.send("*in rust");
  await bob.send("TOPIC #rust Rust talk");
  await bob.send("SAY #lobby in the lobby");
  await bob.send("ME waves in rust");
  await bob.send("QUIT");
  await bob.readUntilClosed();
  await seed.send("QUIT");
  assert.deepEqual(await seed.readUntilClosed(), [
    "[bob]: in the lobby",
    "NOTICE quit: bob left",
  ]);
});

Deno.test("JOIN, PART, SWITCH, TOPIC, WHO and LIST answer as PROTOCOL.md shows", async () => {
  await using ts = await startServer();
  await using alice = await inRooms(ts, "alice", "#rust");
  await alice.send("TOPIC #rust Rust talk");
  assert.equal(await alice.readLine(), "#rust NOTICE topic: alice set the topic: Rust talk");
  await using bob = await ts.login("bob", { presence: true });
  await bob.send("JOIN #Rust");
  assert.equal(
    await bob.readLine(),
    "#rust NOTICE joined: You joined #rust: 2 users. Topic: Rust talk",
  );
  await bob.send("TOPIC");
  assert.equal(await bob.readLine(), "#rust TOPIC: Rust talk");
  await bob.send("WHO");
  assert.equal(await bob.readLine(), "#rust WHO 2: alice bob");
  await bob.send("WHO #lobby");
  assert.equal(await bob.readLine(), "WHO 2: alice bob");
  await bob.send("SWITCH #lobby");
  assert.equal(await bob.readLine(), "NOTICE current: #lobby is your current room");
  await bob.send("JOIN #go");
  assert.equal(await bob.readLine(), "#go NOTICE joined: You joined #go: 1 user.");
  await bob.send("LIST");
  assert.deepEqual(await bob.readLines(4), [
    "LIST #go 1: ",
    "LIST #lobby 2: ",
    "LIST #rust 2: Rust talk",
    "LIST END: 3 rooms",
  ]);
  await bob.send("PART");
  assert.equal(await bob.readLine(), "#go NOTICE parted: You left #go");
  assert.equal(await bob.readLine(), "NOTICE current: #rust is your current room");
  alice.ignore(undefined); // from here alice reads presence too
  await bob.send("PART #rust bye now");
  assert.equal(await bob.readLine(), "#rust NOTICE parted: You left #rust");
  assert.equal(await alice.readLine(), "#rust NOTICE part: bob left (bye now)");
  await bob.send("*back in the lobby"); // parting #go made the lobby current again
  assert.equal(await alice.readLine(), "[bob]: back in the lobby");
  await alice.send("TOPIC #rust -");
  assert.equal(await alice.readLine(), "#rust NOTICE topic: alice cleared the topic");
});

Deno.test("every room error is one clear line and the connection stays open", async () => {
  await using ts = await startServer({ maxRoomsPerUser: 3, maxRooms: 4 });
  await using alice = await inRooms(ts, "alice", "#rust", "#go");
  await using bob = await ts.login("bob");
  const cases: [TestClient, string, string][] = [
    [
      alice,
      "JOIN rust",
      "ERROR room-invalid: Room names are # then 1 to 32 letters, digits, '_', '-' or '.'",
    ],
    [alice, "JOIN #a b", "ERROR usage: Usage: JOIN #room"],
    [
      alice,
      `JOIN #${"x".repeat(33)}`,
      "ERROR room-invalid: Room names are # then 1 to 32 letters, digits, '_', '-' or '.'",
    ],
    [alice, "JOIN #r\u03C5st", "ERROR room-invalid: The room #r\u03C5st looks too much like #rust"],
    [alice, "JOIN #zig", "ERROR too-many-rooms: You are in 3 rooms already"],
    [bob, "SAY #rust hi", "ERROR not-in-room: You are not in #rust"],
    [bob, "SWITCH #rust", "ERROR not-in-room: You are not in #rust"],
    [bob, "PART #rust", "ERROR not-in-room: You are not in #rust"],
    [bob, "TOPIC #rust mine", "ERROR not-in-room: You are not in #rust"],
    [bob, "WHO #nowhere", "ERROR no-such-room: There is no room #nowhere"],
    [bob, "TOPIC #nowhere", "ERROR no-such-room: There is no room #nowhere"],
    [bob, "SWITCH #nowhere", "ERROR not-in-room: You are not in #nowhere"],
    [
      bob,
      `TOPIC #lobby ${"t".repeat(301)}`,
      "ERROR usage: Usage: TOPIC [#room] [text] (at most 300 characters)",
    ],
  ];
  for (const [client, line, reply] of cases) {
    await client.send(line);
    assert.equal(await client.readLine(), reply, line);
  }
  await bob.send("JOIN #zig"); // the fourth room
  assert.match(await bob.readLine(), /^#zig NOTICE joined: /);
  await bob.send("JOIN #fifth");
  assert.equal(await bob.readLine(), "ERROR too-many-rooms: The server has 4 rooms already");
  for (const room of ["#lobby", "#zig"]) {
    await bob.send(`PART ${room}`);
    await bob.readLine();
  }
  await bob.send("*anyone?");
  assert.equal(await bob.readLine(), "ERROR no-current-room: You are in no room; JOIN one");
  await bob.send("WHO");
  assert.equal(await bob.readLine(), "ERROR no-current-room: You are in no room; JOIN one");
});

Deno.test("joining a room replays its own history, behind the room", async () => {
  await using ts = await startServer({ historyLines: 2 });
  await using alice = await inRooms(ts, "alice", "#rust");
  await alice.send("*one");
  await alice.send("*two");
  await alice.send("*three");
  await alice.send("SAY #lobby lobby line");
  await alice.send("PING done");
  assert.equal(await alice.readLine(), "PONG done", "all four lines were taken");
  await using bob = await ts.login("bob");
  assert.match(await bob.readLine(), /^HISTORY \S+ \[alice\]: lobby line$/);
  await bob.send("JOIN #rust");
  assert.match(await bob.readLine(), /^#rust NOTICE joined: /);
  assert.deepEqual(
    (await bob.readLines(2)).map((line) => line.replace(/HISTORY \S+ /, "HISTORY ")),
    [
      "#rust HISTORY [alice]: two",
      "#rust HISTORY [alice]: three",
    ],
  );
});

Deno.test("a user who quits is announced once in each room they were in", async () => {
  await using ts = await startServer();
  await using alice = await inRooms(ts, "alice", "#a", "#b");
  await using bob = await inRooms(ts, "bob", "#a", "#b");
  alice.ignore(undefined);
  await bob.send("NICK robert");
  assert.deepEqual(await alice.readLines(3), [
    "NOTICE nick: bob is now robert",
    "#a NOTICE nick: bob is now robert",
    "#b NOTICE nick: bob is now robert",
  ]);
  await bob.send("QUIT lunch");
  assert.deepEqual(await alice.readLines(3), [
    "NOTICE quit: robert left (lunch)",
    "#a NOTICE quit: robert left (lunch)",
    "#b NOTICE quit: robert left (lunch)",
  ]);
});

Deno.test("MemoryRooms forgets a room left empty for the expiry, unless it has a topic", () => {
  const clock = { now: 0 };
  const rooms = new MemoryRooms<{ name: string }>(() => clock.now);
  const user = { name: "alice" };
  for (const room of ["#lobby", "#quiet", "#kept", "#busy"]) rooms.open(room);
  rooms.setTopic("#kept", "stays");
  rooms.join("#busy", user);
  clock.now = 599_999;
  assert.deepEqual(rooms.expire(600_000, "#lobby"), []);
  clock.now = 600_000;
  assert.deepEqual(rooms.expire(600_000, "#lobby"), ["#quiet"]);
  assert.equal(rooms.find("#QUIET"), undefined);
  rooms.leave("#busy", user);
  clock.now = 1_199_999;
  assert.deepEqual(rooms.expire(600_000, "#lobby"), []);
  clock.now = 1_200_000;
  assert.deepEqual(rooms.expire(600_000, "#lobby"), ["#busy"]);
  assert.deepEqual(rooms.list().map((room) => room.room), ["#kept", "#lobby"]);
  assert.deepEqual(rooms.open("#quiet"), { room: "#quiet" }, "a forgotten name can be used again");
});

Deno.test("--default-room names the room whose lines carry no room", async () => {
  await using ts = await startServer({ defaultRoom: "#main" });
  await using alice = await inRooms(ts, "alice", "#lobby");
  await using bob = await ts.login("bob");
  await bob.send("*plain");
  assert.equal(await alice.readLine(), "[bob]: plain");
  await bob.send("JOIN #lobby");
  await bob.readLine();
  await bob.send("*tagged");
  assert.equal(await alice.readLine(), "#lobby [bob]: tagged");
  await bob.send("WHO #main");
  assert.equal(await bob.readLine(), "WHO 2: alice bob");
});
