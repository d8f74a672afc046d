/**
 * Runs one load-test workload against a live server: receivers connect and
 * are confirmed ready, then senders send (in a burst, or at a fixed total
 * rate for a while), and every delivery is tallied until all have arrived or
 * none has for a while.
 *
 * @module
 */

import { type CpuShare, measureCpu } from "./cpu.ts";
import { LoadPart, type LoadPartOptions, type LoadShare } from "./load_part.ts";
import { mergeTallies, type TallyResult } from "./tally.ts";
import type { BenchProtocolName } from "./wire.ts";
import { WorkerShare } from "./worker_share.ts";

/** Where a run stands, for a progress line. */
export interface BenchProgress {
  /** Connecting and confirming receivers, or waiting for deliveries. */
  phase: "connecting" | "delivering" | "logging in";
  /** How many of `total` are done. */
  done: number;
  total: number;
}

/** One workload. */
export interface BenchOptions {
  /** The server's host. */
  hostname: string;
  /** The server's port. */
  port: number;
  /** What the server speaks. */
  protocol: BenchProtocolName;
  /** Connections that only receive. */
  receivers: number;
  /** Connections that send. */
  senders: number;
  /** Burst: messages per sender, sent as fast as the socket takes them. */
  messages?: number;
  /** Open loop: messages per second from all senders together. */
  rate?: number;
  /** Open loop: for how long, in seconds. */
  durationSeconds?: number;
  /**
   * How many threads drive the connections: 1 is this thread; more start
   * that many worker threads, each with its share of the receivers and of
   * the senders, and merge their tallies exactly.
   *
   * @default {1}
   */
  workers?: number;
  /**
   * How long to wait without any delivery before counting the rest as lost,
   * in milliseconds.
   *
   * @default {5000}
   */
  settleMs?: number;
  /** The server's process id, to report its peak memory and CPU time (Linux). */
  pid?: number;
  /** A room to talk in (a channel of its own for Redis); the lobby when absent. */
  room?: string;
  /** nanochat only: receivers use the web page's WebSocket on this port (`serve --http`). */
  webPort?: number;
  /** More ports to spread receivers and senders over (the other nodes of a cluster). */
  spread?: number[];
  /**
   * Awaited once everyone is connected and ready, before the first message:
   * several workloads driven at once start sending together.
   */
  beforeSending?: () => Promise<void>;
  /** Called about twice a second while the run goes. */
  onProgress?: (progress: BenchProgress) => void;
}

/** What one workload measured. */
export interface BenchResult extends TallyResult {
  protocol: BenchProtocolName;
  mode: "burst" | "rate";
  receivers: number;
  senders: number;
  /** Threads that drove the load. */
  workers: number;
  /** Messages the senders sent. */
  sent: number;
  /** From the first send to the last delivery, in seconds. */
  seconds: number;
  /** Distinct deliveries per second over that time. */
  deliveriesPerSecond: number;
  /** Receivers connected and confirmed ready per second. */
  loginsPerSecond: number;
  /** CPU time of the tester and the server, from the first send to the end of the run. */
  cpu: CpuShare;
  /** The server's peak resident memory (VmHWM) in KiB, when `pid` was given. */
  peakRssKiB?: number;
}

const PROGRESS_INTERVAL_MS = 500;

/** Splits `count` into `parts` contiguous ranges whose sizes differ by at most one. */
export function splitRange(count: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, part) => [
    Math.floor((count * part) / parts),
    Math.floor((count * (part + 1)) / parts),
  ]);
}

