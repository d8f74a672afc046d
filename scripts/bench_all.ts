/**
 * `deno task bench`: the standard load-test set, nanochat against
 * redis-server pub/sub, each on a fresh server started here, measured by the
 * same driver in the same run, printed side by side.
 *
 *   (a) 100 receivers, 4 senders × 2,000 messages, burst
 *   (b) 1,000 receivers, 4 senders × 500 messages, burst
 *   (aw), (bw) as (a) and (b), nanochat's receivers on the web page's WebSocket
 *   (c) 1,000 receivers, 500 messages/s for 10 s (open loop): latency p50, p99
 *   (c50) 1,000 receivers, 50 messages/s for 10 s (open loop): latency p50, p99
 *   (e) 10 rooms, each 100 receivers and 4 senders × 500 messages, burst, all at once
 *   (d) 10,000 idle logged-in users: server memory per user
 *   (l) 10,000 logins (connect, name, welcome), 200 at a time, all kept: logins/s
 *
 * The nanochat server is started in memory only, with its protective limits
 * raised (no flood control, no per-IP cap, no idle timeout, no history),
 * because the load test is many fast clients from one address.
 *
 * The load tester drives the connections from `--workers` threads (2 by
 * default: on this 2-core machine one tester thread held Redis back, three
 * did no better than two), and every row shows its CPU beside the server's.
 * On a terminal a progress line shows which run is going.
 *
 * Usage: deno task bench [--runs N] [--only a,b,aw,bw,c,c50,e,d,l] [--workers N] [--persist] [--json]
 * (`--persist` keeps nanochat's history in a SQLite file, as `nanochat serve`
 * does by default; without it the server runs `--in-memory`. `--json` prints
 * every raw result as one JSON document on stdout, the table on stderr:
 * `scripts/bench_chart.ts` draws it.)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { describeProgress } from "../bench/cli.ts";
import {
  type BenchProgress,
  type BenchResult,
  runBench,
  runIdle,
  runLogins,
} from "../bench/driver.ts";
import { ProgressLine } from "../bench/progress.ts";
import type { BenchReport, WorkloadResult } from "../bench/report.ts";
import type { BenchProtocolName } from "../bench/wire.ts";
import { freePort, NANOCHAT_BENCH_FLAGS, redisServerArgs, waitForPort } from "./bench_servers.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

interface Workload {
  id: string;
  title: string;
  run(server: RunningServer, protocol: BenchProtocolName): Promise<WorkloadResult>;
}

interface RunningServer extends AsyncDisposable {
  port: number;
  pid: number;
  /** nanochat's web port (`--http`). */
  webPort?: number;
}

const WORKLOADS: Workload[] = [
  {
    id: "a",
    title: "100 receivers, 4 senders × 2,000, burst",
    run: (server, protocol) =>
      runBench({ ...at(server), protocol, receivers: 100, senders: 4, messages: 2000 }),
  },
  {
    id: "b",
    title: "1,000 receivers, 4 senders × 500, burst",
    run: (server, protocol) =>
      runBench({ ...at(server), protocol, receivers: 1000, senders: 4, messages: 500 }),
  },
  {
    id: "aw",
    title: "(a), nanochat receivers on WebSocket",
    run: (server, protocol) =>
      runBench({ ...at(server, true), protocol, receivers: 100, senders: 4, messages: 2000 }),
  },
  {
    id: "bw",
    title: "(b), nanochat receivers on WebSocket",
    run: (server, protocol) =>
      runBench({ ...at(server, true), protocol, receivers: 1000, senders: 4, messages: 500 }),
  },
  {
    id: "c",
    title: "1,000 receivers, 500 msg/s for 10 s",
    run: (server, protocol) =>
      runBench({
        ...at(server),
        protocol,
        receivers: 1000,
        senders: 4,
        rate: 500,
        durationSeconds: 10,
      }),
  },
  {
    id: "c50",
    title: "1,000 receivers, 50 msg/s for 10 s",
    run: (server, protocol) =>
      runBench({
        ...at(server),
        protocol,
        receivers: 1000,
        senders: 4,
        rate: 50,
        durationSeconds: 10,
      }),
  },
  {
    id: "e",
    title: "10 rooms × (100 receivers, 4 senders × 500), burst",
    run: (server, protocol) => runRooms(server, protocol, 10),
  },
  {
    id: "d",
    title: "10,000 idle users: RSS per user",
    // Measured again after a rest: both servers give memory back when quiet
    // (V8 its garbage, 30 s after its last full collection; Redis 7 shrinks
    // idle clients' query and reply buffers in its cron).
    run: (server, protocol) =>
      runIdle({ ...at(server), protocol, users: 10_000, restSeconds: IDLE_REST_SECONDS }),
  },
  {
    id: "l",
    title: "10,000 logins, 200 at a time, all kept",
    run: (server, protocol) => runLogins({ ...at(server), protocol, users: 10_000 }),
  },
];

