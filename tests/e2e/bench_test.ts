import assert from "@nanochat/assert";
import { parseBenchArgs } from "../../bench/cli.ts";
import { chartPanels, renderReport } from "../../bench/chart.ts";
import { processCpuSeconds, testerCpuSeconds } from "../../bench/cpu.ts";
import { type BenchOptions, runBench, runLogins, splitRange } from "../../bench/driver.ts";
import { ProgressLine } from "../../bench/progress.ts";
import type { BenchReport } from "../../bench/report.ts";
import { mergeTallies, Tally } from "../../bench/tally.ts";
import { chatText, parsePayload } from "../../bench/wire.ts";
import { parseServerLine } from "../../protocol/server_lines.ts";
import { runCli } from "../support/cli_process.ts";
import { RedisServer } from "../support/redis_server.ts";
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

Deno.test("mergeTallies() over disjoint receivers equals one tally of every delivery", () => {
  const whole = new Tally(4, 2);
  const parts = [new Tally(1, 2), new Tally(3, 2)];
  // [receiver, sender, sequence]: a duplicate, a reordering and a gap in each part.
  const deliveries: [number, number, number][] = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 1, 1],
    [0, 1, 0],
    [1, 0, 0],
    [1, 0, 2],
    [2, 1, 0],
    [2, 1, 0],
    [3, 0, 1],
    [3, 0, 0],
    [3, 1, 0],
  ];
  deliveries.forEach(([receiver, sender, sequence], index) => {
    const latency = (index * 7) % 11;
    whole.record(receiver, sender, sequence, latency);
    if (receiver === 0) parts[0]!.record(0, sender, sequence, latency);
    else parts[1]!.record(receiver - 1, sender, sequence, latency);
  });
  const merged = mergeTallies(parts.map((part) => part.snapshot()), 12);
  assert.deepEqual(merged, whole.result(12));
  assert.deepEqual([merged.received, merged.duplicated, merged.reordered, merged.lost], [
    9,
    2,
    2,
    3,
  ]);
});

