/**
 * The cluster's fan-out against a real redis-server: two nodes publishing
 * interleaved bursts deliver one identical sequence; a node starting late
 * gets a snapshot that agrees with its stream position; silent events reach
 * only the replicas; history goes to each room's stream under the same ids;
 * Redis killed and restarted mid-stream loses nothing acknowledged and
 * repeats nothing; a failed publish is reported, never delivered locally.
 */
import assert from "@nanochat/assert";
import type { ChatEvent, EventDraft } from "../../protocol/events.ts";
import {
  type ClusterSnapshot,
  type PresenceRecord,
  StreamFanOut,
} from "../../server/cluster/stream_fan_out.ts";
import { StreamHistoryStore } from "../../server/cluster/stream_history.ts";
import { type RedisClient, RedisServer } from "../support/redis_server.ts";

/** One node: a fan-out on two clients of its own, and everything it delivered. */
interface TestNode extends AsyncDisposable {
  readonly fanOut: StreamFanOut;
  readonly delivered: ChatEvent[];
  readonly failed: { draft: EventDraft; error: unknown }[];
  /** What other nodes did, as the replica is told. */
  readonly remote: (ChatEvent | PresenceRecord)[];
  readonly snapshot: ClusterSnapshot;
  /** How long each of its own events took to come back, in milliseconds. */
  readonly hops: number[];
  /** Waits until `count` events were delivered, or are in `list` (bounded by 10 s). */
  waitFor(count: number, list?: unknown[]): Promise<void>;
}