/**
 * Drives `rooms` rooms at once, each 100 receivers and 4 senders of its
 * own, all sending together; reports them as one workload.
 */
async function runRooms(
  server: RunningServer,
  protocol: BenchProtocolName,
  rooms: number,
): Promise<BenchResult> {
  let arrived = 0;
  const allReady = Promise.withResolvers<void>();
  const beforeSending = () => {
    if (++arrived === rooms) allReady.resolve();
    return allReady.promise;
  };
  const results = await Promise.all(
    Array.from({ length: rooms }, (_, index) =>
      runBench({
        ...at(server),
        workers: 1, // ten rooms already; one thread each would be twenty
        protocol,
        receivers: 100,
        senders: 4,
        messages: 500,
        room: `#room${index}`,
        beforeSending,
      })),
  );
  const sum = (pick: (result: BenchResult) => number) =>
    results.reduce((total, result) => total + pick(result), 0);
  const seconds = Math.max(...results.map((result) => result.seconds));
  const slowest = results.reduce((a, b) => a.latencyMs.p99 >= b.latencyMs.p99 ? a : b);
  return {
    ...slowest,
    receivers: sum((result) => result.receivers),
    senders: sum((result) => result.senders),
    sent: sum((result) => result.sent),
    seconds,
    deliveriesPerSecond: sum((result) => result.received) / seconds,
    expected: sum((result) => result.expected),
    received: sum((result) => result.received),
    lost: sum((result) => result.lost),
    duplicated: sum((result) => result.duplicated),
    reordered: sum((result) => result.reordered),
  };
}

/** Where the workload connects; with `web`, nanochat's receivers use its WebSocket. */
function at(server: RunningServer, web = false) {
  return {
    hostname: "127.0.0.1",
    port: server.port,
    pid: server.pid,
    workers,
    ...(web && server.webPort !== undefined ? { webPort: server.webPort } : {}),
    ...onProgress,
  };
}

