/**
 * `deno task bench:cluster`: the same load against four targets in one
 * run, each started fresh here: redis-server pub/sub itself, one nanochat
 * node on its own, one nanochat node in a cluster (every event through its
 * Redis stream), and a cluster of three nanochat nodes on one redis-server
 * (the load's connections spread over the nodes).
 *
 *   (a)   100 receivers, 4 senders × 2,000 messages, burst: deliveries/s
 *   (b)   1,000 receivers, 4 senders × 500 messages, burst: deliveries/s
 *   (c50) 1,000 receivers, 50 messages/s for 10 s: latency p50, p99
 *
 * The latency the Redis hop adds is the (c50) p50 of the one node in a
 * cluster less the one node on its own's, from the same run: the same
 * process, with and without the stream in between. With `--probe`, (c50)
 * is measured by the compiled latency probe (`bench/probe/`) instead of
 * the JavaScript tester. Every nanochat node runs with its protections
 * raised for the load test, as in `deno task bench`; the cluster's Redis
 * keeps nothing on disk, like the pub/sub baseline.
 *
 * Usage: deno task bench:cluster [--runs N] [--only a,b,c50] [--workers N] [--probe] [--json]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type BenchResult, runBench } from "../bench/driver.ts";
import { compileProbe, runProbe } from "../bench/probe/probe.ts";
import {
  freePort,
  nanochatServeArgs,
  redisServerArgs,
  spawnQuiet,
  waitForPort,
} from "./bench_servers.ts";

type Target = "redis" | "one node" | "1 node on Redis" | "3 nodes";

interface Running extends AsyncDisposable {
  /** The first port, and the others to spread over. */
  port: number;
  spread: number[];
  protocol: "nanochat" | "redis";
  /** The first cluster node's `/metrics` port. */
  metricsPort?: number;
}

const WORKLOADS = {
  a: { title: "(a) 100 receivers, 4 × 2,000, burst", receivers: 100, senders: 4, messages: 2000 },
  b: { title: "(b) 1,000 receivers, 4 × 500, burst", receivers: 1000, senders: 4, messages: 500 },
  c50: { title: "(c50) 1,000 receivers, 50 msg/s", receivers: 1000, senders: 4, rate: 50 },
} as const;

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1" },
    only: { type: "string", default: "a,b,c50" },
    workers: { type: "string", default: "2" },
    json: { type: "boolean", default: false },
    probe: { type: "boolean", default: false },
  },
});
const probe = values.probe ? await compileProbe() : undefined;

/** What a run gives, whichever tool measured it. */
type Outcome = Pick<BenchResult, "deliveriesPerSecond" | "lost" | "duplicated" | "reordered"> & {
  latencyMs: { p50: number; p99: number };
};
const runs = Number(values.runs);
const workers = Number(values.workers);
const chosen = values.only.split(",") as (keyof typeof WORKLOADS)[];

async function stopAll(children: Deno.ChildProcess[]): Promise<void> {
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((child) => child.status));
}

function redisServer(port: number): Deno.ChildProcess {
  return spawnQuiet("redis-server", redisServerArgs(port));
}

function nanochatNode(port: number, extra: string[] = []): Deno.ChildProcess {
  return spawnQuiet(Deno.execPath(), nanochatServeArgs(port, extra));
}

async function start(target: Target): Promise<Running> {
  const children: Deno.ChildProcess[] = [];
  const dispose = () => stopAll(children.reverse());
  if (target === "redis") {
    const port = freePort();
    children.push(redisServer(port));
    await waitForPort(port);
    return { port, spread: [], protocol: "redis", [Symbol.asyncDispose]: dispose };
  }
  if (target === "one node") {
    const port = freePort();
    children.push(nanochatNode(port));
    await waitForPort(port);
    return { port, spread: [], protocol: "nanochat", [Symbol.asyncDispose]: dispose };
  }
  const redisPort = freePort();
  children.push(redisServer(redisPort));
  await waitForPort(redisPort);
  const ports = target === "3 nodes" ? [freePort(), freePort(), freePort()] : [freePort()];
  const metricsPort = freePort();
  ports.forEach((port, index) =>
    children.push(
      nanochatNode(port, [
        "--redis",
        `redis://127.0.0.1:${redisPort}`,
        "--node-id",
        `n${index}`,
        ...(index === 0 ? ["--metrics", `127.0.0.1:${metricsPort}`] : []),
      ]),
    )
  );
  for (const port of [...ports, metricsPort]) await waitForPort(port);
  return {
    port: ports[0]!,
    spread: ports.slice(1),
    protocol: "nanochat",
    metricsPort,
    [Symbol.asyncDispose]: dispose,
  };
}

