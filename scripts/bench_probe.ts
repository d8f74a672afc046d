/**
 * `deno task bench:probe`: latency at a fixed rate, nanochat against
 * redis-server pub/sub, measured by a compiled probe
 * (`bench/probe/latency_probe.c`, one thread, epoll) instead of the
 * JavaScript load tester: the yardstick that tells how much of the (c) and
 * (c50) latencies `deno task bench` reports is the tester's own.
 *
 *   (c)   1,000 receivers, 4 senders, 500 messages/s for 10 s
 *   (c50) 1,000 receivers, 4 senders, 50 messages/s for 10 s
 *
 * Each run starts a fresh server (the same flags as `deno task bench`); the
 * two servers' runs alternate. Needs a C compiler (`cc`) and redis-server.
 *
 * Usage: deno task bench:probe [--runs N] [--only c,c50] [--seconds S]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { compileProbe, type ProbeLoad, type ProbeResult, runProbe } from "../bench/probe/probe.ts";
import {
  freePort,
  nanochatServeArgs,
  redisServerArgs,
  spawnQuiet,
  waitForPort,
} from "./bench_servers.ts";

/**
 * Starts a fresh server (nanochat in memory with the bench's flags, or
 * redis-server) on a free loopback port.
 */
async function startServer(
  protocol: "nanochat" | "redis",
): Promise<{ port: number } & AsyncDisposable> {
  const port = freePort();
  const child = protocol === "redis"
    ? spawnQuiet("redis-server", redisServerArgs(port))
    : spawnQuiet(Deno.execPath(), nanochatServeArgs(port));
  await waitForPort(port);
  return {
    port,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      only: { type: "string", default: "c,c50" },
      seconds: { type: "string", default: "10" },
    },
  });
  const seconds = Number(values.seconds);
  const loads: Record<string, ProbeLoad> = {
    c: { receivers: 1000, senders: 4, rate: 500, seconds },
    c50: { receivers: 1000, senders: 4, rate: 50, seconds },
  };
  const binary = await compileProbe();
  const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1]!;
  const cell = (values: number[]) =>
    `${median(values).toFixed(2)} [${Math.min(...values).toFixed(2)}–${
      Math.max(...values).toFixed(2)
    }]`;
  // deno-lint-ignore no-console -- a report script
  const say = console.log;
  say(`latency_probe (compiled, one thread), ${values.runs} run(s) each, median [min–max] ms`);
  for (const id of values.only.split(",")) {
    const load = loads[id];
    if (load === undefined) throw new RangeError(`No workload "${id}"`);
    const results = { nanochat: [] as ProbeResult[], redis: [] as ProbeResult[] };
    for (let run = 0; run < Number(values.runs); run++) {
      for (const protocol of ["nanochat", "redis"] as const) {
        await using server = await startServer(protocol);
        results[protocol].push(await runProbe(binary, protocol, server.port, load));
      }
    }
    for (const protocol of ["nanochat", "redis"] as const) {
      const list = results[protocol];
      const lost = list.reduce((sum, result) => sum + result.lost + result.duplicated, 0);
      const cpu = median(list.map((result) => result.cpu_ms / 10 / seconds));
      say(
        `(${id}) ${protocol.padEnd(8)} p50 ${cell(list.map((result) => result.p50_ms))}` +
          `  p99 ${cell(list.map((result) => result.p99_ms))}` +
          `  probe cpu ${cpu.toFixed(0)}%  lost+duplicated ${lost}`,
      );
    }
  }
}
