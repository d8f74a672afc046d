import assert from "@nanochat/assert";
import { Bans, MemoryBanStore } from "../../server/moderation/bans.ts";
import { MemoryMuteStore, Mutes } from "../../server/moderation/mutes.ts";
import { TestClient } from "../support/test_client.ts";
import { startServer, type TestServer } from "../support/test_server.ts";

/** Logs an operator in: registered, and named by --operators. */
async function operator(ts: TestServer, name: string): Promise<TestClient> {
  const client = await ts.login(name);
  await client.send("REGISTER operator-password");
  assert.match(await client.readLine(), /^NOTICE registered: /);
  return client;
}

Deno.test("KICK removes a user from a room, and both sides see it", async () => {
  await using ts = await startServer({ operators: ["mod"] });
  await using mod = await operator(ts, "mod");
  await using bob = await ts.login("bob");
  await using carol = await ts.login("carol");
  await bob.send("JOIN #rust");
  await bob.readLine();
  await mod.send("KICK bob spamming");
  assert.equal(await mod.readLine(), "NOTICE kick: bob was kicked by mod (spamming)");
  assert.equal(await carol.readLine(), "NOTICE kick: bob was kicked by mod (spamming)");
  assert.equal(await bob.readLine(), "NOTICE kick: bob was kicked by mod (spamming)");
  await bob.send("SAY #lobby still here?");
  assert.equal(await bob.readLine(), "ERROR not-in-room: You are not in #lobby");
  await mod.send("KICK #rust bob off topic"); // an operator need not be in the room
  assert.equal(await mod.readLine(), "NOTICE moderation: bob was kicked from #rust");
  assert.equal(await bob.readLine(), "#rust NOTICE kick: bob was kicked by mod (off topic)");
  await mod.send("KICK #rust bob");
  assert.equal(await mod.readLine(), "ERROR not-in-room: bob is not in #rust");
  await mod.send("KICK nobody");
  assert.equal(await mod.readLine(), "ERROR no-such-user: Nobody called nobody is online");
});

Deno.test("only registered operators may KICK, BAN, UNBAN and see BANS", async () => {
  await using ts = await startServer({ operators: ["mod"] });
  await using unregistered = await ts.login("mod"); // named, but anyone could be "mod"
  await using bob = await ts.login("bob");
  const refusals: [string, string][] = [
    ["KICK bob", "ERROR not-operator: Only operators of #lobby may KICK there"],
    ["BAN bob", "ERROR not-operator: Only server operators may BAN"],
    ["UNBAN bob", "ERROR not-operator: Only server operators may UNBAN"],
    ["BANS", "ERROR not-operator: Only server operators may BANS"],
  ];
  for (const [line, refusal] of refusals) {
    for (const client of [unregistered, bob]) {
      await client.send(line);
      assert.equal(await client.readLine(), refusal, line);
    }
  }
});

Deno.test("BAN of a name disconnects its holder and refuses its logins until UNBAN", async () => {
  await using ts = await startServer({ operators: ["mod"] });
  await using mod = await operator(ts, "mod");
  await using bob = await ts.login("bob");
  await mod.send("BAN Bob 1h flooding the lobby");
  const until = /until (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)/;
  const notice = await mod.readLine();
  assert.match(notice, /^NOTICE moderation: Bob is banned until \S+Z$/);
  const time = notice.match(until)![1];
  assert.deepEqual(await bob.readUntilClosed(), [
    `ERROR banned: bob is banned until ${time} (flooding the lobby)`,
  ]);
  await using again = await TestClient.login(ts.port, "BOB");
  assert.deepEqual(await again.readUntilClosed(), [
    `ERROR banned: BOB is banned until ${time} (flooding the lobby)`,
  ]);
  await mod.send("BANS");
  assert.deepEqual(await mod.readLines(2), [
    `BAN Bob ${time} mod: flooding the lobby`,
    "BANS END: 1 ban",
  ]);
  await using carol = await ts.login("carol");
  await carol.send("NICK bob");
  assert.equal(await carol.readLine(), "ERROR name-invalid: The name bob is banned");
  await mod.send("UNBAN bob");
  assert.equal(await mod.readLine(), "NOTICE moderation: bob is not banned any more");
  await using _back = await ts.login("bob");
  await ts.waitForLog(/ ban by=mod target=Bob until=\d+ reason="flooding the lobby"/);
  await ts.waitForLog(/ unban by=mod target=bob/);
});

Deno.test("BAN of an address range refuses its connections and drops who is on", async () => {
  await using ts = await startServer({ operators: ["mod"] });
  await using mod = await operator(ts, "mod");
  await using eve = await TestClient.connectFrom(ts.port, "127.0.9.9");
  await eve.send("eve");
  assert.match(await eve.readLine(), /^NOTICE welcome: /);
  await mod.send("BAN 127.0.9.0/24 spam");
  assert.equal(await mod.readLine(), "NOTICE moderation: 127.0.9.0/24 is banned for good");
  assert.deepEqual(await eve.readUntilClosed(), [
    "ERROR banned: Your address is banned for good (spam)",
  ]);
  await using later = await TestClient.connectFrom(ts.port, "127.0.9.10");
  assert.deepEqual(await later.readUntilClosed(), [
    "ERROR banned: Your address is banned for good (spam)",
  ]);
  await using other = await TestClient.connectFrom(ts.port, "127.0.10.1");
  await other.send("other");
  assert.match(await other.readLine(), /^NOTICE welcome: /, "the rest of the world is not banned");
  await mod.send("BAN bob soon");
  assert.equal(
    await mod.readLine(),
    "NOTICE moderation: bob is banned for good",
    "soon is a reason",
  );
  await mod.send("BAN not/a/range");
  assert.match(await mod.readLine(), /^ERROR usage: /);
});

