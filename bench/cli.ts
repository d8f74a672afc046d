/**
 * `nanochat bench`: a load test for any server speaking the nanochat
 * protocol, or Redis pub/sub for comparison.
 *
 * @module
 */

import { parseArgs } from "@nanochat/args";
import { parseNumber } from "../cli/numbers.ts";
import { DEFAULT_PORT, parseHostPort } from "../protocol/address.ts";
import type { CpuShare } from "./cpu.ts";
import {
  type BenchProgress,
  type BenchResult,
  type IdleResult,
  type LoginResult,
  runBench,
  runIdle,
  runLogins,
} from "./driver.ts";
import { ProgressLine } from "./progress.ts";
import type { BenchProtocolName } from "./wire.ts";

/** What `nanochat bench` was asked to do. */
export interface BenchCommand {
  hostname: string;
  port: number;
  protocol: BenchProtocolName;
  receivers: number;
  senders: number;
  messages: number;
  rate?: number;
  durationSeconds: number;
  idleUsers?: number;
  restSeconds?: number;
  loginUsers?: number;
  workers: number;
  pid?: number;
  webPort?: number;
  spread?: number[];
  json: boolean;
}

/** The usage text of `nanochat bench`. */
export const BENCH_USAGE = `Usage: nanochat bench host[:port] [options]

Load-tests a server: receivers connect and are confirmed ready, then senders
send, and every delivery is checked (lost, duplicated, reordered) and timed.

Options (defaults in parentheses):
  --proto NAME        nanochat or redis (nanochat; redis: SUBSCRIBE/PUBLISH)
  --receivers N       connections that receive (100)
  --senders N         connections that send (4)
  --messages N        burst: messages per sender, as fast as possible (2000)
  --rate N            open loop instead: messages per second, all senders
  --duration SECONDS  open loop: for how long (10)
  --idle N            instead: connect N idle users, report memory per user
                      (needs --pid)
  --rest SECONDS      with --idle: then leave them idle this long (at most
                      3600) and measure again (a garbage-collected server
                      gives memory back when quiet; V8 does 30 s after its
                      last full collection); the server's idle timeout
                      must be longer (the run fails if any user is gone)
  --logins N          instead: log N users in (connect, name, welcome) and
                      keep them: logins per second
  --web PORT          nanochat: receivers use the web page's WebSocket on
                      this port (serve --http); senders stay on TCP
  --spread PORTS      more ports of the same host (a cluster's other nodes),
                      comma-separated: connections are spread over them all
  --workers N         threads that drive the connections, each with its
                      share of receivers and senders (1: this one; more
                      load bench/load_worker.ts: --allow-read)
  --pid PID           the server's process, to report its memory and CPU
                      time (Linux)
  --json              print the result as JSON
  -h, --help          show this help

The server must let this many connections in from one address, at this
rate: for nanochat, serve with --rate 0 --max-per-ip 100000.
Reading the server's memory and CPU runs cat /proc/PID/… (--allow-run).
A progress line shows on a terminal, never in a pipe.`;

/**
 * Parses `nanochat bench`'s arguments.
 *
 * @param args The arguments after `bench`.
 * @returns What to run, or `"help"`.
 * @throws {TypeError} For unknown flags or a missing address.
 * @throws {RangeError} For values out of range.
 */
export function parseBenchArgs(args: string[]): BenchCommand | "help" {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      proto: { type: "string", default: "nanochat" },
      receivers: { type: "string", default: "100" },
      senders: { type: "string", default: "4" },
      messages: { type: "string", default: "2000" },
      rate: { type: "string" },
      duration: { type: "string", default: "10" },
      idle: { type: "string" },
      rest: { type: "string" },
      logins: { type: "string" },
      workers: { type: "string", default: "1" },
      pid: { type: "string" },
      web: { type: "string" },
      spread: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  if (positionals.length !== 1) {
    throw new TypeError(`Expected one server address, got ${positionals.length}`);
  }
  if (values.proto !== "nanochat" && values.proto !== "redis") {
    throw new RangeError(`--proto must be nanochat or redis, got "${values.proto}"`);
  }
  const address = parseHostPort(positionals[0]!, { hostname: "", port: DEFAULT_PORT });
  if (address.hostname === "") throw new SyntaxError(`Missing host in "${positionals[0]}"`);
  const command: BenchCommand = {
    ...address,
    protocol: values.proto,
    receivers: positive("--receivers", values.receivers),
    senders: positive("--senders", values.senders),
    messages: positive("--messages", values.messages),
    durationSeconds: positive("--duration", values.duration),
    workers: positive("--workers", values.workers),
    json: values.json,
  };
  if (values.rate !== undefined) command.rate = positive("--rate", values.rate);
  if (values.pid !== undefined) command.pid = positive("--pid", values.pid);
  if (values.spread !== undefined) {
    command.spread = (values.spread as string).split(",").map((port: string) =>
      parseNumber("--spread", port.trim(), { min: 1, max: 65535 })
    );
  }
  if (values.web !== undefined) {
    if (command.protocol !== "nanochat") throw new TypeError("--web is for --proto nanochat");
    command.webPort = parseNumber("--web", values.web, { min: 1, max: 65535 });
  }
  if (values.idle !== undefined) {
    command.idleUsers = positive("--idle", values.idle);
    if (command.pid === undefined) throw new TypeError("--idle needs --pid to measure memory");
  }
  if (values.rest !== undefined) {
    if (command.idleUsers === undefined) throw new TypeError("--rest is for --idle");
    command.restSeconds = parseNumber("--rest", values.rest, { min: 1, max: 3600 });
  }
  if (values.logins !== undefined) {
    if (command.idleUsers !== undefined) throw new TypeError("Choose --idle or --logins");
    command.loginUsers = positive("--logins", values.logins);
  }
  return command;
}

