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
 * servers' runs alternate. Needs a C compiler (`cc`) and redis-server.
 * `--floor` adds the runtime's floor (`bench/floor_server.ts`: a fan-out
 * server without chat logic, over `Deno.listen` and over `node:net`), to
 * tell nanochat's own cost from the runtime's.
 *
 * Usage: deno task bench:probe [--runs N] [--only c,c50] [--seconds S] [--floor]
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

/** The servers measured: nanochat, Redis, and the runtime's floor over each socket API. */
type ServerKind = "nanochat" | "redis" | "floor-deno" | "floor-node";

const FLOOR_SERVER = new URL("../bench/floor_server.ts", import.meta.url).pathname;

/**
 * Starts a fresh server (nanochat in memory with the bench's flags,
 * redis-server, or a floor server) on a free loopback port.
 */
async function startServer(kind: ServerKind): Promise<{ port: number } & AsyncDisposable> {
  const port = freePort();
  const child = kind === "redis"
    ? spawnQuiet("redis-server", redisServerArgs(port))
    : kind === "nanochat"
    ? spawnQuiet(Deno.execPath(), nanochatServeArgs(port))
    : spawnQuiet(Deno.execPath(), [
      "run",
      "--allow-net",
      FLOOR_SERVER,
      String(port),
      kind.slice("floor-".length),
    ]);
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
      floor: { type: "boolean", default: false },
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
    const kinds: ServerKind[] = values.floor
      ? ["nanochat", "redis", "floor-deno", "floor-node"]
      : ["nanochat", "redis"];
    const results = new Map(kinds.map((kind) => [kind, [] as ProbeResult[]]));
    for (let run = 0; run < Number(values.runs); run++) {
      for (const kind of kinds) {
        await using server = await startServer(kind);
        const protocol = kind === "redis" ? "redis" : "nanochat";
        results.get(kind)!.push(await runProbe(binary, protocol, server.port, load));
      }
    }
    for (const kind of kinds) {
      const list = results.get(kind)!;
      const lost = list.reduce((sum, result) => sum + result.lost + result.duplicated, 0);
      const cpu = median(list.map((result) => result.cpu_ms / 10 / seconds));
      say(
        `(${id}) ${kind.padEnd(10)} p50 ${cell(list.map((result) => result.p50_ms))}` +
          `  p99 ${cell(list.map((result) => result.p99_ms))}` +
          `  probe cpu ${cpu.toFixed(0)}%  lost+duplicated ${lost}`,
      );
    }
  }
}