Deno.test("splitRange() covers every index once, in shares that differ by at most one", () => {
  for (const [count, parts] of [[1000, 3], [4, 3], [2, 3], [0, 2], [7, 1]] as const) {
    const ranges = splitRange(count, parts);
    assert.equal(ranges.length, parts);
    assert.equal(ranges[0]![0], 0);
    assert.equal(ranges.at(-1)![1], count);
    ranges.slice(1).forEach(([first], index) => assert.equal(first, ranges[index]![1]));
    const sizes = ranges.map(([first, end]) => end - first);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${count} in ${parts}`);
  }
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

Deno.test("runBench() with 2 and 3 worker threads counts exactly what one thread counts", async () => {
  const cases: [Mischief, { lost: number; duplicated: number; reordered: number }][] = [
    ["none", { lost: 0, duplicated: 0, reordered: 0 }],
    ["drop-every-10th", { lost: 3 * 2 * 10, duplicated: 0, reordered: 0 }],
    ["repeat-every-5th", { lost: 0, duplicated: 3 * 2 * 20, reordered: 0 }],
    ["swap-pairs", { lost: 0, duplicated: 0, reordered: 3 * 2 * 50 }],
  ];
  for (const workers of [2, 3]) {
    for (const [mischief, expected] of cases) {
      const server = fakeServer(mischief);
      try {
        const result = await runBench({ ...small(server.port), workers });
        const label = `${mischief}, ${workers} workers`;
        assert.deepEqual(
          { lost: result.lost, duplicated: result.duplicated, reordered: result.reordered },
          expected,
          label,
        );
        assert.equal(result.expected, 3 * 2 * 100, label);
        assert.equal(result.workers, workers, label);
      } finally {
        await server.close();
      }
    }
  }
});

Deno.test("runBench() with worker threads against nanochat delivers everything, once, in order", async () => {
  await using ts = await startServer();
  const result = await runBench({
    ...small(ts.port),
    receivers: 20,
    senders: 4,
    messages: 500,
    workers: 3,
  });
  assert.equal(result.received, 20 * 4 * 500);
  assert.deepEqual([result.lost, result.duplicated, result.reordered], [0, 0, 0]);
  // Latencies from all threads, on one clock: none negative, none absurd.
  assert.ok(result.latencyMs.p50 >= 0 && result.latencyMs.max < 30_000);
});

Deno.test("runBench() open loop with worker threads sends the run's exact total", async () => {
  const server = fakeServer("none");
  try {
    const result = await runBench({
      ...small(server.port),
      senders: 3,
      rate: 200,
      durationSeconds: 1,
      workers: 2,
    });
    assert.equal(result.mode, "rate");
    assert.equal(result.sent, 200);
    assert.equal(result.received, 200 * 3);
    assert.deepEqual([result.lost, result.duplicated, result.reordered], [0, 0, 0]);
  } finally {
    await server.close();
  }
});

Deno.test("runLogins() logs every user in up to the welcome, from worker threads", async () => {
  await using ts = await startServer();
  const result = await runLogins({
    hostname: "127.0.0.1",
    port: ts.port,
    protocol: "nanochat",
    users: 60,
    inFlight: 10,
    workers: 2,
  });
  assert.equal(result.users, 60);
  assert.equal(result.workers, 2);
  assert.ok(result.loginsPerSecond > 0 && Number.isFinite(result.loginsPerSecond));
  assert.ok(result.cpu.testerSeconds >= 0 && result.cpu.serverSeconds === undefined);
});

Deno.test("runLogins() fails, and does not hang, when the server never welcomes", async () => {
  // Redis, or anything that is not nanochat, reads the name and says nothing.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    for (const workers of [1, 2]) {
      await assert.rejects(
        runLogins({
          hostname: "127.0.0.1",
          port: listener.addr.port,
          protocol: "nanochat",
          users: 5,
          inFlight: 5,
          workers,
          welcomeTimeoutMs: 300,
        }),
        /got no welcome within 300 ms \(is the server speaking nanochat\? see --proto\)/,
      );
    }
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
  }
});

Deno.test("processCpuSeconds() and testerCpuSeconds() read CPU time that only grows", async () => {
  const before = testerCpuSeconds();
  const server = await processCpuSeconds(Deno.pid);
  let spin = 0;
  for (let index = 0; index < 5e6; index++) spin += index;
  assert.ok(spin > 0);
  assert.ok(testerCpuSeconds() > before);
  assert.ok(await processCpuSeconds(Deno.pid) >= server);
  await assert.rejects(() => processCpuSeconds(2 ** 30), /Cannot read the CPU time/);
});

Deno.test("ProgressLine is quiet when its output is not a terminal", () => {
  const written: string[] = [];
  const output = (terminal: boolean) => ({
    isTerminal: () => terminal,
    writeSync(bytes: Uint8Array) {
      written.push(new TextDecoder().decode(bytes));
      return bytes.length;
    },
  });
  const piped = new ProgressLine(output(false));
  piped.show("  5 of 10 deliveries (50%)");
  piped.clear();
  assert.equal(piped.active, false);
  assert.deepEqual(written, []);

  const terminal = new ProgressLine(output(true));
  terminal.clear(); // nothing shown yet: nothing to erase
  terminal.show("one");
  terminal.show("two");
  terminal.clear();
  assert.deepEqual(written, ["\rone\x1b[K", "\rtwo\x1b[K", "\r\x1b[K"]);
});

Deno.test("nanochat bench in a pipe prints the report and no progress line", async () => {
  await using ts = await startServer();
  const { code, stdout, stderr } = await runCli(
    [
      "bench",
      `127.0.0.1:${ts.port}`,
      "--receivers",
      "5",
      "--senders",
      "2",
      "--rate",
      "20",
      "--duration",
      "2",
      "--workers",
      "2",
    ],
    undefined,
    ["--allow-read"],
  );
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "");
  for (const progress of ["\r", "\x1b[K", "deliveries ("]) {
    assert.ok(!stdout.includes(progress), JSON.stringify(progress));
  }
  assert.match(stdout, /^deliveries +200 of 200$/m);
  assert.match(stdout, /^load threads +2$/m);
  assert.match(stdout, /^CPU while sending +tester \d+% \/ server \? of a core$/m);
});

/** A report of two runs of three workloads, as `deno task bench --json` prints it. */
function smallReport(): BenchReport {
  const burst = (deliveriesPerSecond: number) => ({
    protocol: "nanochat" as const,
    mode: "burst" as const,
    receivers: 100,
    senders: 4,
    workers: 2,
    sent: 8000,
    seconds: 1,
    deliveriesPerSecond,
    loginsPerSecond: 1000,
    cpu: { seconds: 1, testerSeconds: 0.5, serverSeconds: 0.9 },
    expected: 800_000,
    received: 800_000,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    latencyMs: { p50: 1, p90: 2, p99: 3, max: 4 },
  });
  const rate = (p50: number, p99: number) => ({
    ...burst(50_000),
    mode: "rate" as const,
    latencyMs: { p50, p90: p99, p99, max: p99 },
  });
  return {
    date: "2026-12-02T08:00:00.000Z",
    deno: "2.9.6",
    workers: 2,
    runs: 2,
    workloads: [
      {
        id: "a",
        title: "burst <fast> & loud",
        results: { nanochat: [burst(2e6), burst(1.5e6)], redis: [burst(1e6), burst(1e6)] },
      },
      {
        id: "c50",
        title: "50 msg/s",
        results: { nanochat: [rate(4, 10), rate(6, 20)], redis: [rate(2, 5), rate(2, 5)] },
      },
      {
        id: "d",
        title: "idle",
        results: {
          nanochat: [{
            protocol: "nanochat",
            users: 10,
            rssBeforeKiB: 0,
            rssAfterKiB: 200,
            perUserKiB: 20,
            loginsPerSecond: 1,
            restSeconds: 40,
            rssAtRestKiB: 80,
            perUserAtRestKiB: 8,
          }],
          redis: [{
            protocol: "redis",
            users: 10,
            rssBeforeKiB: 0,
            rssAfterKiB: 100,
            perUserKiB: 10,
            loginsPerSecond: 1,
            restSeconds: 40,
            rssAtRestKiB: 100,
            perUserAtRestKiB: 10,
          }],
        },
      },
    ],
  };
}

Deno.test("chartPanels() puts each workload in its measure's panel, median and range", () => {
  const panels = chartPanels(smallReport());
  assert.deepEqual(panels.map((panel) => [panel.title, panel.rows.map((row) => row.label)]), [
    ["Deliveries per second, burst", ["(a) burst <fast> & loud"]],
    ["Latency, open loop", ["(c50) 50 msg/s: p50", "(c50) 50 msg/s: p99"]],
    ["Server memory per idle user", ["(d) idle: fresh", "(d) idle: 40 s later"]],
  ]);
  // Of two runs, the median is the higher (the upper middle), as in bench_all.
  assert.deepEqual(panels[0]!.rows[0]!.nanochat, { median: 2e6, min: 1.5e6, max: 2e6 });
  assert.deepEqual(panels[1]!.rows[1]!.nanochat, { median: 20, min: 10, max: 20 });
  assert.deepEqual(panels[2]!.rows[1]!.nanochat, { median: 8, min: 8, max: 8 });
});

Deno.test("renderReport() draws bars to one scale per panel, in valid escaped SVG", () => {
  const svg = renderReport(smallReport());
  assert.equal(svg, renderReport(smallReport()), "the same input, the same bytes");
  assert.match(
    svg,
    /^<!-- deno-fmt-ignore-file -->\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="850" height="\d+"/,
  );
  assert.ok(svg.endsWith("</svg>\n"));
  // The longest whisker in a panel spans the whole bar area (380 px): 2 M in (a).
  assert.match(
    svg,
    /<rect x="330" y="\d+" width="380" height="13" fill="#2f6fdf"><title>nanochat: 2.00 M \[1.50 M–2.00 M\]</,
  );
  assert.match(
    svg,
    /<rect x="330" y="\d+" width="190" height="13" fill="#d9452b"><title>redis: 1.00 M/,
  );
  // (c50) p99: nanochat 20 ms is the panel's top, redis 5 ms a quarter of it.
  assert.match(svg, /width="95" height="13" fill="#d9452b"><title>redis: 5.0 ms/);
  assert.match(svg, /width="190" height="13" fill="#d9452b"><title>redis: 10.0 KiB/);
  assert.ok(svg.includes("(a) burst &lt;fast&gt; &amp; loud"));
  assert.ok(!svg.includes("<fast>"));
  assert.ok(svg.includes("2026-12-02, Deno 2.9.6, 2 run(s) per server, load from 2 thread(s)"));
  // Every element that opens is closed.
  const opened = svg.match(/<(rect|text|path|svg|style|title)\b([^>]*[^/])?>/g)?.length ?? 0;
  const closed = svg.match(/<\/(rect|text|path|svg|style|title)>/g)?.length ?? 0;
  assert.equal(opened, closed);
});

Deno.test("scripts/bench_chart.ts turns a --json report into the same SVG", async () => {
  const script = new URL("../../scripts/bench_chart.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(encoder.encode(JSON.stringify(smallReport())));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.equal(new TextDecoder().decode(stdout), renderReport(smallReport()));
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

Deno.test("nanochat bench --idle --rest measures the memory again after the rest", async () => {
  await using ts = await startServer();
  // The server runs in this process: its memory is this process's.
  const args = ["bench", `127.0.0.1:${ts.port}`, "--idle", "20", "--pid", String(Deno.pid)];
  // From source, reading /proc takes `cat` (README: not from the release binary).
  const run = (extra: string[]) => runCli([...args, ...extra], undefined, ["--allow-run=cat"]);
  const started = performance.now();
  const { code, stdout, stderr } = await run(["--rest", "1", "--json"]);
  assert.ok(performance.now() - started >= 1000, "it rested a second");
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout);
  assert.equal(result.users, 20);
  assert.equal(result.restSeconds, 1);
  assert.ok(result.rssAtRestKiB > 0, stdout);
  assert.equal(result.perUserAtRestKiB, (result.rssAtRestKiB - result.rssBeforeKiB) / 20);
  const table = await run(["--rest", "1"]);
  assert.match(table.stdout, /^RSS per idle user, 1 s later +-?\d+\.\d\d KiB$/m);
  const plain = await run([]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^RSS per idle user +-?\d+\.\d\d KiB$/m);
  assert.doesNotMatch(plain.stdout, /later/);
});

Deno.test("nanochat bench --idle --rest fails when the server let users go during the rest", async () => {
  // Idle users are dropped after 2 s, well inside the 4 s rest.
  await using ts = await startServer({ idleTimeoutMs: 2000 });
  const args = ["bench", `127.0.0.1:${ts.port}`, "--idle", "5", "--pid", String(Deno.pid)];
  const { code, stdout, stderr } = await runCli([...args, "--rest", "4"], undefined, [
    "--allow-run=cat",
  ]);
  assert.equal(code, 1, stdout);
  assert.match(
    stderr,
    /^nanochat: 5 of 5 users were disconnected during the rest \(is the server's idle timeout shorter than --rest\?\)$/m,
  );
  assert.equal(stdout, "", "no memory figure for users who are gone");
});

Deno.test("nanochat bench rejects bad usage with exit code 2", async () => {
  for (
    const args of [
      ["bench"],
      ["bench", "h:1", "--proto", "irc"],
      ["bench", "h:1", "--idle", "5"],
      ["bench", "h:1", "--rest", "5"],
    ]
  ) {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, /Run 'nanochat bench --help' for usage\./);
    if (args.includes("--rest")) assert.match(stderr, /--rest is for --idle/);
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

Deno.test("chatText() finds exactly the chat lines parseServerLine() finds, with their text", () => {
  const lines = [
    "[bench-s0]: b 0 1 2.5",
    "[alice]: hi",
    "[alice]: ",
    "[alice]:",
    "[al]ice]: x",
    "[]: empty name",
    "[alice] waves",
    "* alice waves",
    "NOTICE welcome: Welcome to nanochat 0.1.0, bob! 2 users online. Type HELP for commands.",
    "NOTICE join: alice joined",
    "ERROR flood: slow down",
    "",
  ];
  for (const line of lines) {
    const parsed = parseServerLine(line);
    const expected = parsed.kind === "chat" ? parsed.text : undefined;
    const padded = `xx${line}\r\nyy`;
    assert.equal(chatText(padded, 2, 2 + line.length), expected, line);
  }
  assert.equal(chatText("#rust [bob]: hi", 0, 15, "#rust "), "hi");
  assert.equal(chatText("#perl [bob]: hi", 0, 15, "#rust "), undefined);
  assert.equal(chatText("#rust [bob]: hi", 0, 15), undefined, "another room's line in the lobby");
});

Deno.test("parsePayload() reads well-formed payloads and nothing else", () => {
  const cases: [string, ReturnType<typeof parsePayload>][] = [
    ["b 0 0 0", { sender: 0, sequence: 0, sentAt: 0 }],
    ["b 3 1234 56789.5", { sender: 3, sequence: 1234, sentAt: 56789.5 }],
    ["p", undefined],
    ["b", undefined],
    ["b  1 2", undefined],
    ["b x 1 2", undefined],
    ["b 1 -2 3", undefined],
    ["b 1 2 ", undefined],
    ["b 1 2 three", undefined],
    ["a 1 2 3", undefined],
    ["b 99999999999999999 1 2", undefined],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parsePayload(text), expected, text);
});

Deno.test("runBench() with WebSocket receivers delivers everything, once, in order", async () => {
  await using ts = await startServer({ http: { hostname: "127.0.0.1", port: 0 } });
  const webPort = ts.server.webAddress!.port;
  for (const workers of [1, 2]) {
    const result = await runBench({
      ...small(ts.port),
      webPort,
      receivers: 20,
      senders: 4,
      messages: 500,
      workers,
    });
    assert.equal(result.received, 20 * 4 * 500, `${workers} worker(s)`);
    assert.deepEqual([result.lost, result.duplicated, result.reordered], [0, 0, 0]);
  }
});

Deno.test("parseBenchArgs() takes --spread and --web, and refuses --web for Redis", () => {
  const command = parseBenchArgs(["127.0.0.1:7001", "--spread", "7002, 7003", "--web", "8080"]);
  if (command === "help") throw new Error("not help");
  assert.deepEqual(command.spread, [7002, 7003]);
  assert.equal(command.webPort, 8080);
  assert.throws(
    () => parseBenchArgs(["127.0.0.1:6379", "--proto", "redis", "--web", "8080"]),
    /--web is for --proto nanochat/,
  );
  assert.throws(() => parseBenchArgs(["127.0.0.1:7001", "--spread", "7002,x"]), /--spread/);
});

Deno.test("runBench() spreads connections over the nodes of a cluster and counts exactly", async () => {
  await using redis = await RedisServer.start();
  await using one = await startServer({ redis: redis.url, nodeId: "one" });
  await using two = await startServer({ redis: redis.url, nodeId: "two" });
  const result = await runBench({
    ...small(one.port),
    spread: [two.port],
    receivers: 10,
    senders: 4,
    messages: 200,
  });
  assert.equal(result.received, 10 * 4 * 200);
  assert.deepEqual([result.lost, result.duplicated, result.reordered], [0, 0, 0]);
  assert.ok(one.log.some((line) => / login conn=\d+ name=bench-r1$/.test(line)) === false);
  assert.ok(
    two.log.some((line) => / login conn=\d+ name=bench-r1$/.test(line)),
    "odd receivers on two",
  );
});