/** The shares of a run: this thread's own, or one worker thread each. */
function startShares(
  options: Omit<LoadPartOptions, "receivers" | "senders" | "epoch">,
  receivers: number,
  senders: number,
  workers: number,
): LoadShare[] {
  const threads = Math.max(1, Math.min(workers, receivers));
  const receiverRanges = splitRange(receivers, threads);
  const senderRanges = splitRange(senders, threads);
  return receiverRanges.map((range, part) => {
    const shareOptions: LoadPartOptions = {
      ...options,
      receivers: range,
      senders: senderRanges[part]!,
      epoch: performance.timeOrigin,
    };
    return workers <= 1 ? new LoadPart(shareOptions) : new WorkerShare(shareOptions);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends probes until every receiver has seen one: a server-neutral way to
 * know that all are logged in and receiving.
 */
async function waitUntilReady(
  shares: LoadShare[],
  receivers: number,
  onProgress: BenchOptions["onProgress"],
): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const ready = (await Promise.all(shares.map((share) => share.readyCount())))
      .reduce((sum, count) => sum + count, 0);
    onProgress?.({ phase: "connecting", done: ready, total: receivers });
    if (ready === receivers) return;
    if (performance.now() > deadline) {
      throw new Error(`Only ${ready} of ${receivers} receivers became ready`);
    }
    // Every receiver hears every probe; shares without a sender send none.
    await Promise.all(shares.map((share) => share.probe()));
    await sleep(100);
  }
}

/** Calls `onProgress` with the run's deliveries until `stop` settles. */
async function reportDeliveries(
  shares: LoadShare[],
  expected: number,
  stop: Promise<unknown>,
  onProgress: NonNullable<BenchOptions["onProgress"]>,
): Promise<void> {
  let stopped = false;
  const stopping = stop.finally(() => stopped = true).catch(() => {});
  while (!stopped) {
    const received = (await Promise.all(shares.map((share) => share.received())))
      .reduce((sum, count) => sum + count, 0);
    onProgress({ phase: "delivering", done: received, total: expected });
    await Promise.race([stopping, sleep(PROGRESS_INTERVAL_MS)]);
  }
}

/**
 * Runs one workload.
 *
 * @param options The server and the workload.
 * @returns What was measured.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const mode = options.rate !== undefined ? "rate" : "burst";
  const workers = options.workers ?? 1;
  const partOptions: Omit<LoadPartOptions, "receivers" | "senders" | "epoch"> = {
    hostname: options.hostname,
    port: options.port,
    protocol: options.protocol,
    totalSenders: options.senders,
  };
  if (options.room !== undefined) partOptions.room = options.room;
  if (options.webPort !== undefined) partOptions.webPort = options.webPort;
  if (options.spread !== undefined) partOptions.spread = options.spread;
  if (options.messages !== undefined) partOptions.messages = options.messages;
  if (options.rate !== undefined) partOptions.rate = options.rate;
  if (options.durationSeconds !== undefined) partOptions.durationSeconds = options.durationSeconds;
  const shares = startShares(partOptions, options.receivers, options.senders, workers);
  try {
    const connecting = performance.now();
    await Promise.all(shares.map((share) => share.connect()));
    await waitUntilReady(shares, options.receivers, options.onProgress);
    const loginSeconds = (performance.now() - connecting) / 1000;
    await options.beforeSending?.();

    const cpu = await measureCpu(options.pid);
    const started = performance.now();
    const planned = mode === "burst"
      ? (options.messages ?? 1000) * options.senders
      : Math.round(options.rate! * (options.durationSeconds ?? 10));
    const sizes = shares.map((_, part) => {
      const [first, end] = splitRange(options.receivers, shares.length)[part]!;
      return end - first;
    });
    const collecting = (async () => {
      const sent = (await Promise.all(shares.map((share) => share.send())))
        .reduce((sum, count) => sum + count, 0);
      const parts = await Promise.all(
        shares.map((share, part) => share.collect(sent * sizes[part]!, options.settleMs ?? 5000)),
      );
      return { sent, parts };
    })();
    if (options.onProgress) {
      await reportDeliveries(shares, planned * options.receivers, collecting, options.onProgress);
    }
    const { sent, parts } = await collecting;
    const used = await cpu();
    const expected = sent * options.receivers;
    const lastDelivery = Math.max(...parts.map((part) => part.lastDelivery));
    const seconds = (Math.max(lastDelivery, started) - started) / 1000;
    const tally = mergeTallies(parts, expected);
    const result: BenchResult = {
      protocol: options.protocol,
      mode,
      receivers: options.receivers,
      senders: options.senders,
      workers: Math.max(1, workers),
      sent,
      seconds,
      deliveriesPerSecond: seconds > 0 ? tally.received / seconds : 0,
      loginsPerSecond: options.receivers / loginSeconds,
      cpu: used,
      ...tally,
    };
    if (options.pid !== undefined) {
      result.peakRssKiB = await readProcessMemory(options.pid, "VmHWM");
    }
    return result;
  } finally {
    await Promise.all(shares.map((share) => share.close()));
  }
}

/** What a login-rate workload measured. */
export interface LoginResult {
  protocol: BenchProtocolName;
  users: number;
  workers: number;
  /** Logins (connect, name, welcome) in flight at a time, all threads together. */
  inFlight: number;
  /** From the first connect to the last welcome, in seconds. */
  seconds: number;
  loginsPerSecond: number;
  /** CPU time of the tester and the server over the logins. */
  cpu: CpuShare;
}

/**
 * Logs `users` users in (connect, send the name, wait for the welcome; for
 * Redis, SUBSCRIBE and its confirmation), `inFlight` at a time, and keeps
 * them all connected until the last is in: logins per second as the server
 * fills up.
 *
 * @param options The server, how many users, and how many threads.
 * @returns The login rate.
 */
export async function runLogins(
  options: Pick<BenchOptions, "hostname" | "port" | "protocol" | "workers" | "pid"> & {
    users: number;
    /** @default {200} */
    inFlight?: number;
    /** How long one login may wait for its welcome before the run fails. @default {10000} */
    welcomeTimeoutMs?: number;
    onProgress?: BenchOptions["onProgress"];
  },
): Promise<LoginResult> {
  const workers = options.workers ?? 1;
  const inFlight = options.inFlight ?? 200;
  const welcomeTimeoutMs = options.welcomeTimeoutMs ?? 10_000;
  const shares = startShares(
    { hostname: options.hostname, port: options.port, protocol: options.protocol, totalSenders: 1 },
    options.users,
    0,
    workers,
  );
  try {
    const cpu = await measureCpu(options.pid);
    const logins = Promise.all(
      shares.map((share) =>
        share.login(Math.max(1, Math.round(inFlight / shares.length)), welcomeTimeoutMs)
      ),
    );
    if (options.onProgress) {
      const onProgress = options.onProgress;
      let stopped = false;
      const stopping = logins.finally(() => stopped = true).catch(() => {});
      const started = performance.now();
      while (!stopped) {
        const seconds = (performance.now() - started) / 1000;
        onProgress({ phase: "logging in", done: Math.round(seconds), total: 0 });
        await Promise.race([stopping, sleep(PROGRESS_INTERVAL_MS)]);
      }
    }
    const times = await logins;
    const used = await cpu();
    const seconds = (Math.max(...times.map((time) => time.last)) -
      Math.min(...times.map((time) => time.first))) / 1000;
    return {
      protocol: options.protocol,
      users: options.users,
      workers: Math.max(1, workers),
      inFlight,
      seconds,
      loginsPerSecond: options.users / seconds,
      cpu: used,
    };
  } finally {
    await Promise.all(shares.map((share) => share.close()));
  }
}

/** What an idle-connections workload measured. */
export interface IdleResult {
  protocol: BenchProtocolName;
  users: number;
  /** The server's resident memory before and after, in KiB. */
  rssBeforeKiB: number;
  rssAfterKiB: number;
  /** The growth per connected user, in KiB. */
  perUserKiB: number;
  loginsPerSecond: number;
  /** With `restSeconds`: how long the users were then left idle. */
  restSeconds?: number;
  /** With `restSeconds`: the server's resident memory after that rest, in KiB. */
  rssAtRestKiB?: number;
  /** With `restSeconds`: the growth per connected user after that rest, in KiB. */
  perUserAtRestKiB?: number;
}

/**
 * Connects `users` idle users (logged in, or subscribed) and measures how
 * much the server's resident memory grew per user.
 *
 * @param options The server, its process id, and how many users.
 * @returns The memory per idle user.
 */
export async function runIdle(
  options: Pick<BenchOptions, "hostname" | "port" | "protocol"> & {
    users: number;
    pid: number;
    /**
     * Then leave the users idle this long and measure again: a server with a
     * garbage collector holds the logins' garbage at first (V8 gives memory
     * back 30 s after its last full collection, once the process is quiet).
     */
    restSeconds?: number;
  },
): Promise<IdleResult> {
  const rssBeforeKiB = await readProcessMemory(options.pid, "VmRSS");
  // All users receive; one more connection only sends the probes.
  const [share] = startShares(
    { hostname: options.hostname, port: options.port, protocol: options.protocol, totalSenders: 1 },
    options.users,
    1,
    1,
  );
  try {
    const started = performance.now();
    await share!.connect();
    await waitUntilReady([share!], options.users, undefined);
    const loginsPerSecond = options.users / ((performance.now() - started) / 1000);
    const rssAfterKiB = await readProcessMemory(options.pid, "VmRSS");
    const result: IdleResult = {
      protocol: options.protocol,
      users: options.users,
      rssBeforeKiB,
      rssAfterKiB,
      perUserKiB: (rssAfterKiB - rssBeforeKiB) / options.users,
      loginsPerSecond,
    };
    if (options.restSeconds === undefined) return result;
    await sleep(options.restSeconds * 1000);
    const rssAtRestKiB = await readProcessMemory(options.pid, "VmRSS");
    // Memory per user means nothing if the server let some go meanwhile.
    const open = await share!.openCount();
    if (open < options.users) {
      throw new Error(
        `${options.users - open} of ${options.users} users were disconnected during the rest` +
          " (is the server's idle timeout shorter than --rest?)",
      );
    }
    return {
      ...result,
      restSeconds: options.restSeconds,
      rssAtRestKiB,
      perUserAtRestKiB: (rssAtRestKiB - rssBeforeKiB) / options.users,
    };
  } finally {
    await share!.close();
  }
}

/**
 * Reads a memory figure of a process from /proc (Linux).
 *
 * @param pid The process.
 * @param field `VmRSS` (now) or `VmHWM` (peak).
 * @returns KiB.
 */
export async function readProcessMemory(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  // Deno wants --allow-all to read /proc itself; cat needs only --allow-run.
  const output = await new Deno.Command("cat", { args: [`/proc/${pid}/status`], stderr: "null" })
    .output();
  const match = new TextDecoder().decode(output.stdout).match(
    new RegExp(`^${field}:\\s+(\\d+) kB$`, "m"),
  );
  if (!match) throw new Error(`Cannot read the memory of process ${pid} (Linux /proc only)`);
  return Number(match[1]);
}
