import assert from "@nanochat/assert";
import { TestClient } from "../support/test_client.ts";
import { startServer } from "../support/test_server.ts";

const encoder = new TextEncoder();

Deno.test("flood control slows a flooder without dropping its lines, and others get through promptly", async () => {
  await using ts = await startServer({
    rateLinesPerSecond: 100,
    burstLines: 10,
    floodKickMs: 60_000,
  });
  await using flooder = await ts.login("flooder");
  await using bystander = await ts.login("bystander");
  await using watcher = await ts.login("watcher");
  const count = 200;
  const started = performance.now();
  await flooder.sendBytes(encoder.encode(
    Array.from({ length: count }, (_, i) => `*flood ${i}\n`).join(""),
  ));
  // The flooder is now throttled; a bystander's line must not wait behind it.
  await watcher.readLines(5);
  const sent = performance.now();
  await bystander.send("*excuse me");
  const seen: string[] = [];
  for (
    let line = await watcher.readLine();
    line !== "[bystander]: excuse me";
    line = await watcher.readLine()
  ) {
    seen.push(line);
  }
  assert.ok(performance.now() - sent < 1000, "the bystander's line arrived within a second");
  seen.push(...await watcher.readLines(count - 5 - seen.length, 10_000));
  const elapsed = performance.now() - started;
  assert.deepEqual(seen, Array.from({ length: count - 5 }, (_, i) => `[flooder]: flood ${i + 5}`));
  // 190 lines over the burst at 100 lines/s take at least 1.9 s.
  assert.ok(elapsed >= 1800, `the flood was slowed to the rate (took ${Math.round(elapsed)} ms)`);
});

Deno.test("flood control disconnects a client that stays over its rate too long", async () => {
  await using ts = await startServer({ rateLinesPerSecond: 20, burstLines: 5, floodKickMs: 300 });
  await using watcher = await ts.login("watcher", { presence: true });
  await using flooder = await ts.login("flooder");
  assert.equal(await watcher.readLine(), "NOTICE join: flooder joined");
  await flooder.sendBytes(encoder.encode("*x\n".repeat(500)));
  const lines = await flooder.readUntilClosed();
  assert.deepEqual(lines, ["ERROR flood: Too many lines for too long; slow down"]);
  const notice = await watcher.ignore(/^\[flooder\]: /).readLine();
  assert.equal(notice, "NOTICE disconnect: flooder was disconnected (flooding)");
  await ts.waitForLog(/disconnect .*name=flooder reason=flood/);
});

Deno.test("a client under its rate is never slowed", async () => {
  await using ts = await startServer({ rateLinesPerSecond: 10, burstLines: 40, floodKickMs: 1000 });
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  const started = performance.now();
  await alice.sendBytes(encoder.encode("*burst\n".repeat(30))); // within the burst
  await bob.readLines(30);
  assert.ok(performance.now() - started < 500, "a burst within the limit is not held back");
});

Deno.test("the server refuses connections over the per-IP limit with one line", async () => {
  await using ts = await startServer({ maxConnectionsPerIp: 3 });
  const clients = [await ts.login("a"), await ts.login("b"), await ts.login("c")];
  try {
    await using extra = await TestClient.connect(ts.port);
    assert.deepEqual(await extra.readUntilClosed(), [
      "ERROR too-many-connections: Too many connections from your address",
    ]);
    await ts.waitForLog(/ reject addr=127\.0\.0\.1:\d+ reason=too-many-connections$/);
    await clients[0]!.send("QUIT");
    await clients[0]!.readUntilClosed();
    await ts.waitForLog(/disconnect .*name=a reason=quit/);
    await using _again = await ts.login("d"); // a slot is free again
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
});

Deno.test("the server refuses connections over the global limit with one line", async () => {
  await using ts = await startServer({ maxConnections: 2 });
  await using a = await ts.login("a");
  await using b = await ts.login("b");
  await using extra = await TestClient.connect(ts.port);
  assert.deepEqual(await extra.readUntilClosed(), [
    "ERROR server-full: The server is full; try again later",
  ]);
  await a.send("*still fine");
  assert.equal(await b.readLine(), "[a]: still fine");
});
