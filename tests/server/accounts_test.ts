import assert from "@nanochat/assert";
import { TestClient } from "../support/test_client.ts";
import { startServer, type TestServer } from "../support/test_server.ts";

const PASSWORD = "correct horse battery";

/** Logs in as `name`, registers it, and keeps the connection. */
async function registered(ts: TestServer, name: string): Promise<TestClient> {
  const client = await ts.login(name);
  await client.send(`REGISTER ${PASSWORD}`);
  assert.equal(
    await client.readLine(),
    `NOTICE registered: ${name} is registered to you now; log in with its password`,
  );
  return client;
}

Deno.test("a registered name logs in with PASS after the name, or with the password on the name line", async () => {
  await using ts = await startServer();
  const alice = await registered(ts, "alice");
  await alice.send("QUIT");
  await alice.readUntilClosed();
  await alice.close();
  await using twoLines = await TestClient.login(ts.port, "alice");
  assert.equal(
    await twoLines.readLine(),
    "NOTICE password: alice is registered: send PASS and its password",
  );
  await twoLines.send(`PASS ${PASSWORD}`);
  assert.match(await twoLines.readLine(), /^NOTICE welcome: Welcome to nanochat \S+, alice!/);
  await twoLines.send("QUIT");
  await twoLines.readUntilClosed();
  await using oneLine = await TestClient.login(ts.port, `ALICE ${PASSWORD}`);
  assert.match(
    await oneLine.readLine(),
    /^NOTICE welcome: Welcome to nanochat \S+, alice!/,
    "the registered spelling",
  );
});

Deno.test("a wrong or missing password is refused with one line, and the connection closes", async () => {
  await using ts = await startServer();
  await using _alice = await registered(ts, "alice");
  await using wrong = await TestClient.login(ts.port, "alice hunter22");
  assert.deepEqual(await wrong.readUntilClosed(), [
    "ERROR password-wrong: Wrong password for alice",
  ]);
  await using missing = await TestClient.login(ts.port, "alice");
  await missing.readLine(); // asked for the password
  await missing.send("*hi everyone");
  assert.deepEqual(await missing.readUntilClosed(), [
    "ERROR password-wrong: Wrong password for alice",
  ]);
  assert.ok(
    !ts.log.some((line) => line.includes("hunter22") || line.includes(PASSWORD)),
    "no password in the log",
  );
});

Deno.test("wrong passwords lock an address out for a while, without checking more", async () => {
  await using ts = await startServer({ maxNewConnectionsPerIp: 0 });
  await using _alice = await registered(ts, "alice");
  for (let i = 0; i < 5; i++) {
    await using guess = await TestClient.login(ts.port, `alice guess-number-${i}`);
    assert.deepEqual(await guess.readUntilClosed(), [
      "ERROR password-wrong: Wrong password for alice",
    ]);
  }
  await using locked = await TestClient.login(ts.port, `alice ${PASSWORD}`);
  assert.deepEqual(await locked.readUntilClosed(), [
    "ERROR password-locked: Too many wrong passwords; try again in 120 s",
  ]);
});

Deno.test("the right password takes the name from a stale connection, which is told why", async () => {
  await using ts = await startServer();
  await using stale = await registered(ts, "alice");
  await using bob = await ts.login("bob", { presence: true });
  await using fresh = await TestClient.login(ts.port, `alice ${PASSWORD}`);
  assert.match(await fresh.readLine(), /^NOTICE welcome: /);
  assert.deepEqual(await stale.readUntilClosed(), [
    "ERROR replaced: alice logged in again elsewhere",
  ]);
  assert.deepEqual(await bob.readLines(2), [
    "NOTICE disconnect: alice was disconnected (logged in again elsewhere)",
    "NOTICE join: alice joined",
  ]);
  await bob.send("*still you?");
  assert.equal(await fresh.readLine(), "[bob]: still you?");
});

Deno.test("a registered name is its owner's while offline: no login, NICK or look-alike takes it", async () => {
  await using ts = await startServer();
  const alice = await registered(ts, "alice");
  await alice.send("QUIT");
  await alice.readUntilClosed();
  await alice.close();
  await using bob = await ts.login("bob");
  await bob.send("NICK Alice");
  assert.equal(
    await bob.readLine(),
    "ERROR name-taken: The name Alice looks too much like alice, which is registered",
  );
  await using impostor = await TestClient.login(ts.port, "aIice");
  assert.deepEqual(await impostor.readUntilClosed(), [
    "ERROR name-taken: The name aIice looks too much like alice, which is registered",
  ]);
});

