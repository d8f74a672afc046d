/**
 * The compiled latency probe (`bench/probe/latency_probe.c`, the yardstick
 * for the JavaScript load tester's latency figures) against a real nanochat
 * server and a real redis-server: it counts every delivery once, and a
 * server that loses or repeats a message is caught.
 */
import assert from "@nanochat/assert";
import { compileProbe, runProbe } from "../../bench/probe/probe.ts";
import { RedisServer } from "../support/redis_server.ts";
import { startServer } from "../support/test_server.ts";

const binary = await compileProbe();
const load = { receivers: 20, senders: 2, rate: 100, seconds: 1 };

Deno.test("the latency probe counts every delivery from nanochat once, with sane percentiles", async () => {
  await using ts = await startServer();
  const result = await runProbe(binary, "nanochat", ts.port, load);
  assert.equal(result.expected, 20 * 100);
  assert.equal(result.deliveries, result.expected);
  assert.deepEqual([result.lost, result.duplicated], [0, 0]);
  assert.ok(0 < result.p50_ms && result.p50_ms <= result.p99_ms, JSON.stringify(result));
  assert.ok(result.p99_ms <= result.max_ms && result.cpu_ms >= 0, JSON.stringify(result));
});

Deno.test("the latency probe counts every delivery from Redis pub/sub once", async () => {
  await using redis = await RedisServer.start();
  const result = await runProbe(binary, "redis", Number(new URL(redis.url).port), load);
  assert.equal(result.deliveries, 20 * 100);
  assert.deepEqual([result.lost, result.duplicated], [0, 0]);
});

Deno.test("the latency probe spreads its connections over several ports in turn", async () => {
  // Two servers that know nothing of each other: each receiver hears only the sender on its port.
  await using first = await startServer();
  await using second = await startServer();
  const result = await runProbe(binary, "nanochat", [first.port, second.port], {
    receivers: 4,
    senders: 2,
    rate: 40,
    seconds: 0.5,
  });
  // Receivers 0 and 2 and sender 0 (even messages) on the first, the rest on the second.
  assert.equal(result.expected, 4 * 20);
  assert.equal(result.deliveries, 4 * 10);
  assert.equal(result.lost, 4 * 10);
  assert.equal(result.duplicated, 0);
});

/**
 * A relay speaking just enough of the line protocol that drops message N
 * when N % 10 is 9 and sends it twice when N % 5 is 0.
 */
function faultyRelay(): { port: number } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const writers = new Map<Deno.Conn, Promise<unknown>>();
  const encoder = new TextEncoder();
  const send = (to: Deno.Conn, line: string) => {
    writers.set(to, writers.get(to)!.then(() => to.write(encoder.encode(line))).catch(() => {}));
  };
  const serveClient = async (conn: Deno.Conn) => {
    writers.set(conn, Promise.resolve());
    let name = "";
    for await (
      const line of conn.readable.pipeThrough(new TextDecoderStream()).pipeThrough(lines())
    ) {
      if (name === "") {
        name = line;
        send(conn, "NOTICE welcome: hello\n");
        continue;
      }
      const sequence = Number(/~(\d+)\./.exec(line)?.[1]);
      if (sequence % 10 === 9) continue;
      const copies = sequence % 5 === 0 ? 2 : 1;
      for (const to of writers.keys()) {
        for (let copy = 0; to !== conn && copy < copies; copy++) {
          send(to, `[${name}]: ${line.slice(1)}\n`);
        }
      }
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) serveClient(conn).catch(() => {});
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of writers.keys()) {
        try {
          conn.close();
        } catch {
          // closed already, when its reader ended
        }
      }
    },
  };
}

/** Splits text into lines (without their LF). */
function lines(): TransformStream<string, string> {
  let pending = "";
  return new TransformStream({
    transform(text, controller) {
      const parts = (pending + text).split("\n");
      pending = parts.pop()!;
      for (const part of parts) controller.enqueue(part);
    },
  });
}

Deno.test("the latency probe catches a server that loses or repeats messages", async () => {
  await using relay = faultyRelay();
  const result = await runProbe(binary, "nanochat", relay.port, {
    receivers: 5,
    senders: 1,
    rate: 100,
    seconds: 0.5,
  });
  // 50 messages to 5 receivers: 5 dropped (9, 19, …), 10 repeated (0, 5, …).
  assert.equal(result.expected, 250);
  assert.equal(result.lost, 5 * 5);
  assert.equal(result.duplicated, 10 * 5);
  assert.equal(result.deliveries, 250 - 25);
});
