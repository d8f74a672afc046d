/**
 * Three `nanochat serve --redis` nodes as subprocesses on one real
 * redis-server (AOF on): one order for everyone, one owner per name, WHO,
 * private messages and history across nodes, and a killed node's names
 * freed within the lease. See docs/CLUSTER.md for what is not there yet.
 */
import assert from "@nanochat/assert";
import { ServerProcess } from "../support/cli_process.ts";
import { RedisServer } from "../support/redis_server.ts";
import { PRESENCE_NOTICE } from "../support/test_server.ts";
import { TestClient } from "../support/test_client.ts";

/** Three nodes on one Redis; dispose stops them all. */
async function startCluster(
  redis: RedisServer,
  flags: string[] = [],
): Promise<ServerProcess[] & AsyncDisposable> {
  const nodes = await Promise.all(["n1", "n2", "n3"].map((id) =>
    ServerProcess.start([
      "--redis",
      redis.url,
      "--node-id",
      id,
      "--rate",
      "0",
      "--max-new-per-ip",
      "0",
      "--max-per-ip",
      "1000",
      ...flags,
    ])
  ));
  await Promise.all(nodes.map((node) => node.stderr.waitFor(/ cluster node=n\d$/)));
  return Object.assign(nodes, {
    async [Symbol.asyncDispose]() {
      await Promise.all(nodes.map((node) => node[Symbol.asyncDispose]()));
    },
  });
}

async function login(node: ServerProcess, name: string): Promise<TestClient> {
  const client = await TestClient.login(node.port, name);
  client.ignore(PRESENCE_NOTICE);
  assert.match(await client.readLine(), /^NOTICE welcome: /, name);
  return client;
}

/** Sends WHO until the answer is `expected`: the replicas follow the stream (bounded). */
async function whoUntil(client: TestClient, expected: string, command = "WHO"): Promise<void> {
  let last = "";
  for (let attempt = 0; attempt < 50; attempt++) {
    await client.send(command);
    last = await client.readLine();
    if (last === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(last, expected);
}

Deno.test("interleaved bursts from every node: every receiver on every node sees one identical sequence", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis);
  const receivers = await Promise.all(nodes.map((node, index) => login(node, `r${index}`)));
  const senders = await Promise.all(nodes.map((node, index) => login(node, `s${index}`)));
  // Everyone is known everywhere before the burst.
  await whoUntil(receivers[2]!, "WHO 6: r0 r1 r2 s0 s1 s2");
  const count = 200;
  await Promise.all(senders.map((sender, index) =>
    sender.sendBytes(
      new TextEncoder().encode(
        Array.from({ length: count }, (_, line) => `*s${index}-${line}\n`).join(""),
      ),
    )
  ));
  const sequences = await Promise.all(receivers.map((receiver) => receiver.readLines(3 * count)));
  assert.deepEqual(sequences[1], sequences[0]);
  assert.deepEqual(sequences[2], sequences[0]);
  for (let index = 0; index < 3; index++) {
    const own = sequences[0]!.filter((line) => line.startsWith(`[s${index}]: `));
    assert.deepEqual(
      own,
      Array.from({ length: count }, (_, line) => `[s${index}]: s${index}-${line}`),
    );
  }
  for (const client of [...receivers, ...senders]) await client.close();
});

Deno.test("twenty concurrent logins as Alice, alice and ALICE across three nodes: exactly one wins", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis);
  const spellings = ["Alice", "alice", "ALICE"];
  const clients = await Promise.all(
    Array.from(
      { length: 20 },
      (_, index) => TestClient.login(nodes[index % 3]!.port, spellings[index % 3]!),
    ),
  );
  const first = await Promise.all(clients.map((client) => client.readLine()));
  const welcomes = first.filter((line) => line.startsWith("NOTICE welcome: "));
  assert.equal(welcomes.length, 1, first.join("\n"));
  const winner = /Welcome to .*, (\w+)!/.exec(welcomes[0]!)![1]!;
  for (const line of first) {
    if (!line.startsWith("NOTICE welcome: ")) {
      assert.equal(line, `ERROR name-taken: The name ${line.match(/name (\w+)/)![1]} is in use`);
    }
  }
  assert.ok(spellings.includes(winner));
  for (const client of clients) await client.close();
});

Deno.test("WHO, private messages and history work across nodes", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis);
  const alice = await login(nodes[0]!, "alice");
  const bob = await login(nodes[1]!, "bob");
  const carol = await login(nodes[2]!, "carol");
  for (const client of [alice, bob, carol]) await whoUntil(client, "WHO 3: alice bob carol");

  await alice.send("MSG carol psst");
  assert.equal(await carol.readLine(), "PRIVATE [alice]: psst");
  assert.equal(await alice.readLine(), "SENT [carol]: psst");
  await carol.send("MSG nobody hi");
  assert.equal(await carol.readLine(), "ERROR no-such-user: Nobody called nobody is online");

  await alice.send("*remember me");
  assert.equal(await bob.readLine(), "[alice]: remember me");
  assert.equal(await carol.readLine(), "[alice]: remember me");
  const dave = await TestClient.login(nodes[2]!.port, "dave");
  dave.ignore(PRESENCE_NOTICE);
  assert.match(await dave.readLine(), /^NOTICE welcome: /);
  assert.match(await dave.readLine(), /^HISTORY \S+ \[alice\]: remember me$/);

  // Rooms across nodes: a room made on one node is joined from another.
  await bob.send("JOIN #rust");
  assert.match(await bob.readLine(), /^#rust NOTICE joined: You joined #rust: 1 user\./);
  await whoUntil(carol, "#rust WHO 1: bob", "WHO #rust");
  await carol.send("JOIN #rust");
  assert.match(await carol.readLine(), /^#rust NOTICE joined: You joined #rust: 2 users\./);
  await bob.send("SAY #rust hello rust");
  assert.equal(await carol.readLine(), "#rust [bob]: hello rust");
  for (const client of [alice, bob, carol, dave]) await client.close();
});

