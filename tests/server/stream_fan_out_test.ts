/**
 * The cluster's fan-out against a real redis-server: two nodes publishing
 * interleaved bursts deliver one identical sequence; a room followed late
 * starts at its end; Redis killed and restarted mid-stream loses nothing
 * acknowledged and repeats nothing; a failed publish is reported, never
 * delivered locally.
 */
import assert from "@nanochat/assert";
import type { ChatEvent, EventDraft } from "../../protocol/events.ts";
import { StreamFanOut } from "../../server/cluster/stream_fan_out.ts";
import { type RedisClient, RedisServer } from "../support/redis_server.ts";

/** One node: a fan-out on two clients of its own, and everything it delivered. */
interface TestNode extends AsyncDisposable {
  readonly fanOut: StreamFanOut;
  readonly delivered: ChatEvent[];
  readonly failed: { draft: EventDraft; error: unknown }[];
  /** Waits until `count` events were delivered (bounded by 10 s). */
  waitFor(count: number): Promise<void>;
}

async function startNode(redis: RedisServer, nodeId: string, rooms: string[]): Promise<TestNode> {
  const clients: RedisClient[] = [await redis.client(), await redis.client()];
  const delivered: ChatEvent[] = [];
  const failed: { draft: EventDraft; error: unknown }[] = [];
  let wake: (() => void) | undefined;
  const fanOut = new StreamFanOut(clients[0]!, clients[1]!, {
    nodeId,
    commandTimeoutMs: 1000,
    blockMs: 1000,
    onPublishError: (draft, error) => failed.push({ draft, error }),
  });
  fanOut.subscribe((event) => {
    delivered.push(event);
    wake?.();
  });
  await fanOut.start(rooms);
  return {
    fanOut,
    delivered,
    failed,
    async waitFor(count) {
      const deadline = Date.now() + 10_000;
      while (delivered.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${nodeId}: ${delivered.length} of ${count} delivered`);
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
  await using a = await startNode(redis, "a", ["#lobby"]);
  await using b = await startNode(redis, "b", ["#lobby"]);
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
});

Deno.test("a room followed later starts at its end; rooms and private messages stay apart", async () => {
  await using redis = await RedisServer.start();
  await using a = await startNode(redis, "a", ["#lobby"]);
  await using b = await startNode(redis, "b", []);
  for (let index = 0; index < 10; index++) a.fanOut.publish(message("alice", `early ${index}`));
  await a.waitFor(10);
  await b.fanOut.follow("#lobby");
  a.fanOut.publish(message("alice", "late", "#lobby"));
  a.fanOut.publish(message("alice", "elsewhere", "#rust")); // nobody follows #rust
  a.fanOut.publish({ room: "", kind: "private", from: "alice", to: "bob", text: "psst" });
  await b.waitFor(2);
  await a.waitFor(12);
  assert.deepEqual(b.delivered.map((event) => [event.room, event.kind, event.text]), [
    ["#lobby", "message", "late"],
    ["", "private", "psst"],
  ]);
  assert.notEqual(b.delivered[0]!.id, b.delivered[1]!.id);
});

Deno.test("Redis killed and restarted with AOF: nothing acknowledged is lost or repeated; failures are reported", async () => {
  await using redis = await RedisServer.start({ aof: true });
  await using a = await startNode(redis, "a", ["#lobby"]);
  await using b = await startNode(redis, "b", ["#lobby"]);
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