async function startServer(protocol: BenchProtocolName): Promise<RunningServer> {
  const port = freePort();
  const webPort = freePort();
  const command = protocol === "redis"
    ? new Deno.Command("redis-server", {
      args: redisServerArgs(port),
      stdout: "null",
      stderr: "null",
    })
    : new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        ...storagePermissions,
        MAIN,
        "serve",
        `127.0.0.1:${port}`,
        "--http",
        `127.0.0.1:${webPort}`,
        ...nanochatFlags,
      ],
      stdout: "null",
      stderr: "null",
    });
  const child = command.spawn();
  await waitForPort(port);
  if (protocol === "nanochat") await waitForPort(webPort);
  return {
    port,
    pid: child.pid,
    ...(protocol === "nanochat" ? { webPort } : {}),
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** How long (d) leaves its users idle before it measures again, "at rest". */
const IDLE_REST_SECONDS = 40;

/** The figures a workload is compared on: deliveries/s, latency, KiB per user or logins/s. */
function headlines(result: WorkloadResult): { value: number; unit: string }[] {
  if ("perUserKiB" in result) {
    return [
      { value: result.perUserKiB, unit: "KiB/user" },
      ...(result.perUserAtRestKiB === undefined
        ? []
        : [{ value: result.perUserAtRestKiB, unit: "KiB at rest" }]),
    ];
  }
  if (!("mode" in result)) return [{ value: result.loginsPerSecond, unit: "logins/s" }];
  if (result.mode === "rate") {
    return [
      { value: result.latencyMs.p50, unit: "ms p50" },
      { value: result.latencyMs.p99, unit: "ms p99" },
    ];
  }
  return [{ value: result.deliveriesPerSecond, unit: "deliveries/s" }];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function format(value: number): string {
  return value >= 1000 ? Math.round(value).toLocaleString("en") : value.toFixed(2);
}

/** The tester's and the server's CPU, median percent of a core, such as `93/36%`. */
function cpuCell(results: WorkloadResult[]): string {
  const shares = results.flatMap((result) => "cpu" in result ? [result.cpu] : []);
  if (shares.length === 0) return "";
  const tester = median(shares.map((cpu) => (cpu.testerSeconds / cpu.seconds) * 100));
  const server = median(shares.map((cpu) => ((cpu.serverSeconds ?? NaN) / cpu.seconds) * 100));
  return `${Math.round(tester)}/${Math.round(server)}%`;
}

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1" },
    only: { type: "string", default: "a,b,aw,bw,c,c50,e,d,l" },
    workers: { type: "string", default: "2" },
    json: { type: "boolean", default: false },
    persist: { type: "boolean", default: false },
  },
});
// --persist: nanochat keeps history in a fresh SQLite file, as `nanochat serve` does by default.
const dataDir = values.persist ? Deno.makeTempDirSync({ prefix: "nanochat-bench-" }) : undefined;
const storagePermissions = dataDir ? [`--allow-read=${dataDir}`, `--allow-write=${dataDir}`] : [];
const nanochatFlags = [
  ...(dataDir ? ["--data", `${dataDir}/bench.db`] : ["--in-memory"]),
  ...NANOCHAT_BENCH_FLAGS,
];
const runs = Number(values.runs);
const workers = Number(values.workers);
const chosen = values.only.split(",").map((id) => {
  const workload = WORKLOADS.find((workload) => workload.id === id);
  if (workload === undefined) throw new RangeError(`No workload "${id}"`);
  return workload;
});
const report: BenchReport = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  workers,
  runs,
  workloads: [],
};
const progress = new ProgressLine();
let running = "";
const onProgress = progress.active
  ? { onProgress: (state: BenchProgress) => progress.show(`${running}${describeProgress(state)}`) }
  : {};

const say = (text: string) => {
  progress.clear();
  // deno-lint-ignore no-console -- a report script; with --json the table goes to stderr
  (values.json ? console.error : console.log)(text);
};
say(`nanochat serve ${nanochatFlags.join(" ")}  (limits raised for the load test)`);
say(
  `redis-server --save "" --appendonly no; ${runs} run(s) each, median [min–max]; ` +
    `load from ${workers} thread(s); cpu: tester/server, % of a core\n`,
);

for (const workload of chosen) {
  const results: Record<BenchProtocolName, WorkloadResult[]> = { nanochat: [], redis: [] };
  report.workloads.push({ id: workload.id, title: workload.title, results });
  for (let run = 0; run < runs; run++) {
    for (const protocol of ["nanochat", "redis"] as const) {
      running = `(${workload.id}) ${protocol} run ${run + 1} of ${runs}:`;
      progress.show(running);
      await using server = await startServer(protocol);
      const result = await workload.run(server, protocol);
      results[protocol].push(result);
      if ("lost" in result && result.lost + result.duplicated + result.reordered > 0) {
        say(
          `  ! ${protocol} (${workload.id}): lost ${result.lost}, duplicated ${result.duplicated}, reordered ${result.reordered}`,
        );
      }
    }
  }
  const figures = headlines(results.nanochat[0]!);
  figures.forEach(({ unit }, index) => {
    const summary = (protocol: BenchProtocolName) => {
      const all = results[protocol].map((result) => headlines(result)[index]!.value);
      return { median: median(all), min: Math.min(...all), max: Math.max(...all) };
    };
    const ours = summary("nanochat");
    const theirs = summary("redis");
    const cell = (s: { median: number; min: number; max: number }) =>
      `${format(s.median)} [${format(s.min)}–${format(s.max)}]`;
    say(
      `(${workload.id}) ${workload.title.padEnd(42)} ${unit.padEnd(13)} nanochat ${
        cell(ours).padEnd(30)
      } redis ${cell(theirs).padEnd(30)} ratio ${(ours.median / theirs.median).toFixed(2)}  cpu ${
        cpuCell(results.nanochat)
      } ${cpuCell(results.redis)}`,
    );
  });
}
progress.clear();
// deno-lint-ignore no-console -- the raw results are the output
if (values.json) console.log(JSON.stringify(report, null, 2));
if (dataDir) Deno.removeSync(dataDir, { recursive: true });