Deno.test("a killed node: everyone sees each of its users leave once, and their names are free within the lease", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis, ["--name-lease", "2"]);
  const watcher = await TestClient.login(nodes[2]!.port, "watcher"); // sees presence notices
  assert.match(await watcher.readLine(), /^NOTICE welcome: /);
  const alice = await login(nodes[0]!, "alice");
  assert.equal(await watcher.readLine(), "NOTICE join: alice joined");
  const bob = await login(nodes[1]!, "bob");
  assert.equal(await watcher.readLine(), "NOTICE join: bob joined");
  await whoUntil(alice, "WHO 3: alice bob watcher");

  await nodes[1]!.stop("SIGKILL");
  bob.close().catch(() => {});
  const killed = performance.now();
  assert.equal(
    await watcher.readLine(),
    "NOTICE disconnect: bob was disconnected (their server stopped)",
  );
  await whoUntil(alice, "WHO 2: alice watcher");
  let again: string | undefined;
  for (let attempt = 0; attempt < 60 && !again?.startsWith("NOTICE welcome: "); attempt++) {
    const client = await TestClient.login(nodes[2]!.port, "bob");
    again = await client.readLine();
    await client.close();
    if (!again.startsWith("NOTICE welcome: ")) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  assert.match(again ?? "", /^NOTICE welcome: /, "bob's name is free again");
  assert.ok(performance.now() - killed < 6000, "within the lease (2 s) and a renewal");
  // The next notice is the new bob's: the old one left once.
  assert.equal(await watcher.readLine(), "NOTICE join: bob joined");
  await alice.close();
  await watcher.close();
});

Deno.test("Redis killed and restarted mid-chat: errors instead of local deliveries, then the nodes recover by themselves", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis, ["--name-lease", "3"]);
  const alice = await login(nodes[0]!, "alice");
  const bob = await login(nodes[1]!, "bob");
  await whoUntil(alice, "WHO 2: alice bob");
  await alice.send("*before");
  assert.equal(await bob.readLine(), "[alice]: before");

  await redis.kill();
  await alice.send("*while down");
  assert.equal(
    await alice.readLine(),
    "ERROR cluster-unavailable: Your message was not sent: the server cannot reach its cluster; try again soon",
  );
  const refused = await TestClient.login(nodes[2]!.port, "carol");
  assert.equal(
    await refused.readLine(),
    "ERROR cluster-unavailable: You could not log in: the server cannot reach its cluster; try again soon",
  );
  await refused.close();

  // Down for less than the lease: nobody is fenced, and chat goes on once it is back.
  await redis.restart();
  let delivered = false;
  for (let attempt = 0; attempt < 50 && !delivered; attempt++) {
    // A PING after each line: its PONG comes after the line's error, if it has one.
    await alice.send(`*after ${attempt}`);
    await alice.send(`PING a${attempt}`);
    const line = await alice.readLine();
    if (line.startsWith("ERROR cluster-unavailable")) {
      assert.equal(await alice.readLine(), `PONG a${attempt}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    assert.equal(line, `PONG a${attempt}`);
    delivered = true;
  }
  assert.ok(delivered);
  const seen = await bob.readLine();
  assert.match(seen, /^\[alice\]: after \d+$/, "bob never sees 'while down'");
  await alice.close();
  await bob.close();
});

Deno.test("a node stopped (SIGSTOP) past its lease drops its users before delivering anything, and its names are taken meanwhile", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis, ["--name-lease", "2"]);
  const alice = await login(nodes[0]!, "alice");
  const bob = await login(nodes[1]!, "bob");
  await whoUntil(bob, "WHO 2: alice bob");
  nodes[0]!.child.kill("SIGSTOP");
  let taken: TestClient | undefined;
  try {
    // While n1 sleeps: alice's lease runs out, someone else takes the name, bob talks.
    for (let attempt = 0; attempt < 80 && taken === undefined; attempt++) {
      const client = await TestClient.login(nodes[1]!.port, "alice");
      client.ignore(PRESENCE_NOTICE);
      if ((await client.readLine()).startsWith("NOTICE welcome: ")) taken = client;
      else {
        await client.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.ok(taken, "alice's name was free once n1's lease ran out");
    await bob.send("*said while n1 slept");
    assert.equal(await taken!.readLine(), "[bob]: said while n1 slept");
  } finally {
    nodes[0]!.child.kill("SIGCONT");
  }
  // The first thing the old alice gets is her disconnection, not bob's line.
  assert.equal(
    await alice.readLine(),
    "ERROR cluster-unavailable: You were disconnected: the server cannot reach its cluster; try again soon",
  );
  assert.deepEqual(await alice.readUntilClosed(), []);
  for (const client of [alice, bob, taken!]) await client.close();
});