/**
 * The hop as the first node timed it (`nanochat_cluster_hop_seconds`), over
 * all its own events of the run (the logins' joins too): the bucket that
 * holds the median, and the mean, in milliseconds.
 */
async function nodeHop(metricsPort: number): Promise<{ medianAtMostMs: number; meanMs: number }> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const buckets = [
    ...text.matchAll(/^nanochat_cluster_hop_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm),
  ]
    .map(([, le, count]) => [le === "+Inf" ? Infinity : Number(le), Number(count)] as const);
  const count = Number(/^nanochat_cluster_hop_seconds_count (\d+)$/m.exec(text)?.[1]);
  const sum = Number(/^nanochat_cluster_hop_seconds_sum (\S+)$/m.exec(text)?.[1]);
  const median = buckets.find(([, cumulative]) => cumulative >= count / 2)?.[0] ?? NaN;
  return { medianAtMostMs: median * 1000, meanMs: (sum / count) * 1000 };
}

/** (c50) through the compiled probe, its connections spread over the target's ports. */
async function probed(
  binary: string,
  running: Running,
  workload: { receivers: number; senders: number; rate: number },
): Promise<Outcome> {
  const result = await runProbe(binary, running.protocol, [running.port, ...running.spread], {
    ...workload,
    seconds: 10,
  });
  return {
    deliveriesPerSecond: result.deliveries / 10,
    lost: result.lost,
    duplicated: result.duplicated,
    reordered: 0, // the probe does not check order; the JavaScript tester does
    latencyMs: { p50: result.p50_ms, p99: result.p99_ms },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const say = (text: string) =>
  // deno-lint-ignore no-console -- a report script; with --json the table goes to stderr
  (values.json ? console.error : console.log)(text);

const targets: Target[] = ["redis", "one node", "1 node on Redis", "3 nodes"];
const results: Record<string, Record<Target, Outcome[]>> = {};
say(
  `${runs} run(s) each, median; load from ${workers} thread(s)${
    probe ? ", latency from the compiled probe" : ""
  }; 2-core machine, one run`,
);
for (const id of chosen) {
  const workload = WORKLOADS[id];
  const hops: { medianAtMostMs: number; meanMs: number }[] = [];
  const byTarget = Object.fromEntries(targets.map((target) => [target, []])) as unknown as Record<
    Target,
    Outcome[]
  >;
  results[id] = byTarget;
  for (let run = 0; run < runs; run++) {
    for (const target of targets) {
      await using running = await start(target);
      const result: Outcome = probe !== undefined && "rate" in workload
        ? await probed(probe, running, workload)
        : await runBench({
          hostname: "127.0.0.1",
          port: running.port,
          spread: running.spread,
          protocol: running.protocol,
          workers,
          receivers: workload.receivers,
          senders: workload.senders,
          ...("rate" in workload
            ? { rate: workload.rate, durationSeconds: 10 }
            : { messages: workload.messages }),
        });
      if (result.lost + result.duplicated + result.reordered > 0) {
        say(
          `  ! ${target} (${id}): lost ${result.lost}, duplicated ${result.duplicated}, reordered ${result.reordered}`,
        );
      }
      if (target === "1 node on Redis" && "rate" in workload && running.metricsPort) {
        hops.push(await nodeHop(running.metricsPort));
      }
      byTarget[target].push(result);
    }
  }
  const cell = (target: Target) => {
    const all = byTarget[target];
    if ("rate" in workload) {
      const p50 = median(all.map((result) => result.latencyMs.p50));
      const p99 = median(all.map((result) => result.latencyMs.p99));
      return `${p50.toFixed(1)} / ${p99.toFixed(1)} ms`;
    }
    return `${
      Math.round(median(all.map((result) => result.deliveriesPerSecond))).toLocaleString("en")
    }/s`;
  };
  say(
    `${workload.title.padEnd(36)} ${
      targets.map((target) => `${target}: ${cell(target)}`).join("   ")
    }`,
  );
  if ("rate" in workload) {
    // The hop alone: the same single process, with and without the stream in between.
    const hop = median(byTarget["1 node on Redis"].map((result) => result.latencyMs.p50)) -
      median(byTarget["one node"].map((result) => result.latencyMs.p50));
    say(`${"".padEnd(36)} the Redis hop adds ${hop.toFixed(1)} ms at p50 (target: 1 ms or less)`);
    say(
      `${"".padEnd(36)} as the node timed it (nanochat_cluster_hop_seconds): median ≤ ${
        hops.map((hop) => hop.medianAtMostMs).join(", ")
      } ms, mean ${hops.map((hop) => hop.meanMs.toFixed(2)).join(", ")} ms`,
    );
  }
}
// deno-lint-ignore no-console -- the raw results are the output
if (values.json) console.log(JSON.stringify(results, null, 2));
