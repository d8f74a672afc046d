import assert from "@nanochat/assert";
import { type BenchOptions, runBench } from "../../bench/driver.ts";
import { Tally } from "../../bench/tally.ts";
import { runCli } from "../support/cli_process.ts";
import { startServer } from "../support/test_server.ts";

const encoder = new TextEncoder();

Deno.test("Tally counts lost, duplicated and reordered deliveries exactly", () => {
  const tally = new Tally(2, 2);
  const deliveries: [number, number, number][] = [
    [0, 0, 0],
    [0, 0, 1],
    [0, 0, 1], // a duplicate
    [0, 1, 1],
    [0, 1, 0], // reordered: 0 after 1
    [1, 0, 0],
    [1, 0, 2], // 1 lost
    [1, 1, 0],
    [1, 1, 1],
  ];
  for (const [receiver, sender, sequence] of deliveries) {
    tally.record(receiver, sender, sequence, sequence + 1);
  }
  const result = tally.result(2 * 2 * 3 - 2); // receivers 0/1 expected 3 from sender 0, 2 from sender 1
  assert.equal(result.received, 8);
  assert.equal(result.duplicated, 1);
  assert.equal(result.reordered, 1);
  assert.equal(result.lost, 2);
  assert.deepEqual(result.latencyMs, { p50: 2, p90: 3, p99: 3, max: 3 });
});

Deno.test("Tally grows past its first sequence numbers", () => {
  const tally = new Tally(1, 1);
  for (let sequence = 0; sequence < 10_000; sequence++) tally.record(0, 0, sequence, 1);
  tally.record(0, 0, 9_999, 1);
  const result = tally.result(10_000);
  assert.equal(result.received, 10_000);
  assert.equal(result.duplicated, 1);
  assert.equal(result.lost, 0);
});

/** How a fake server mistreats messages, by their sequence number. */
type Mischief = "none" | "drop-every-10th" | "repeat-every-5th" | "swap-pairs";

/**
 * A tiny server speaking the nanochat protocol that mistreats messages on
 * purpose, to prove the bench's counters can fail.
 */
function fakeServer(mischief: Mischief): { port: number; close: () => Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const clients = new Map<Deno.Conn, { name: string; writing: Promise<unknown> }>();
  const tasks: Promise<void>[] = [];
  const send = (to: Deno.Conn, line: string) => {
    const client = clients.get(to)!;
    client.writing = client.writing.then(() => to.write(encoder.encode(line + "\n"))).catch(
      () => {},
    );
  };
  const held = new Map<string, string>();
  const broadcast = (from: Deno.Conn, payload: string) => {
    const name = clients.get(from)!.name;
    for (const to of clients.keys()) if (to !== from) send(to, `[${name}]: ${payload}`);
  };
  const relay = (from: Deno.Conn, payload: string) => {
    const sequence = Number(payload.split(" ")[2]);
    if (payload === "p" || Number.isNaN(sequence) || mischief === "none") {
      return broadcast(from, payload);
    }
    if (mischief === "drop-every-10th" && sequence % 10 === 9) return;
    if (mischief === "repeat-every-5th" && sequence % 5 === 0) broadcast(from, payload);
    if (mischief === "swap-pairs") {
      const key = payload.split(" ")[1]!;
      if (sequence % 2 === 0) return void held.set(key, payload);
      broadcast(from, payload);
      return broadcast(from, held.get(key)!);
    }
    broadcast(from, payload);
  };
  const serveClient = async (conn: Deno.Conn) => {
    clients.set(conn, { name: "", writing: conn.write(encoder.encode("hello\n")) });
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(16384);
    let pending = "";
    try {
      for (let count = await conn.read(buffer); count !== null; count = await conn.read(buffer)) {
        const lines = (pending + decoder.decode(buffer.subarray(0, count), { stream: true })).split(
          "\n",
        );
        pending = lines.pop()!;
        for (const line of lines) {
          const client = clients.get(conn)!;
          if (client.name === "") client.name = line;
          else if (line.startsWith("*")) relay(conn, line.slice(1));
        }
      }
    } catch {
      // The bench closed it.
    } finally {
      await clients.get(conn)!.writing;
      clients.delete(conn);
      conn.close();
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) tasks.push(serveClient(conn));
    } catch {
      // Closed.
    }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await accepting;
      await Promise.all(tasks);
    },
  };
}

