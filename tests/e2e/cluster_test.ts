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
  const nodes: ServerProcess[] = [];
  const dispose = async () => {
    await Promise.all(nodes.map((node) => node[Symbol.asyncDispose]()));
  };
  try {
    // One after the other: three starting at once on a loaded machine can miss the start timeout.
    for (const id of ["n1", "n2", "n3"]) {
      const node = await ServerProcess.start([
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
      ]);
      nodes.push(node);
      await node.stderr.waitFor(/ cluster node=n\d$/);
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  return Object.assign(nodes, { [Symbol.asyncDispose]: dispose });
}

/** Where the shared tests run: three cluster nodes, or one server on its own seen as three. */
type Mode = "cluster" | "embedded";

/** Three nodes (the same one thrice, embedded), restartable with their state. */
interface Deployment extends AsyncDisposable {
  readonly nodes: readonly ServerProcess[];
  /** Stops every node and starts them again; the state (Redis, or the SQLite file) stays. */
  restart(): Promise<void>;
}

/**
 * Starts the nodes of a mode: the cluster on a fresh Redis with AOF, or one
 * server with a SQLite file. The embedded mode passes the same tests.
 */
async function deploy(mode: Mode, flags: string[] = []): Promise<Deployment> {
  if (mode === "cluster") {
    const redis = await RedisServer.start({ aof: true });
    let nodes = await startCluster(redis, flags);
    return {
      get nodes() {
        return nodes;
      },
      async restart() {
        await nodes[Symbol.asyncDispose]();
        nodes = await startCluster(redis, flags);
      },
      async [Symbol.asyncDispose]() {
        await nodes[Symbol.asyncDispose]();
        await redis[Symbol.asyncDispose]();
      },
    };
  }
  const dir = await Deno.makeTempDir({ prefix: "nanochat-embedded-" });
  const start = () =>
    ServerProcess.start(
      [
        "--data",
        `${dir}/chat.db`,
        "--rate",
        "0",
        "--max-new-per-ip",
        "0",
        "--max-per-ip",
        "1000",
        ...flags,
      ],
      { permissions: [`--allow-read=${dir}`, `--allow-write=${dir}`] },
    );
  let server = await start();
  return {
    get nodes() {
      return [server, server, server];
    },
    async restart() {
      await server.stop("SIGTERM");
      server = await start();
    },
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function login(node: ServerProcess, name: string): Promise<TestClient> {
  const client = await TestClient.login(node.port, name);
  client.ignore(PRESENCE_NOTICE);
  assert.match(await client.readLine(), /^NOTICE welcome: /, name);
  return client;
}

/**
 * Logs in as `name` as soon as the name (or the cluster) lets it: a login
 * refused meanwhile is retried, 100 ms apart, for at most 6 s.
 */
async function loginWhenFree(node: ServerProcess, name: string): Promise<TestClient> {
  let refusal = "";
  for (let attempt = 0; attempt < 60; attempt++) {
    const client = await TestClient.login(node.port, name);
    client.ignore(PRESENCE_NOTICE);
    const first = await client.readLine();
    if (first.startsWith("NOTICE welcome: ")) return client;
    refusal = first;
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} could not log in within 6 s: ${refusal}`);
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

for (const mode of ["cluster", "embedded"] as const) {
  Deno.test(`${mode}: interleaved bursts from every node: every receiver on every node sees one identical sequence`, async () => {
    await using deployment = await deploy(mode);
    const nodes = deployment.nodes;
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
}

for (const mode of ["cluster", "embedded"] as const) {
  Deno.test(`${mode}: twenty concurrent logins as Alice, alice and ALICE across three nodes: exactly one wins`, async () => {
    await using deployment = await deploy(mode);
    const nodes = deployment.nodes;
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
}

for (const mode of ["cluster", "embedded"] as const) {
  Deno.test(`${mode}: WHO, private messages and history work across nodes`, async () => {
    await using deployment = await deploy(mode);
    const nodes = deployment.nodes;
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
    // LIST on the third node counts both.
    let list: string[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      await alice.send("LIST");
      list = await alice.readLines(3);
      if (list[1] === "LIST #rust 2: ") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(list, ["LIST #lobby 4: ", "LIST #rust 2: ", "LIST END: 2 rooms"]);

    // Renames: the case only, then a new name; the old name is free for someone else.
    // (The clients ignore nick notices: WHO shows the names.)
    await bob.send("NICK Bob");
    await whoUntil(alice, "WHO 4: alice Bob carol dave");
    const twin = await TestClient.login(nodes[0]!.port, "bob");
    assert.equal(await twin.readLine(), "ERROR name-taken: The name bob is in use");
    await twin.close();
    await bob.send("NICK robert");
    await whoUntil(alice, "WHO 4: alice carol dave robert");
    const newBob = await login(nodes[2]!, "bob");
    await newBob.close();
    for (const client of [alice, bob, carol, dave]) await client.close();
  });
}

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
  await (await loginWhenFree(nodes[2]!, "bob")).close(); // bob's name is free again
  assert.ok(performance.now() - killed < 6000, "within the lease (2 s) and a renewal");
  // The next notice is the new bob's: the old one left once.
  assert.equal(await watcher.readLine(), "NOTICE join: bob joined");
  await alice.close();
  await watcher.close();
});

Deno.test("a killed node's users leave without a notice in a room over --presence-max, as anyone's would", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis, ["--name-lease", "2", "--presence-max", "2"]);
  const watcher = await TestClient.login(nodes[2]!.port, "watcher"); // sees presence notices
  assert.match(await watcher.readLine(), /^NOTICE welcome: /);
  const alice = await login(nodes[0]!, "alice");
  assert.equal(await watcher.readLine(), "NOTICE join: alice joined"); // 2 users: shown
  // 3 and 4 users: not shown (unless a node's replica lags behind the joins, so read on below).
  const bob = await login(nodes[1]!, "bob");
  const carol = await login(nodes[0]!, "carol");
  await whoUntil(alice, "WHO 4: alice bob carol watcher");

  await nodes[1]!.stop("SIGKILL");
  bob.close().catch(() => {});
  await whoUntil(alice, "WHO 3: alice carol watcher"); // bob was reaped
  await alice.send("*after bob");
  // Had bob's departure been shown, it would come before this line: the stream orders it so.
  const seen: string[] = [];
  for (
    let line = await watcher.readLine();
    line !== "[alice]: after bob";
    line = await watcher.readLine()
  ) {
    seen.push(line);
    assert.ok(seen.length < 10, seen.join("\n"));
  }
  assert.deepEqual(seen.filter((line) => line.includes("disconnect")), []);
  await Promise.all([alice.close(), carol.close(), watcher.close()]);
});

Deno.test("Redis killed and restarted mid-chat: errors instead of local deliveries, then the nodes recover by themselves", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis, ["--name-lease", "3", "--metrics", "127.0.0.1:0"]);
  const alice = await login(nodes[0]!, "alice");
  const bob = await login(nodes[1]!, "bob");
  await whoUntil(alice, "WHO 2: alice bob");
  // The node's id is in its metrics, and it holds its names.
  const metricsLine = await nodes[0]!.stderr.waitFor(/ metrics addr=\S+:\d+$/);
  const metricsPort = /:(\d+)$/.exec(metricsLine)![1];
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  assert.match(metrics, /^nanochat_cluster_node\{node="n1"\} 1$/m);
  assert.match(metrics, /^nanochat_users_online 1$/m, "its own users only");
  // Its own events came back from Redis (alice's join at least), each timed.
  const hops = Number(/^nanochat_cluster_hop_seconds_count (\d+)$/m.exec(metrics)?.[1]);
  assert.ok(hops >= 1, metrics);
  assert.match(
    metrics,
    new RegExp(`^nanochat_cluster_hop_seconds_bucket\\{le="\\+Inf"\\} ${hops}$`, "m"),
  );
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
  // Send until a line reaches bob. A refused line's error comes when Redis
  // answers, so it may come before or after the PING's answer: any number of
  // them may be read here, and nothing but them and the PONGs.
  let seen: string | undefined;
  for (let attempt = 0; attempt < 50 && seen === undefined; attempt++) {
    await alice.send(`*after ${attempt}`);
    await alice.send(`PING a${attempt}`);
    for (
      let line = await alice.readLine();
      line !== `PONG a${attempt}`;
      line = await alice.readLine()
    ) {
      assert.match(line, /^ERROR cluster-unavailable: Your message was not sent: /);
    }
    seen = await bob.readLine(300).catch(() => undefined);
  }
  assert.match(
    seen ?? "",
    /^\[alice\]: after \d+$/,
    "chat goes on, and bob never sees 'while down'",
  );
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
    taken = await loginWhenFree(nodes[1]!, "alice");
    await bob.send("*said while n1 slept");
    assert.equal(await taken.readLine(), "[bob]: said while n1 slept");
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

for (const mode of ["cluster", "embedded"] as const) {
  Deno.test(`${mode}: registered names, bans, kicks and topics are the same on every node, and outlive every node`, async () => {
    await using deployment = await deploy(mode, ["--operators", "mod"]);
    {
      const nodes = deployment.nodes;
      const mod = await login(nodes[0]!, "mod");
      await mod.send("REGISTER operator-password");
      assert.match(await mod.readLine(), /^NOTICE registered: /);
      const bob = await login(nodes[1]!, "bob");
      const carol = await login(nodes[2]!, "carol");
      await whoUntil(mod, "WHO 3: bob carol mod");

      // A kick from n1 of a user on n2, seen on n3.
      await mod.send("KICK bob spamming");
      assert.equal(await mod.readLine(), "NOTICE kick: bob was kicked by mod (spamming)");
      assert.equal(await carol.readLine(), "NOTICE kick: bob was kicked by mod (spamming)");
      assert.equal(await bob.readLine(), "NOTICE kick: bob was kicked by mod (spamming)");
      await bob.send("SAY #lobby still here?");
      assert.equal(await bob.readLine(), "ERROR not-in-room: You are not in #lobby");
      await whoUntil(carol, "WHO 2: carol mod");

      // A ban from n1 ends bob's session on n2 and keeps him out of n3.
      await mod.send("BAN bob 1h spamming");
      assert.match(await mod.readLine(), /^NOTICE moderation: bob is banned/);
      assert.match(await bob.readLine(), /^ERROR banned: /);
      let refused = "";
      for (let attempt = 0; attempt < 50 && !refused.startsWith("ERROR banned: "); attempt++) {
        const again = await TestClient.login(nodes[2]!.port, "bob");
        refused = await again.readLine();
        await again.close();
      }
      assert.match(refused, /^ERROR banned: bob is banned/);

      await carol.send("TOPIC #lobby shared everywhere");
      assert.equal(await carol.readLine(), "NOTICE topic: carol set the topic: shared everywhere");
      await mod.close();
      await carol.close();
      await bob.close();
    }
    // Every node stopped and started again: the account and the topic are still there.
    await deployment.restart();
    const nodes = deployment.nodes;
    const asked = await TestClient.login(nodes[1]!.port, "mod");
    assert.equal(
      await asked.readLine(),
      "NOTICE password: mod is registered: send PASS and its password",
    );
    await asked.close();
    const dave = await login(nodes[2]!, "dave");
    await dave.send("TOPIC");
    assert.equal(await dave.readLine(), "TOPIC: shared everywhere");
    await dave.close();
  });
}

for (const mode of ["cluster", "embedded"] as const) {
  Deno.test(`${mode}: the right password takes a registered name from a stale session on another node, which is told why`, async () => {
    await using deployment = await deploy(mode);
    const nodes = deployment.nodes;
    const stale = await login(nodes[0]!, "alice");
    await stale.send("REGISTER alice-password");
    assert.match(await stale.readLine(), /^NOTICE registered: /);
    const bob = await TestClient.login(nodes[2]!.port, "bob"); // sees presence notices
    assert.match(await bob.readLine(), /^NOTICE welcome: /);
    await whoUntil(bob, "WHO 2: alice bob");

    const fresh = await TestClient.login(nodes[1]!.port, "alice alice-password");
    assert.match(await fresh.readLine(), /^NOTICE welcome: .*, alice!/);
    assert.deepEqual(await stale.readUntilClosed(), [
      "ERROR replaced: alice logged in again elsewhere",
    ]);
    // Once each: the stale session leaves, the fresh one arrives.
    assert.deepEqual(await bob.readLines(2), [
      "NOTICE disconnect: alice was disconnected (logged in again elsewhere)",
      "NOTICE join: alice joined",
    ]);
    await bob.send("*still you?");
    assert.equal(await fresh.readLine(), "[bob]: still you?");
    await whoUntil(bob, "WHO 2: alice bob");
    await Promise.all([stale.close(), fresh.close(), bob.close()]);
  });
}

Deno.test("the right password takes a registered name held on a killed node within the lease, and the stale user leaves once", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis, ["--name-lease", "3"]);
  const stale = await login(nodes[0]!, "alice");
  await stale.send("REGISTER alice-password");
  assert.match(await stale.readLine(), /^NOTICE registered: /);
  const bob = await TestClient.login(nodes[2]!.port, "bob"); // sees presence notices
  assert.match(await bob.readLine(), /^NOTICE welcome: /);
  await whoUntil(bob, "WHO 2: alice bob");

  await nodes[0]!.stop("SIGKILL");
  stale.close().catch(() => {});
  const killed = performance.now();
  // No retry by the client: the login waits for the dead node's lease to run out.
  const fresh = await TestClient.login(nodes[1]!.port, "alice alice-password");
  assert.match(await fresh.readLine(10_000), /^NOTICE welcome: .*, alice!/);
  assert.ok(performance.now() - killed < 3000 + 1000 + 1000, "within the lease and its margin");
  const seen = await bob.readLines(2);
  assert.equal(seen[1], "NOTICE join: alice joined");
  // Whoever says it first (the login, or the reaper of the dead node), alice left once.
  assert.match(
    seen[0]!,
    /^NOTICE disconnect: alice was disconnected \((their server stopped|logged in again elsewhere)\)$/,
  );
  await bob.send("*still you?");
  assert.equal(await fresh.readLine(), "[bob]: still you?");
  await bob.send("WHO");
  assert.equal(await bob.readLine(), "WHO 2: alice bob");
  await Promise.all([fresh.close(), bob.close()]);
});

Deno.test("a node whose Redis is gone shuts down on SIGTERM at once, with no error", async () => {
  await using redis = await RedisServer.start();
  await using nodes = await startCluster(redis);
  const alice = await login(nodes[0]!, "alice");
  await redis.kill();
  const started = performance.now();
  const status = await nodes[0]!.stop("SIGTERM");
  assert.equal(status.code, 0, nodes[0]!.stderr.lines.join("\n"));
  assert.ok(performance.now() - started < 5000, "within the command timeout and a read");
  assert.deepEqual(nodes[0]!.stderr.lines.filter((line) => line.startsWith("nanochat:")), []);
  await alice.close();
});

Deno.test("DEBUG SLEEP shorter than the lease: lines wait and arrive, nobody is dropped", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis, ["--name-lease", "9"]);
  const alice = await login(nodes[0]!, "alice");
  const bob = await login(nodes[1]!, "bob");
  await whoUntil(bob, "WHO 2: alice bob");
  const admin = await redis.client();
  try {
    const sleeping = admin.sendCommand(["DEBUG", "SLEEP", "1"]);
    await alice.send("*during the sleep");
    await sleeping;
    assert.equal(await bob.readLine(), "[alice]: during the sleep");
    await alice.send("PING still-here");
    assert.equal(await alice.readLine(), "PONG still-here");
  } finally {
    await admin.quit();
  }
  await alice.close();
  await bob.close();
});

Deno.test("CLIENT PAUSE past the lease: every node drops its users with an error, then takes logins again", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis, ["--name-lease", "3"]);
  const alice = await login(nodes[0]!, "alice");
  const bob = await login(nodes[1]!, "bob");
  await whoUntil(bob, "WHO 2: alice bob");
  const admin = await redis.client();
  try {
    await admin.sendCommand(["CLIENT", "PAUSE", "5000", "ALL"]);
    const dropped =
      "ERROR cluster-unavailable: You were disconnected: the server cannot reach its cluster; try again soon";
    assert.equal(await alice.readLine(8000), dropped);
    assert.equal(await bob.readLine(8000), dropped);
    await admin.sendCommand(["CLIENT", "UNPAUSE"]);
  } finally {
    await admin.quit();
  }
  await (await loginWhenFree(nodes[0]!, "alice")).close(); // logins work again
  await alice.close();
  await bob.close();
});

Deno.test("Redis down for longer than the lease: users are dropped with an error, and the nodes recover by themselves", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis, ["--name-lease", "2"]);
  const alice = await login(nodes[0]!, "alice");
  const bob = await login(nodes[1]!, "bob");
  await whoUntil(bob, "WHO 2: alice bob");
  await redis.kill();
  const dropped =
    "ERROR cluster-unavailable: You were disconnected: the server cannot reach its cluster; try again soon";
  assert.equal(await alice.readLine(8000), dropped);
  assert.equal(await bob.readLine(8000), dropped);
  await redis.restart();
  await (await loginWhenFree(nodes[1]!, "alice")).close(); // logins work again
  await alice.close();
  await bob.close();
});

Deno.test("malformed entries and rows in Redis are skipped: no node dies, and a node still starts", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis);
  const alice = await login(nodes[0]!, "alice");
  const bob = await login(nodes[1]!, "bob");
  await whoUntil(alice, "WHO 2: alice bob");
  const client = await redis.client();
  try {
    // Written by hand, or by a different version: a bad row in the stream and in the tables.
    const bad: [string, string][] = [["accounts", "{not json"], [
      "bans",
      '{"target":"x","kind":"address"}',
    ]];
    for (const [table, value] of bad) {
      await client.xAdd("nanochat:events", "*", {
        kind: "row",
        table,
        key: "x",
        value,
        node: "other",
      });
      await client.hSet(`nanochat:table:${table}`, "x", value);
    }
    await client.xAdd("nanochat:events", "*", { kind: "nonsense", node: "other" });
  } finally {
    await client.quit();
  }
  await alice.send("*still alive");
  assert.equal(await bob.readLine(), "[alice]: still alive");
  await using late = await ServerProcess.start(["--redis", redis.url, "--node-id", "late"]);
  await late.stderr.waitFor(/ cluster node=late$/);
  const carol = await login(late, "carol");
  await whoUntil(carol, "WHO 3: alice bob carol");
  for (const user of [alice, bob, carol]) await user.close();
});

Deno.test("reaping a big dead node starves no heartbeat: nobody on a live node is announced gone", async () => {
  await using redis = await RedisServer.start();
  await using nodes = await startCluster(redis, ["--name-lease", "2"]);
  const alice = await login(nodes[0]!, "alice");
  const bob = await login(nodes[1]!, "bob");
  await whoUntil(alice, "WHO 2: alice bob");
  // What a crashed big node leaves behind: 3,000 users in three rooms each, and no heartbeat.
  const client = await redis.client();
  try {
    await client.eval(
      `for i = 1, 3000 do
        local key = 'ghost' .. i
        redis.call('HSET', 'nanochat:online', key, 'ghost\\n' .. key)
        redis.call('SADD', 'nanochat:rooms:' .. key, '#a', '#b', '#c')
      end
      return 0`,
      { keys: [], arguments: [] },
    );
    // Until the reaping is done: the ghosts are no longer listed.
    for (let attempt = 0; attempt < 200 && await client.hLen("nanochat:online") > 2; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(await client.hLen("nanochat:online"), 2, "the ghosts were logged out");
  } finally {
    await client.quit();
  }
  // Two more leases: long enough for a starved heartbeat to have got a live node reaped.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  await whoUntil(alice, "WHO 2: alice bob");
  await whoUntil(bob, "WHO 2: alice bob");
  for (const node of nodes) {
    assert.ok(
      !node.stderr.lines.some((line) => / cluster-reap node=n\d /.test(line)),
      "no live node reaped",
    );
  }
  await alice.close();
  await bob.close();
});

Deno.test("a rename that only changes case claims the new spelling's look-alikes too", async () => {
  const cyrillicIvan = "\u0456van"; // looks like "ivan" (same skeleton), not like "Ivan"
  await using redis = await RedisServer.start();
  await using nodes = await startCluster(redis);
  const ivan = await login(nodes[0]!, "Ivan");
  await ivan.send("NICK ivan");
  await whoUntil(ivan, "WHO 1: ivan");
  const twin = await TestClient.login(nodes[1]!.port, cyrillicIvan);
  assert.equal(
    await twin.readLine(),
    `ERROR name-taken: The name ${cyrillicIvan} looks too much like ivan, who is online`,
  );
  await twin.close();

  // Back to "Ivan": the look-alike of "ivan" is free, and then "ivan" is refused to Ivan.
  await ivan.send("NICK Ivan");
  await whoUntil(ivan, "WHO 1: Ivan");
  const other = await loginWhenFree(nodes[1]!, cyrillicIvan); // free once Ivan gave up "ivan"
  await whoUntil(ivan, `WHO 2: Ivan ${cyrillicIvan}`);
  await ivan.send("NICK ivan");
  assert.equal(
    await ivan.readLine(),
    `ERROR name-taken: The name ivan looks too much like ${cyrillicIvan}, who is online`,
  );
  await whoUntil(ivan, `WHO 2: Ivan ${cyrillicIvan}`);
  await ivan.close();
  await other.close();
});

Deno.test("expired rooms leave no rows behind: a node started later sees only the rooms that live", async () => {
  await using redis = await RedisServer.start();
  await using nodes = await startCluster(redis, ["--room-expiry", "1"]);
  const user = await login(nodes[0]!, "mallory");
  user.ignore(/^(#\S+ )?(HISTORY|NOTICE (current|history-end))/);
  for (let index = 0; index < 20; index++) {
    await user.send(`JOIN #junk${index}`);
    assert.match(await user.readLine(), /NOTICE joined/);
    await user.send(`PART #junk${index}`);
    assert.match(await user.readLine(), /NOTICE parted/);
  }
  const client = await redis.client();
  try {
    // The rooms expire a second after they are left, on every node.
    for (
      let attempt = 0;
      attempt < 60 && await client.hLen("nanochat:table:rooms") > 0;
      attempt++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(await client.hLen("nanochat:table:rooms"), 0);
  } finally {
    await client.quit();
  }
  await using late = await ServerProcess.start(["--redis", redis.url, "--node-id", "late"]);
  await late.stderr.waitFor(/ cluster node=late$/);
  const viewer = await login(late, "viewer");
  await viewer.send("LIST");
  assert.deepEqual(await viewer.readLines(2), ["LIST #lobby 2: ", "LIST END: 1 room"]);
  await user.close();
  await viewer.close();
});

Deno.test("a password login waiting for a dead node's lease does not hold its node's shutdown up", async () => {
  await using redis = await RedisServer.start();
  // The default lease (15 s): a takeover may wait for it and its margin, 20 s.
  await using nodes = await startCluster(redis);
  const stale = await login(nodes[0]!, "alice");
  await stale.send("REGISTER alice-password");
  assert.match(await stale.readLine(), /^NOTICE registered: /);
  // n2 knows the account before n1 dies.
  let asked = "";
  for (let attempt = 0; attempt < 50 && !asked.startsWith("NOTICE password: "); attempt++) {
    const probe = await TestClient.login(nodes[1]!.port, "alice");
    asked = await probe.readLine();
    await probe.close();
  }
  assert.match(asked, /^NOTICE password: alice is registered/);
  await nodes[0]!.stop("SIGKILL");
  stale.close().catch(() => {});

  const waiting = await TestClient.login(nodes[1]!.port, "alice alice-password");
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.deepEqual(waiting.unread, [], "still waiting for n1's lease");
  const started = performance.now();
  const status = await nodes[1]!.stop("SIGTERM");
  const elapsed = performance.now() - started;
  assert.equal(status.code, 0, nodes[1]!.stderr.lines.join("\n"));
  assert.ok(elapsed < 5000, `stopped in ${Math.round(elapsed)} ms`);
  await waiting.close();
});

Deno.test("a node whose Redis hangs (SIGSTOP) shuts down on SIGTERM within seconds, with no error", async () => {
  await using redis = await RedisServer.start();
  await using node = await ServerProcess.start(["--redis", redis.url, "--node-id", "n1"]);
  await node.stderr.waitFor(/ cluster node=n1$/);
  const alice = await login(node, "alice");
  const client = await redis.client();
  const pid = Number(/process_id:(\d+)/.exec(await client.info("server"))![1]);
  await client.quit();
  Deno.kill(pid, "SIGSTOP");
  try {
    await new Promise((resolve) => setTimeout(resolve, 300)); // the node's read is blocked
    const started = performance.now();
    const status = await node.stop("SIGTERM");
    const elapsed = performance.now() - started;
    assert.equal(status.code, 0, node.stderr.lines.join("\n"));
    // A blocked read, a QUIT and a reap, each within the command timeout (2 s) and a block (1 s).
    assert.ok(elapsed < 9000, `stopped in ${Math.round(elapsed)} ms`);
    assert.deepEqual(node.stderr.lines.filter((line) => line.startsWith("nanochat:")), []);
  } finally {
    Deno.kill(pid, "SIGCONT");
  }
  await alice.close();
});

Deno.test("a rename into the name of a killed node's user not reaped yet: that user leaves once, everywhere, and the renamed user is known by the new name", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using nodes = await startCluster(redis, ["--name-lease", "2"]);
  const watcher = await TestClient.login(nodes[2]!.port, "watcher"); // sees presence notices
  assert.match(await watcher.readLine(), /^NOTICE welcome: /);
  const bob = await login(nodes[0]!, "bob");
  assert.equal(await watcher.readLine(), "NOTICE join: bob joined");
  const alice = await login(nodes[1]!, "alice");
  assert.equal(await watcher.readLine(), "NOTICE join: alice joined");
  await whoUntil(watcher, "WHO 3: alice bob watcher");

  await nodes[0]!.stop("SIGKILL");
  bob.close().catch(() => {});
  // n1's last heartbeat came a little after its last renewal of bob's lease:
  // bob's name is free a moment before n1 is reaped.
  const client = await redis.client();
  try {
    await client.set("nanochat:node:n1", "1", { PX: 4000 });
  } finally {
    await client.quit();
  }
  // alice renames to bob as soon as the name is free (her own node shows it at once).
  alice.ignore(/^((#\S+ )?NOTICE (join|part|quit|disconnect|nick): |ERROR name-taken: )/);
  let who = "";
  for (let attempt = 0; attempt < 60 && who !== "WHO 2: bob watcher"; attempt++) {
    await alice.send("NICK bob");
    await new Promise((resolve) => setTimeout(resolve, 50));
    await alice.send("WHO");
    who = await alice.readLine();
  }
  assert.equal(who, "WHO 2: bob watcher");
  // The old bob leaves once (said by the rename, or by the reaper), then alice is bob.
  assert.deepEqual(await watcher.readLines(2), [
    "NOTICE disconnect: bob was disconnected (connection lost)",
    "NOTICE nick: alice is now bob",
  ]);
  await whoUntil(watcher, "WHO 2: bob watcher");
  // Past n1's reaping: nothing more is said, and the replica still agrees.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await watcher.send("PING done");
  assert.equal(await watcher.readLine(), "PONG done");
  await whoUntil(watcher, "WHO 2: bob watcher");
  await Promise.all([alice.close(), watcher.close()]);
});

/**
 * A TCP relay to Redis that, once armed, holds back for `delayMs` each
 * chunk a client sends that contains `marker` (and, behind it, the rest of
 * that connection's bytes): one command of one node made slow, the others not.
 */
class DelayingRelay implements AsyncDisposable {
  readonly #listener: Deno.Listener;
  readonly #conns = new Set<Deno.Conn>();
  readonly #marker: string;
  readonly #delayMs: number;
  readonly #accepting: Promise<void>;
  #armed = false;

  private constructor(listener: Deno.Listener, target: number, marker: string, delayMs: number) {
    this.#listener = listener;
    this.#marker = marker;
    this.#delayMs = delayMs;
    this.#accepting = this.#accept(target);
  }

  static start(target: number, marker: string, delayMs: number): DelayingRelay {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return new DelayingRelay(listener, target, marker, delayMs);
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.#listener.addr as Deno.NetAddr).port}`;
  }

  arm(): void {
    this.#armed = true;
  }

  async #accept(target: number): Promise<void> {
    try {
      for await (const client of this.#listener) {
        const upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
        this.#conns.add(client).add(upstream);
        void this.#pump(client, upstream, true);
        void this.#pump(upstream, client, false);
      }
    } catch {
      // Closed.
    }
  }

  async #pump(from: Deno.Conn, to: Deno.Conn, inspect: boolean): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder("latin1");
    try {
      for (;;) {
        const read = await from.read(buffer);
        if (read === null) break;
        const chunk = buffer.slice(0, read);
        if (inspect && this.#armed && decoder.decode(chunk).includes(this.#marker)) {
          await new Promise((resolve) => setTimeout(resolve, this.#delayMs));
        }
        for (let written = 0; written < chunk.length;) {
          written += await to.write(chunk.subarray(written));
        }
      }
    } catch {
      // Either side went away.
    }
    for (const conn of [from, to]) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      this.#conns.delete(conn);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }
}

Deno.test("a rename slow to reach Redis: the old name is not given up before it, so whoever takes the name next is neither evicted by it nor renamed with it", async () => {
  await using redis = await RedisServer.start();
  // n1 reaches Redis through a relay that can make its rename entries slow; n2 and n3 directly.
  await using relay = DelayingRelay.start(redis.port, "$6\r\nrename\r\n", 1000);
  const nodes: ServerProcess[] = [];
  await using _nodes = {
    [Symbol.asyncDispose]: () =>
      Promise.all(nodes.map((node) => node[Symbol.asyncDispose]())).then(() => {}),
  };
  for (const [id, url] of [["n1", relay.url], ["n2", redis.url], ["n3", redis.url]]) {
    const node = await ServerProcess.start([
      "--redis",
      url!,
      "--node-id",
      id!,
      "--rate",
      "0",
      "--max-new-per-ip",
      "0",
    ]);
    nodes.push(node);
    await node.stderr.waitFor(/ cluster node=n\d$/);
  }
  const watcher = await TestClient.login(nodes[2]!.port, "watcher"); // sees presence notices
  assert.match(await watcher.readLine(), /^NOTICE welcome: /);
  const alice = await login(nodes[0]!, "alice");
  assert.equal(await watcher.readLine(), "NOTICE join: alice joined");
  await whoUntil(watcher, "WHO 2: alice watcher");

  relay.arm();
  await alice.send("NICK alicia");
  // Someone else logs in as alice on n2 as soon as the name is free.
  const newcomer = await loginWhenFree(nodes[1]!, "alice");
  // The watcher sees alice renamed, then a new alice: nobody was disconnected.
  assert.deepEqual(await watcher.readLines(2), [
    "NOTICE nick: alice is now alicia",
    "NOTICE join: alice joined",
  ]);
  await whoUntil(watcher, "WHO 3: alice alicia watcher");
  await alice.send("*from alicia");
  assert.equal(await newcomer.readLine(), "[alicia]: from alicia");
  await Promise.all([alice.close(), newcomer.close(), watcher.close()]);
});