function positive(flag: string, text: string): number {
  return parseNumber(flag, text, { min: 1 });
}

/**
 * Runs the load test and prints the result.
 *
 * @param command The parsed command.
 * @returns 0, or 1 if any delivery was lost, duplicated or reordered.
 */
export async function runBenchCommand(command: BenchCommand): Promise<number> {
  if (command.idleUsers !== undefined) {
    const result = await runIdle({
      ...command,
      users: command.idleUsers,
      pid: command.pid!,
      ...(command.restSeconds === undefined ? {} : { restSeconds: command.restSeconds }),
    });
    print(command.json ? JSON.stringify(result) : formatIdle(result));
    return 0;
  }
  const progress = new ProgressLine();
  const onProgress = command.json || !progress.active
    ? {}
    : { onProgress: (state: BenchProgress) => progress.show(describeProgress(state)) };
  if (command.loginUsers !== undefined) {
    const result = await runLogins({ ...command, users: command.loginUsers, ...onProgress });
    progress.clear();
    print(command.json ? JSON.stringify(result) : formatLogins(result));
    return 0;
  }
  const result = await runBench({ ...command, ...onProgress });
  progress.clear();
  print(command.json ? JSON.stringify(result) : formatResult(result));
  return result.lost + result.duplicated + result.reordered === 0 ? 0 : 1;
}

/**
 * A progress report as one short line.
 *
 * @param progress Where the run stands.
 * @returns The line, without a line break.
 */
export function describeProgress(progress: BenchProgress): string {
  if (progress.phase === "logging in") return `  logging in (${progress.done} s)`;
  const percent = progress.total > 0 ? Math.floor((progress.done / progress.total) * 100) : 0;
  const what = progress.phase === "connecting" ? "receivers ready" : "deliveries";
  return `  ${progress.done.toLocaleString("en")} of ${
    progress.total.toLocaleString("en")
  } ${what} (${percent}%)`;
}

/**
 * CPU use as percentages of one core, the tester's beside the server's.
 *
 * @param cpu What was measured.
 * @returns Such as `tester 85% / server 97% of a core`.
 */
export function formatCpu(cpu: CpuShare): string {
  const percent = (seconds: number) => `${Math.round((seconds / cpu.seconds) * 100)}%`;
  const server = cpu.serverSeconds === undefined ? "?" : percent(cpu.serverSeconds);
  return `tester ${percent(cpu.testerSeconds)} / server ${server} of a core`;
}

/**
 * A result as a human-readable table.
 *
 * @param result One workload's result.
 * @returns Aligned lines.
 */
export function formatResult(result: BenchResult): string {
  const workload = result.mode === "burst"
    ? `${result.senders} senders × ${result.sent / result.senders} messages, burst`
    : `${result.sent} messages over ${result.senders} senders, open loop`;
  const rows: [string, string][] = [
    ["server", result.protocol],
    ["workload", `${result.receivers} receivers, ${workload}`],
    ["deliveries", `${result.received} of ${result.expected}`],
    [
      "lost / duplicated / reordered",
      `${result.lost} / ${result.duplicated} / ${result.reordered}`,
    ],
    ["deliveries per second", Math.round(result.deliveriesPerSecond).toLocaleString("en")],
    [
      "latency p50 / p90 / p99 / max",
      ["p50", "p90", "p99", "max"].map((key) =>
        `${result.latencyMs[key as keyof BenchResult["latencyMs"]].toFixed(1)} ms`
      ).join(" / "),
    ],
    ["connect + login per second", Math.round(result.loginsPerSecond).toLocaleString("en")],
    ["CPU while sending", formatCpu(result.cpu)],
    ["load threads", String(result.workers)],
  ];
  if (result.peakRssKiB !== undefined) {
    rows.push(["server peak RSS", `${(result.peakRssKiB / 1024).toFixed(1)} MiB`]);
  }
  return rows.map(([name, value]) => `${name.padEnd(31)}${value}`).join("\n");
}

/**
 * An idle-users result as a human-readable table.
 *
 * @param result The measurement.
 * @returns Aligned lines.
 */
export function formatIdle(result: IdleResult): string {
  const rows: [string, string][] = [
    ["server", result.protocol],
    ["idle users", String(result.users)],
    [
      "server RSS before / after",
      `${(result.rssBeforeKiB / 1024).toFixed(1)} / ${(result.rssAfterKiB / 1024).toFixed(1)} MiB`,
    ],
    ["RSS per idle user", `${result.perUserKiB.toFixed(2)} KiB`],
    ...(result.perUserAtRestKiB === undefined ? [] : [[
      `RSS per idle user, ${result.restSeconds} s later`,
      `${result.perUserAtRestKiB.toFixed(2)} KiB`,
    ] as [string, string]]),
    ["connect + login per second", Math.round(result.loginsPerSecond).toLocaleString("en")],
  ];
  return rows.map(([name, value]) => `${name.padEnd(31)}${value}`).join("\n");
}

/**
 * A login-rate result as a human-readable table.
 *
 * @param result The measurement.
 * @returns Aligned lines.
 */
export function formatLogins(result: LoginResult): string {
  const rows: [string, string][] = [
    ["server", result.protocol],
    ["users logged in and kept", `${result.users} (${result.inFlight} at a time)`],
    ["logins per second", Math.round(result.loginsPerSecond).toLocaleString("en")],
    ["CPU while logging in", formatCpu(result.cpu)],
    ["load threads", String(result.workers)],
  ];
  return rows.map(([name, value]) => `${name.padEnd(31)}${value}`).join("\n");
}

function print(text: string): void {
  // deno-lint-ignore no-console -- printing the report is the point
  console.log(text);
}