const small = (port: number): BenchOptions => ({
  hostname: "127.0.0.1",
  port,
  protocol: "nanochat",
  receivers: 3,
  senders: 2,
  messages: 100,
  settleMs: 300,
});

Deno.test("runBench() in two rooms at once counts each room's deliveries exactly", async () => {
  await using ts = await startServer();
  const results = await Promise.all(
    ["#one", "#two"].map((room) =>
      runBench({ ...small(ts.port), receivers: 10, senders: 2, messages: 200, room })
    ),
  );
  for (const result of results) {
    assert.equal(result.expected, 10 * 2 * 200);
    assert.equal(result.received, result.expected, "nothing from the other room counted");
    assert.deepEqual([result.lost, result.duplicated, result.reordered], [0, 0, 0]);
  }
});

Deno.test("runBench() against nanochat delivers everything, once, in order", async () => {
  await using ts = await startServer();
  const result = await runBench({ ...small(ts.port), receivers: 20, senders: 4, messages: 500 });
  assert.equal(result.expected, 20 * 4 * 500);
  assert.equal(result.received, result.expected);
  assert.deepEqual([result.lost, result.duplicated, result.reordered], [0, 0, 0]);
  assert.ok(result.deliveriesPerSecond > 0);
  assert.ok(
    result.latencyMs.p50 <= result.latencyMs.p99 && result.latencyMs.p99 <= result.latencyMs.max,
  );
});

Deno.test("runBench() catches a server that loses, repeats or reorders messages", async () => {
  const cases: [Mischief, { lost: number; duplicated: number; reordered: number }][] = [
    ["none", { lost: 0, duplicated: 0, reordered: 0 }],
    ["drop-every-10th", { lost: 3 * 2 * 10, duplicated: 0, reordered: 0 }],
    ["repeat-every-5th", { lost: 0, duplicated: 3 * 2 * 20, reordered: 0 }],
    ["swap-pairs", { lost: 0, duplicated: 0, reordered: 3 * 2 * 50 }],
  ];
  for (const [mischief, expected] of cases) {
    const server = fakeServer(mischief);
    try {
      const result = await runBench(small(server.port));
      assert.deepEqual(
        { lost: result.lost, duplicated: result.duplicated, reordered: result.reordered },
        expected,
        mischief,
      );
      assert.equal(result.expected, 3 * 2 * 100, mischief);
    } finally {
      await server.close();
    }
  }
});

Deno.test({
  name: "runBench() drives redis-server pub/sub with the same workload",
  ignore: !hasCommand("redis-server"),
  async fn() {
    await using redis = await startRedis();
    const result = await runBench({
      ...small(redis.port),
      protocol: "redis",
      receivers: 10,
      messages: 300,
    });
    assert.equal(result.received, 10 * 2 * 300);
    assert.deepEqual([result.lost, result.duplicated, result.reordered], [0, 0, 0]);
  },
});

Deno.test("nanochat bench prints a JSON report and exits 0 for a clean run", async () => {
  await using ts = await startServer();
  const { code, stdout, stderr } = await runCli(
    [
      "bench",
      `127.0.0.1:${ts.port}`,
      "--receivers",
      "5",
      "--senders",
      "2",
      "--messages",
      "50",
      "--json",
    ],
  );
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout);
  assert.equal(report.protocol, "nanochat");
  assert.equal(report.expected, 500);
  assert.equal(report.received, 500);
  assert.equal(report.lost, 0);
});

Deno.test("nanochat bench rejects bad usage with exit code 2", async () => {
  for (
    const args of [["bench"], ["bench", "h:1", "--proto", "irc"], ["bench", "h:1", "--idle", "5"]]
  ) {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, /Run 'nanochat bench --help' for usage\./);
  }
});

function hasCommand(name: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Starts a throwaway redis-server on a free loopback port. */
async function startRedis(): Promise<{ port: number } & AsyncDisposable> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let attempt = 0;; attempt++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    port,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