Deno.test("PASSWORD changes the password and UNREGISTER gives the name up", async () => {
  await using ts = await startServer();
  await using alice = await registered(ts, "alice");
  await alice.send("REGISTER something-else");
  assert.equal(await alice.readLine(), "ERROR already-registered: alice is registered already");
  await alice.send("PASSWORD wrong-password new-password-1");
  assert.equal(await alice.readLine(), "ERROR password-wrong: Wrong password for alice");
  await alice.send("PASSWORD " + PASSWORD.replaceAll(" ", "-") + " x");
  assert.equal(
    await alice.readLine(),
    "ERROR password-invalid: A password must have at least 8 and at most 200 characters",
  );
  await alice.send("PASSWORD correct new-password-1");
  assert.equal(await alice.readLine(), "ERROR password-wrong: Wrong password for alice");
  await using bob = await ts.login("bob");
  await bob.send("REGISTER short");
  assert.equal(
    await bob.readLine(),
    "ERROR password-invalid: A password must have at least 8 and at most 200 characters",
  );
  await bob.send("UNREGISTER whatever-it-is");
  assert.equal(await bob.readLine(), "ERROR not-registered: bob is not registered");
});

Deno.test("a changed password is the one that logs in, and an unregistered name is free again", async () => {
  await using ts = await startServer();
  const bob = await ts.login("bob");
  await bob.send("REGISTER bobs-secret-1");
  await bob.readLine();
  await bob.send("PASSWORD bobs-secret-1 bobs-secret-2");
  assert.equal(await bob.readLine(), "NOTICE password-changed: The password of bob changed");
  await bob.send("QUIT");
  await bob.readUntilClosed();
  await bob.close();
  await using old = await TestClient.login(ts.port, "bob bobs-secret-1");
  assert.deepEqual(await old.readUntilClosed(), ["ERROR password-wrong: Wrong password for bob"]);
  const again = await TestClient.login(ts.port, "bob bobs-secret-2");
  assert.match(await again.readLine(), /^NOTICE welcome: /);
  await again.send("UNREGISTER bobs-secret-2");
  assert.equal(await again.readLine(), "NOTICE unregistered: bob is not registered any more");
  await again.send("QUIT");
  await again.readUntilClosed();
  await again.close();
  await using free = await TestClient.login(ts.port, "bob");
  assert.match(await free.readLine(), /^NOTICE welcome: /);
});

Deno.test("lines sent while a password is checked are kept, in order, up to a bound", async () => {
  await using ts = await startServer();
  await using _alice = await registered(ts, "alice");
  await using bob = await ts.login("bob");
  // A registered name, its password, and chat right behind, in one write.
  await using eager = await TestClient.connect(ts.port);
  await eager.sendBytes(new TextEncoder().encode(`alice ${PASSWORD}\n*one\n*two\n`));
  assert.match(await eager.readLine(), /^NOTICE welcome: /);
  assert.equal(await bob.readLine(), "[alice]: one");
  assert.equal(await bob.readLine(), "[alice]: two");
  await using flooder = await TestClient.connect(ts.port);
  const flood = Array.from({ length: 200 }, (_, i) => `*flood ${i}\n`).join("");
  await flooder.sendBytes(new TextEncoder().encode(`alice ${PASSWORD}\n${flood}`));
  assert.deepEqual(await flooder.readUntilClosed(), [
    "ERROR flood: Too many lines for too long; slow down",
  ]);
});

Deno.test("a user logged in by password is not ended by the login timeout while it listens", async () => {
  await using ts = await startServer({ loginTimeoutMs: 1500 });
  const owner = await registered(ts, "alice");
  await owner.send("QUIT");
  await owner.readUntilClosed();
  await owner.close();
  await using bob = await ts.login("bob");
  // The password is checked off the line loop: the login ends after the last line was read.
  await using alice = await TestClient.login(ts.port, `alice ${PASSWORD}`);
  assert.match(await alice.readLine(), /^NOTICE welcome: /);
  // A connection that never names itself, opened after alice's: its timeout comes after hers.
  await using silent = await TestClient.connect(ts.port);
  assert.deepEqual(await silent.readUntilClosed(), [
    "ERROR login-timeout: No name received in time",
  ]);
  await alice.send("*still here");
  // bob may first hear alice arrive; the chat line must follow.
  let line = await bob.readLine();
  for (let skipped = 0; skipped < 5 && line.startsWith("NOTICE"); skipped++) {
    line = await bob.readLine();
  }
  assert.equal(line, "[alice]: still here");
  assert.ok(
    !ts.log.some((line) => /reason=login-timeout/.test(line) && / name=alice/.test(line)),
    "alice was not timed out",
  );
});