async function startNode(redis: RedisServer, nodeId: string): Promise<TestNode> {
  const clients: RedisClient[] = [await redis.client(), await redis.client()];
  const delivered: ChatEvent[] = [];
  const failed: { draft: EventDraft; error: unknown }[] = [];
  const remote: (ChatEvent | PresenceRecord)[] = [];
  const hops: number[] = [];
  let wake: (() => void) | undefined;
  const fanOut = new StreamFanOut(clients[0]!, clients[1]!, {
    nodeId,
    commandTimeoutMs: 1000,
    blockMs: 1000,
    historyLength: 100,
    onPublishError: (draft, error) => failed.push({ draft, error }),
    onHop: (ms) => hops.push(ms),
    onRemote: (entry) => {
      remote.push(entry);
      wake?.();
    },
  });
  fanOut.subscribe((event) => {
    delivered.push(event);
    wake?.();
  });
  const snapshot = await fanOut.start();
  return {
    fanOut,
    delivered,
    failed,
    remote,
    snapshot,
    hops,
    async waitFor(count, list = delivered) {
      const deadline = Date.now() + 10_000;
      while (list.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${nodeId}: ${list.length} of ${count} arrived`);
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, left);
        });
        clearTimeout(timer);
      }
    },
    async [Symbol.asyncDispose]() {
      await fanOut.close();
      for (const client of clients) await client.quit().catch(() => client.destroy());
    },
  };
}

const message = (from: string, text: string, room = "#lobby"): EventDraft => ({
  room,
  kind: "message",
  from,
  to: "",
  text,
});

Deno.test("interleaved bursts from two nodes: both deliver one identical sequence, each sender in order", async () => {
  await using redis = await RedisServer.start();
  await using a = await startNode(redis, "a");
  await using b = await startNode(redis, "b");
  for (let index = 0; index < 500; index++) {
    a.fanOut.publish(message("alice", `a${index}`));
    b.fanOut.publish(message("bob", `b${index}`));
  }
  await a.waitFor(1000);
  await b.waitFor(1000);
  assert.deepEqual(a.delivered.map((event) => event.id), b.delivered.map((event) => event.id));
  assert.deepEqual(a.delivered, b.delivered);
  for (const sender of ["alice", "bob"]) {
    const texts = a.delivered.filter((event) => event.from === sender).map((event) => event.text);
    assert.deepEqual(texts, Array.from({ length: 500 }, (_, i) => `${sender[0]}${i}`));
  }
  assert.equal(new Set(a.delivered.map((event) => event.id)).size, 1000, "ids unique");
  assert.deepEqual([a.failed.length, b.failed.length], [0, 0]);
  // Each node timed the hop of its own 500 events, and only those.
  assert.deepEqual([a.hops.length, b.hops.length], [500, 500]);
  assert.ok(a.hops.every((ms) => ms >= 0 && ms < 10_000), String(a.hops.slice(0, 5)));
});

Deno.test("a node starting late gets a snapshot that agrees with where it starts reading", async () => {
  await using redis = await RedisServer.start();
  await using a = await startNode(redis, "a");
  await a.fanOut.announce("login", "Alice", "", "a/1");
  a.fanOut.publish({ room: "#lobby", kind: "join", from: "Alice", to: "", text: "" });
  a.fanOut.publish({ room: "#rust", kind: "join", from: "Alice", to: "", text: "" });
  await a.fanOut.announce("login", "Bob", "", "a/2");
  a.fanOut.publish({ room: "#lobby", kind: "join", from: "Bob", to: "", text: "" });
  await a.waitFor(3);
  await using b = await startNode(redis, "b");
  assert.deepEqual(b.snapshot.users.toSorted((x, y) => x.name.localeCompare(y.name)), [
    { name: "Alice", node: "a", owner: "a/1", rooms: ["#lobby", "#rust"] },
    { name: "Bob", node: "a", owner: "a/2", rooms: ["#lobby"] },
  ]);
  assert.equal(b.snapshot.position, a.delivered.at(-1)!.id);
  // After the snapshot, B hears of A's changes as remote entries, its own not.
  a.fanOut.publish({ room: "#rust", kind: "part", from: "Alice", to: "", text: "" });
  await a.fanOut.announce("rename", "Bob", "Robert");
  b.fanOut.publish(message("carol", "from b"));
  await b.waitFor(2);
  await b.waitFor(2, b.remote);
  assert.deepEqual(b.remote.map((entry) => [entry.kind, "room" in entry ? entry.room : entry.to]), [
    ["part", "#rust"],
    ["rename", "Robert"],
  ]);
  await a.fanOut.announce("logout", "Alice");
  await using c = await startNode(redis, "c");
  assert.deepEqual(c.snapshot.users, [
    { name: "Robert", node: "a", owner: "a/2", rooms: ["#lobby"] },
  ]);
});

Deno.test("a departure said for a connection holds for it only; a login evicts whoever is still listed, once", async () => {
  await using redis = await RedisServer.start();
  await using a = await startNode(redis, "a");
  await using b = await startNode(redis, "b");
  const leave = {
    room: "#lobby",
    kind: "disconnect",
    from: "alice",
    to: "",
    text: "gone",
  } as const;
  await a.fanOut.announce("login", "alice", "", "a/1");
  a.fanOut.publish({ room: "#lobby", kind: "join", from: "alice", to: "", text: "" });
  await a.waitFor(1);
  // A reaper that read an older listing (a/7) says nothing for a/1.
  await a.fanOut.publishAs(leave, "a/7");
  // Alice logs in on b while a/1 is still listed: a/1 leaves #lobby first, once.
  await b.fanOut.announce("login", "alice", "", "b/3", "logged in again elsewhere");
  b.fanOut.publish({ room: "#lobby", kind: "join", from: "alice", to: "", text: "" });
  // Late departures of a/1, by its node or by its connection, say nothing now.
  a.fanOut.publish(leave);
  await a.fanOut.publishAs(leave, "a/1");
  await a.fanOut.publishAs(leave, "b/3/"); // not a prefix of the connection, only of its node
  await b.waitFor(3);
  b.fanOut.publish(message("bob", "after"));
  await b.waitFor(4);
  assert.deepEqual(b.delivered.map(({ kind, from, text }) => [kind, from, text]), [
    ["join", "alice", ""],
    ["disconnect", "alice", "logged in again elsewhere"],
    ["join", "alice", ""],
    ["message", "bob", "after"],
  ]);
  // The one who is listed now can still leave.
  await b.fanOut.publishAs(leave, "b/3");
  await b.waitFor(5);
  assert.deepEqual(b.delivered.at(-1), {
    ...b.delivered.at(-1)!,
    kind: "disconnect",
    text: "gone",
  });
});

Deno.test("silent events reach replicas only; history goes to the room's stream under the same id", async () => {
  await using redis = await RedisServer.start();
  await using a = await startNode(redis, "a");
  await using b = await startNode(redis, "b");
  a.fanOut.publish({ room: "#big", kind: "join", from: "alice", to: "", text: "", silent: true });
  a.fanOut.publish(message("alice", "hello", "#big"));
  await b.waitFor(1);
  await b.waitFor(2, b.remote);
  assert.deepEqual(b.delivered.map((event) => event.kind), ["message"]);
  assert.deepEqual(b.remote.map((entry) => entry.kind), ["join", "message"]);
  const client = await redis.client();
  try {
    const history = await client.xRange(a.fanOut.historyKey("#big"), "-", "+");
    assert.deepEqual(history.map((entry) => [entry.id, entry.message.text]), [
      [b.delivered[0]!.id, "hello"],
    ]);
  } finally {
    await client.quit();
  }
});

Deno.test("Redis killed and restarted with AOF: nothing acknowledged is lost or repeated; failures are reported", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using a = await startNode(redis, "a");
  await using b = await startNode(redis, "b");
  for (let index = 0; index < 100; index++) a.fanOut.publish(message("alice", `before ${index}`));
  await b.waitFor(100);
  // AOF is written every second: wait until the entries are surely on disk.
  const check = await redis.client();
  await check.sendCommand(["BGREWRITEAOF"]);
  for (let attempt = 0; attempt < 100; attempt++) {
    const info = await check.info("persistence");
    if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await check.quit();
  await redis.kill();

  a.fanOut.publish(message("alice", "while down"));
  for (let attempt = 0; attempt < 100 && a.failed.length === 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(a.failed.length, 1, "the publish while Redis is down is reported");
  assert.equal(a.failed[0]!.draft.text, "while down");

  await redis.restart();
  // Publish until one goes through: the clients reconnect by themselves, with backoff.
  const sent: string[] = [];
  const arrived = () => a.delivered.some((event) => event.text.startsWith("after "));
  for (let attempt = 0; attempt < 200 && !arrived(); attempt++) {
    sent.push(`after ${attempt}`);
    a.fanOut.publish(message("alice", sent.at(-1)!));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(arrived(), "publishing works again after the restart");
  for (let index = 0; index < 20; index++) a.fanOut.publish(message("alice", `more ${index}`));
  const total = () => a.delivered.length;
  await a.waitFor(
    total() + 20 - a.delivered.filter((event) => event.text.startsWith("more ")).length,
  );
  await b.waitFor(total());
  assert.deepEqual(b.delivered.map((event) => event.id), a.delivered.map((event) => event.id));
  const texts = a.delivered.map((event) => event.text);
  assert.deepEqual(texts.slice(0, 100), Array.from({ length: 100 }, (_, i) => `before ${i}`));
  assert.equal(new Set(texts).size, texts.length, "nothing repeated");
  assert.deepEqual(texts.slice(-20), Array.from({ length: 20 }, (_, i) => `more ${i}`));
  // Each message was either reported failed or delivered, never both, never neither.
  const failedTexts = new Set(a.failed.map(({ draft }) => draft.text));
  for (const text of ["while down", ...sent]) {
    assert.ok(failedTexts.has(text) !== texts.includes(text), text);
  }
});

Deno.test("StreamHistoryStore reads a room's history as events, with the live ids, recent or before a time", async () => {
  await using redis = await RedisServer.start();
  await using a = await startNode(redis, "a");
  for (let index = 0; index < 5; index++) a.fanOut.publish(message("alice", `m${index}`, "#rust"));
  a.fanOut.publish(message("alice", "elsewhere", "#lobby"));
  await a.waitFor(6);
  const client = await redis.client();
  try {
    const history = new StreamHistoryStore(client, (room) => a.fanOut.historyKey(room));
    const recent = await history.recent("#rust", 3);
    assert.deepEqual(recent, a.delivered.filter((event) => event.room === "#rust").slice(2));
    const third = a.delivered[2]!;
    const before = await history.before("#rust", third.time + 1, 10);
    assert.ok(before.every((event) => event.time <= third.time));
    assert.ok(before.some((event) => event.id === third.id));
    assert.deepEqual(await history.before("#rust", a.delivered[0]!.time, 10), []);
    assert.deepEqual(await history.recent("#nowhere", 10), []);
  } finally {
    await client.quit();
  }
});
