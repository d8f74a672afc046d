/**
 * Runs one load-test workload against a live server: receivers connect and
 * are confirmed ready, then senders send (in a burst, or at a fixed total
 * rate for a while), and every delivery is tallied until all have arrived or
 * none has for a while.
 *
 * @module
 */

import { Tally, type TallyResult } from "./tally.ts";
import { type BenchProtocol, benchProtocol, type BenchProtocolName } from "./wire.ts";

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
   * How long to wait without any delivery before counting the rest as lost,
   * in milliseconds.
   *
   * @default {5000}
   */
  settleMs?: number;
  /** The server's process id, to report its peak memory (Linux). */
  pid?: number;
  /** A room to talk in (a channel of its own for Redis); the lobby when absent. */
  room?: string;
  /**
   * Awaited once everyone is connected and ready, before the first message:
   * several workloads driven at once start sending together.
   */
  beforeSending?: () => Promise<void>;
  /** Called about once a second while messages flow. */
  onProgress?: (received: number, expected: number) => void;
}

/** What one workload measured. */
export interface BenchResult extends TallyResult {
  protocol: BenchProtocolName;
  mode: "burst" | "rate";
  receivers: number;
  senders: number;
  /** Messages the senders sent. */
  sent: number;
  /** From the first send to the last delivery, in seconds. */
  seconds: number;
  /** Distinct deliveries per second over that time. */
  deliveriesPerSecond: number;
  /** Receivers connected and confirmed ready per second. */
  loginsPerSecond: number;
  /** The server's peak resident memory (VmHWM) in KiB, when `pid` was given. */
  peakRssKiB?: number;
}

const encoder = new TextEncoder();

/** A connection of the load test: writes text, reads into a parser or nowhere. */
class BenchConnection {
  readonly #conn: Deno.TcpConn;
  readonly done: Promise<void>;

  private constructor(conn: Deno.TcpConn, onText: ((text: string) => void) | undefined) {
    this.#conn = conn;
    this.done = this.#read(onText);
  }

  static async open(
    options: BenchOptions,
    onText?: (text: string) => void,
  ): Promise<BenchConnection> {
    const conn = await Deno.connect({ hostname: options.hostname, port: options.port });
    conn.setNoDelay(true);
    return new BenchConnection(conn, onText);
  }

  async write(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    for (let written = 0; written < bytes.length;) {
      written += await this.#conn.write(bytes.subarray(written));
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  async #read(onText: ((text: string) => void) | undefined): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const count = await this.#conn.read(buffer);
        if (count === null) return;
        onText?.(decoder.decode(buffer.subarray(0, count), { stream: true }));
      }
    } catch {
      // Closed by us, or reset: the tally shows what arrived.
    }
  }
}

/**
 * Connects the receivers and waits until every one is confirmed to receive.
 *
 * @returns The connections and the time it took, in milliseconds.
 */
async function connectReceivers(
  options: BenchOptions,
  protocol: BenchProtocol,
  onPayload: (receiver: number, payload: string) => void,
  ready: Uint8Array,
): Promise<BenchConnection[]> {
  const receivers: BenchConnection[] = [];
  // In batches, so the server's accept backlog is never overrun.
  for (let start = 0; start < options.receivers; start += 200) {
    const batch = Math.min(200, options.receivers - start);
    receivers.push(
      ...await Promise.all(Array.from({ length: batch }, async (_, offset) => {
        const index = start + offset;
        const parser = protocol.parser();
        const connection = await BenchConnection.open(options, (text) => {
          parser.push(text, (payload) => {
            if (payload === "p") ready[index] = 1;
            else onPayload(index, payload);
          });
        });
        await connection.write(protocol.receiverHello(index));
        return connection;
      })),
    );
  }
  return receivers;
}

/**
 * Sends probes until every receiver has seen one: a server-neutral way to
 * know that all are logged in and receiving.
 */