Deno.test("Bans expire on their own, by the clock", () => {
  const clock = { now: 1_000 };
  const bans = new Bans(new MemoryBanStore(), () => clock.now);
  bans.add({ target: "bob", kind: "name", until: 61_000, reason: "", by: "mod" });
  bans.add({ target: "10.0.0.0/8", kind: "address", until: undefined, reason: "", by: "mod" });
  assert.equal(bans.forName("BOB")?.target, "bob");
  assert.equal(bans.forAddress("10.1.2.3")?.target, "10.0.0.0/8");
  clock.now = 60_999;
  assert.ok(bans.forName("bob"));
  clock.now = 61_000;
  assert.equal(bans.forName("bob"), undefined);
  assert.deepEqual(bans.list().map((ban) => ban.target), ["10.0.0.0/8"]);
});

Deno.test("MUTE keeps a user from speaking in a room or everywhere until UNMUTE", async () => {
  await using ts = await startServer({ operators: ["mod"] });
  await using mod = await operator(ts, "mod");
  await using bob = await ts.login("bob");
  await bob.send("JOIN #rust");
  await bob.readLine();
  await mod.send("MUTE #rust bob 10m");
  const notice = await mod.readLine();
  assert.match(notice, /^NOTICE moderation: bob is muted in #rust until \S+Z$/);
  assert.equal(await bob.readLine(), `${notice}, by mod`);
  await bob.send("*hello rust");
  assert.match(await bob.readLine(), /^ERROR muted: You are muted in #rust until \S+Z$/);
  await bob.send("TOPIC #rust mine now");
  assert.match(await bob.readLine(), /^ERROR muted: /);
  await bob.send("SAY #lobby the lobby is fine");
  assert.equal(await mod.readLine(), "[bob]: the lobby is fine");
  await mod.send("MUTE bob");
  assert.equal(await mod.readLine(), "NOTICE moderation: bob is muted everywhere for good");
  await bob.readLine();
  await bob.send("SAY #lobby still?");
  assert.equal(await bob.readLine(), "ERROR muted: You are muted everywhere for good");
  await mod.send("UNMUTE bob");
  assert.equal(await mod.readLine(), "NOTICE moderation: bob may speak everywhere again");
  await bob.send("SAY #lobby free");
  assert.equal(await mod.readLine(), "[bob]: free");
  await bob.send("MUTE mod");
  assert.equal(await bob.readLine(), "ERROR not-operator: Only server operators may MUTE");
});

Deno.test("Mutes end on their own, by the clock", () => {
  const clock = { now: 0 };
  const mutes = new Mutes(new MemoryMuteStore(), () => clock.now);
  mutes.add({ name: "Bob", room: "#rust", until: 600_000, by: "mod" });
  assert.equal(mutes.forSpeaker("bob", "#rust")?.by, "mod");
  assert.equal(mutes.forSpeaker("bob", "#lobby"), undefined);
  clock.now = 600_000;
  assert.equal(mutes.forSpeaker("bob", "#rust"), undefined);
});

Deno.test("the registered creator of a room owns it and appoints its operators", async () => {
  await using ts = await startServer();
  await using alice = await operatorless(ts, "alice");
  await using bob = await ts.login("bob");
  await using carol = await ts.login("carol");
  for (const client of [alice, bob, carol]) {
    await client.send("JOIN #rust");
    await client.readLine();
  }
  await bob.send("REGISTER #rust");
  assert.equal(
    await bob.readLine(),
    "ERROR not-operator: You cannot own #rust: register your name first",
  );
  await alice.send("REGISTER #rust");
  assert.equal(
    await alice.readLine(),
    "NOTICE moderation: #rust is yours: OP #rust name makes someone its operator",
  );
  await carol.send("REGISTER #rust");
  assert.equal(await carol.readLine(), "ERROR not-operator: You cannot own #rust: alice owns it");
  await carol.send("TOPIC #rust mine");
  assert.equal(
    await carol.readLine(),
    "ERROR not-operator: Only operators of #rust may set the topic there",
  );
  await bob.send("KICK #rust carol");
  assert.equal(await bob.readLine(), "ERROR not-operator: Only operators of #rust may KICK there");
  await alice.send("OP #rust bob");
  assert.equal(await alice.readLine(), "NOTICE moderation: bob is now an operator of #rust");
  await bob.send("KICK #rust carol off topic");
  assert.equal(await carol.readLine(), "#rust NOTICE kick: carol was kicked by bob (off topic)");
  await bob.send("KICK #lobby carol");
  assert.match(await bob.readLine(), /^#rust NOTICE kick: /); // his own view of the kick
  assert.equal(await bob.readLine(), "ERROR not-operator: Only operators of #lobby may KICK there");
  await bob.send("MUTE bob");
  assert.equal(await bob.readLine(), "ERROR not-operator: Only server operators may MUTE");
  await alice.send("DEOP #rust bob");
  assert.match(await alice.readLine(), /^#rust NOTICE kick: /);
  assert.equal(await alice.readLine(), "NOTICE moderation: bob is no longer an operator of #rust");
  await bob.send("TOPIC #rust bobs topic");
  assert.equal(
    await bob.readLine(),
    "ERROR not-operator: Only operators of #rust may set the topic there",
  );
});

/** Logs in and registers, without being a server operator. */
async function operatorless(ts: TestServer, name: string): Promise<TestClient> {
  const client = await ts.login(name);
  await client.send("REGISTER room-owner-password");
  assert.match(await client.readLine(), /^NOTICE registered: /);
  return client;
}
