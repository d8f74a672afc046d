/**
 * Name leases against a real redis-server: one owner per name across
 * nodes, confusables included; renewal, expiry, release; the fence a node
 * puts up when it cannot renew or was paused past its lease.
 */
import assert from "@nanochat/assert";
import { nameKey, nameSkeleton } from "../../protocol/username.ts";
import {
  ClusterUnavailableError,
  NameLeases,
  type NameLeasesOptions,
} from "../../server/cluster/name_leases.ts";
import { type RedisClient, RedisServer } from "../support/redis_server.ts";

/** A node's leases on its own client, with a clock the test moves. */
async function node(
  redis: RedisServer,
  options: Partial<NameLeasesOptions> = {},
): Promise<{ leases: NameLeases; client: RedisClient; clock: { now: number }; fences: number[] }> {
  const client = await redis.client();
  const clock = { now: 0 };
  const fences: number[] = [];
  const leases = new NameLeases(client, {
    leaseMs: 15_000,
    commandTimeoutMs: 500,
    onFenced: () => fences.push(clock.now),
    now: () => clock.now,
    ...options,
  });
  return { leases, client, clock, fences };
}

/** Claims a name; `undefined` once claimed, else the name its holder wrote. */
const claim = async (leases: NameLeases, owner: string, name: string) =>
  (await leases.claim(owner, name, nameKey(name), nameSkeleton(name)))?.name;

Deno.test("twenty concurrent claims of Alice, alice and ALICE on two nodes: exactly one wins", async () => {
  await using redis = await RedisServer.start();
  const a = await node(redis);
  const b = await node(redis);
  try {
    const spellings = ["Alice", "alice", "ALICE", "ａｌｉｃｅ"];
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => {
      const on = index % 2 === 0 ? a : b;
      return claim(on.leases, `${index % 2 === 0 ? "a" : "b"}/${index}`, spellings[index % 4]!);
    }));
    const winners = results.filter((result) => result === undefined);
    assert.equal(winners.length, 1);
    const winner = spellings[results.indexOf(undefined) % 4];
    for (const result of results) if (result !== undefined) assert.equal(result, winner);
  } finally {
    await a.client.quit();
    await b.client.quit();
  }
});

Deno.test("a confusable of a held name is refused; release frees it, but only by its owner", async () => {
  await using redis = await RedisServer.start();
  const a = await node(redis);
  const b = await node(redis);
  try {
    assert.equal(await claim(a.leases, "a/1", "alice"), undefined);
    assert.equal(await claim(b.leases, "b/1", "\u0430lice"), "alice", "Cyrillic a");
    await b.leases.release("b/1"); // holds nothing: frees nothing
    assert.equal(await claim(b.leases, "b/2", "Alice"), "alice");
    assert.deepEqual(
      await b.leases.claim("b/4", "ALICE", nameKey("ALICE"), nameSkeleton("ALICE")),
      { owner: "a/1", name: "alice" },
      "the holder's owner too, to ask it to give the name up",
    );
    await a.leases.release("a/1");
    assert.equal(await claim(b.leases, "b/3", "Alice"), undefined);
    assert.equal(await claim(a.leases, "a/2", "alice"), "Alice");
  } finally {
    await a.client.quit();
    await b.client.quit();
  }
});

Deno.test("an unrenewed claim expires after its lease; a renewed one outlives it", async () => {
  await using redis = await RedisServer.start();
  const renewing = await node(redis, { leaseMs: 300 });
  const silent = await node(redis, { leaseMs: 300 }); // claims, then never renews
  const other = await node(redis, { leaseMs: 300 });
  try {
    assert.equal(await claim(renewing.leases, "r/1", "kept"), undefined);
    assert.equal(await claim(silent.leases, "s/1", "dropped"), undefined);
    assert.equal(await claim(other.leases, "o/1", "dropped"), "dropped");
    const started = performance.now();
    let rounds = 0;
    // Renew every 50 ms until the silent node's claim is gone (bounded: 40 rounds, 2 s).
    for (; rounds < 40; rounds++) {
      await renewing.leases.renew();
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (await claim(other.leases, "o/2", "dropped") === undefined) break;
    }
    assert.ok(rounds < 40, "the unrenewed claim expired");
    assert.ok(performance.now() - started >= 250, "not before its lease");
    // Two more lease periods of renewal: "kept" is still held.
    for (let round = 0; round < 12; round++) {
      await renewing.leases.renew();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await claim(other.leases, "o/3", "kept"), "kept");
  } finally {
    for (const each of [renewing, silent, other]) await each.client.quit();
  }
});

Deno.test("a node that cannot renew fences itself before its lease ends, once, and recovers", async () => {
  await using redis = await RedisServer.start();
  const a = await node(redis, { leaseMs: 3000 });
  try {
    assert.equal(await claim(a.leases, "a/1", "alice"), undefined);
    await a.leases.renew();
    a.clock.now = 1000;
    await redis.kill();
    await assert.rejects(a.leases.renew(), ClusterUnavailableError);
    assert.ok(a.leases.safe(), "the last renewal is 1 s old: safe for 2 s");
    a.clock.now = 1999;
    assert.ok(a.leases.safe());
    a.clock.now = 2000; // lease 3 s − margin 1 s since the renewal at 0
    assert.equal(a.leases.safe(), false);
    assert.equal(a.leases.safe(), false);
    assert.deepEqual(a.fences, [2000], "fenced once");
    assert.equal(a.leases.size, 0, "every claim given up");
    await assert.rejects(claim(a.leases, "a/2", "bob"), ClusterUnavailableError);

    await redis.restart();
    a.clock.now = 2500;
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        await a.leases.renew();
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50)); // the client reconnects by itself
      }
    }
    assert.ok(a.leases.safe(), "a renewal after the fence lifts it");
    assert.equal(await claim(a.leases, "a/3", "bob"), undefined);
  } finally {
    await a.client.quit().catch(() => {});
  }
});

Deno.test("a node paused past its lease (SIGSTOP) is fenced at its first check, Redis or not", async () => {
  await using redis = await RedisServer.start();
  const a = await node(redis, { leaseMs: 3000 });
  try {
    assert.equal(await claim(a.leases, "a/1", "alice"), undefined);
    a.clock.now = 60_000; // the process was stopped for a minute
    assert.equal(a.leases.safe(), false, "fenced before anything else happens");
    assert.deepEqual(a.fences, [60_000]);
  } finally {
    await a.client.quit();
  }
});

Deno.test("after Redis lost its data a renewal puts the claims back, or reports those taken meanwhile", async () => {
  await using redis = await RedisServer.start(); // no persistence: a restart forgets everything
  const lost: string[][] = [];
  const a = await node(redis, { onLost: (owners) => lost.push(owners) });
  try {
    assert.equal(await claim(a.leases, "a/1", "alice"), undefined);
    assert.equal(await claim(a.leases, "a/2", "bob"), undefined);
    await redis.kill();
    await redis.restart();
    const b = await node(redis);
    try {
      assert.equal(await claim(b.leases, "b/1", "bob"), undefined, "bob is free after the loss");
      for (let attempt = 0; attempt < 100; attempt++) {
        try {
          await a.leases.renew();
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      assert.deepEqual(lost, [["a/2"]]);
      assert.equal(await claim(b.leases, "b/2", "alice"), "alice", "alice was put back");
      assert.equal(a.leases.size, 1);
    } finally {
      await b.client.quit();
    }
  } finally {
    await a.client.quit();
  }
});