async function waitUntilReady(prober: BenchConnection, protocol: BenchProtocol, ready: Uint8Array) {
  const deadline = performance.now() + 60_000;
  while (ready.includes(0)) {
    if (performance.now() > deadline) {
      throw new Error(
        `Only ${ready.filter(Boolean).length} of ${ready.length} receivers became ready`,
      );
    }
    await prober.write(protocol.message("p"));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Runs one workload.
 *
 * @param options The server and the workload.
 * @returns What was measured.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const protocol = benchProtocol(options.protocol, options.room);
  const mode = options.rate !== undefined ? "rate" : "burst";
  const tally = new Tally(options.receivers, options.senders);
  const ready = new Uint8Array(options.receivers);
  let lastDelivery = 0;
  const onPayload = (receiver: number, payload: string) => {
    // "b SENDER SEQUENCE SENT_AT_MS"
    const parts = payload.split(" ");
    if (parts[0] !== "b" || parts.length !== 4) return;
    const sender = Number(parts[1]);
    const sequence = Number(parts[2]);
    // Other users may chat on a live server: count only this run's payloads.
    if (!(Number.isInteger(sender) && sender >= 0 && sender < options.senders)) return;
    if (!(Number.isInteger(sequence) && sequence >= 0)) return;
    lastDelivery = performance.now();
    tally.record(receiver, sender, sequence, lastDelivery - Number(parts[3]));
  };

  const connecting = performance.now();
  const receivers = await connectReceivers(options, protocol, onPayload, ready);
  const senders = await Promise.all(
    Array.from({ length: options.senders }, async (_, index) => {
      const connection = await BenchConnection.open(options, () => {}); // drains what it gets
      await connection.write(protocol.senderHello(index));
      return connection;
    }),
  );
  try {
    await waitUntilReady(senders[0]!, protocol, ready);
    const loginSeconds = (performance.now() - connecting) / 1000;
    await options.beforeSending?.();

    const started = performance.now();
    const sent = mode === "burst"
      ? await sendBurst(senders, protocol, options.messages ?? 1000)
      : await sendAtRate(senders, protocol, options.rate!, options.durationSeconds ?? 10);
    const expected = sent * options.receivers;
    await waitForDeliveries(tally, expected, options);
    const seconds = (Math.max(lastDelivery, started) - started) / 1000;
    const result: BenchResult = {
      protocol: options.protocol,
      mode,
      receivers: options.receivers,
      senders: options.senders,
      sent,
      seconds,
      deliveriesPerSecond: seconds > 0 ? tally.received / seconds : 0,
      loginsPerSecond: options.receivers / loginSeconds,
      ...tally.result(expected),
    };
    if (options.pid !== undefined) {
      result.peakRssKiB = await readProcessMemory(options.pid, "VmHWM");
    }
    return result;
  } finally {
    for (const connection of [...receivers, ...senders]) connection.close();
    await Promise.all([...receivers, ...senders].map((connection) => connection.done));
  }
}

async function sendBurst(
  senders: BenchConnection[],
  protocol: BenchProtocol,
  messages: number,
): Promise<number> {
  await Promise.all(senders.map(async (sender, index) => {
    const now = performance.now().toFixed(1);
    let text = "";
    for (let sequence = 0; sequence < messages; sequence++) {
      text += protocol.message(`b ${index} ${sequence} ${now}`);
    }
    await sender.write(text);
  }));
  return messages * senders.length;
}

async function sendAtRate(
  senders: BenchConnection[],
  protocol: BenchProtocol,
  rate: number,
  durationSeconds: number,
): Promise<number> {
  const total = Math.round(rate * durationSeconds);
  const sequences = new Array<number>(senders.length).fill(0);
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    const batches = senders.map(() => "");
    for (; sent < due; sent++) {
      const index = sent % senders.length;
      const now = performance.now().toFixed(1);
      batches[index] += protocol.message(`b ${index} ${sequences[index]!++} ${now}`);
    }
    await Promise.all(batches.map((text, index) => text && senders[index]!.write(text)));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return total;
}

async function waitForDeliveries(tally: Tally, expected: number, options: BenchOptions) {
  const settleMs = options.settleMs ?? 5000;
  let lastCount = -1;
  let lastChange = performance.now();
  let lastReport = 0;
  while (tally.received < expected) {
    const now = performance.now();
    if (tally.received !== lastCount) {
      lastCount = tally.received;
      lastChange = now;
    } else if (now - lastChange > settleMs) {
      return; // whatever did not come by now is lost
    }
    if (now - lastReport > 1000) {
      options.onProgress?.(tally.received, expected);
      lastReport = now;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
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
}

/**
 * Connects `users` idle users (logged in, or subscribed) and measures how
 * much the server's resident memory grew per user.
 *
 * @param options The server, its process id, and how many users.
 * @returns The memory per idle user.
 */
export async function runIdle(
  options: Pick<BenchOptions, "hostname" | "port" | "protocol"> & { users: number; pid: number },
): Promise<IdleResult> {
  const protocol = benchProtocol(options.protocol);
  const rssBeforeKiB = await readProcessMemory(options.pid, "VmRSS");
  const ready = new Uint8Array(options.users);
  const started = performance.now();
  const users = await connectReceivers(
    { ...options, receivers: options.users, senders: 1 },
    protocol,
    () => {},
    ready,
  );
  const prober = await BenchConnection.open({ ...options, receivers: 0, senders: 1 }, () => {});
  try {
    await prober.write(protocol.senderHello(0));
    await waitUntilReady(prober, protocol, ready);
    const loginsPerSecond = options.users / ((performance.now() - started) / 1000);
    const rssAfterKiB = await readProcessMemory(options.pid, "VmRSS");
    return {
      protocol: options.protocol,
      users: options.users,
      rssBeforeKiB,
      rssAfterKiB,
      perUserKiB: (rssAfterKiB - rssBeforeKiB) / options.users,
      loginsPerSecond,
    };
  } finally {
    for (const connection of [...users, prober]) connection.close();
    await Promise.all([...users, prober].map((connection) => connection.done));
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
