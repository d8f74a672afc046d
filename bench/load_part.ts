/**
 * One share of a load test's connections: some of the receivers and some of
 * the senders, driven from one thread. A run is one share in the load
 * tester's own thread, or several in worker threads
 * ({@linkcode ./load_worker.ts}), so the tester can use more than one core;
 * each share keeps its own tally over its own receivers, and the run merges
 * them exactly.
 *
 * Every method is async so a share in a worker answers the same interface
 * ({@linkcode LoadShare}) as one in this thread.
 *
 * @module
 */

import { encodeClientFrame, Opcode } from "../protocol/websocket_frames.ts";
import { concatBytes, writeAll } from "../transport/bytes.ts";
import { Tally, type TallySnapshot } from "./tally.ts";
import {
  type BenchProtocol,
  benchProtocol,
  type BenchProtocolName,
  jsonPayload,
  parsePayload,
} from "./wire.ts";

/** Which connections a share drives, and how. */
export interface LoadPartOptions {
  /** The server's host. */
  hostname: string;
  /** The server's port. */
  port: number;
  /**
   * More ports of the same server (the other nodes of a cluster): the
   * run's receivers and senders are spread over `port` and these by index.
   */
  spread?: number[];
  /** What the server speaks. */
  protocol: BenchProtocolName;
  /**
   * nanochat only: receivers connect to the web page's WebSocket on this
   * port (`nanochat serve --http`) instead of the line protocol's port.
   */
  webPort?: number;
  /** A room to talk in; the lobby when absent. */
  room?: string;
  /** This share's receivers, by their index in the whole run: `[first, end)`. */
  receivers: [number, number];
  /** This share's senders, by their index in the whole run: `[first, end)`. */
  senders: [number, number];
  /** How many senders the whole run has. */
  totalSenders: number;
  /** Burst: messages per sender. */
  messages?: number;
  /** Open loop: messages per second from all senders of the run together. */
  rate?: number;
  /** Open loop: for how long, in seconds. */
  durationSeconds?: number;
  /**
   * The run's clock origin (`performance.timeOrigin` of the thread that
   * runs it): all shares stamp and time messages on one clock.
   */
  epoch: number;
}

/** What a share saw, for the run to merge. */
export interface LoadPartResult extends TallySnapshot {
  /** When the last delivery came, on the run's clock; 0 if none did. */
  lastDelivery: number;
}

/** A share, here or in a worker. */
export interface LoadShare {
  /** Connects and greets this share's receivers and senders. */
  connect(): Promise<void>;
  /** Sends one probe from this share's first sender. */
  probe(): Promise<void>;
  /** Receivers confirmed ready (they saw a probe, or Redis confirmed them). */
  readyCount(): Promise<number>;
  /** Receivers whose connection is still open (the server has not closed it). */
  openCount(): Promise<number>;
  /** Sends this share's messages: a burst, or at its senders' rate. Returns how many. */
  send(): Promise<number>;
  /** Distinct deliveries so far. */
  received(): Promise<number>;
  /**
   * Waits until `expected` deliveries came, or none for `settleMs`.
   *
   * @param expected Deliveries this share's receivers should get.
   * @param settleMs How long without a delivery ends the wait.
   */
  collect(expected: number, settleMs: number): Promise<LoadPartResult>;
  /**
   * Logs this share's receivers in, at most `inFlight` at a time, each done
   * at the server's welcome, and keeps them connected.
   *
   * @param welcomeTimeoutMs How long one login may wait for its welcome
   *   before the run fails (a server that never answers must not hang it).
   * @returns When the first connect started and the last welcome came, on the run's clock.
   */
  login(inFlight: number, welcomeTimeoutMs: number): Promise<{ first: number; last: number }>;
  /** Closes every connection. */
  close(): Promise<void>;
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
    options: LoadPartOptions,
    index: number,
    onText?: (text: string) => void,
  ): Promise<BenchConnection> {
    const ports = [options.port, ...(options.spread ?? [])];
    const port = ports[index % ports.length]!;
    const conn = await Deno.connect({ hostname: options.hostname, port });
    conn.setNoDelay(true);
    return new BenchConnection(conn, onText);
  }

  write(text: string): Promise<void> {
    return writeAll(this.#conn, encoder.encode(text));
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
 * A receiver on the web page's WebSocket, over a raw TCP connection: each
 * line it says is one masked text frame, and each text frame it gets is
 * handed over as one message. (Deno's own `WebSocket` costs the tester
 * several times what the server spends per delivery.)
 */
class WebSocketBenchConnection {
  readonly #conn: Deno.TcpConn;
  readonly done: Promise<void>;

  private constructor(conn: Deno.TcpConn, rest: Uint8Array, onMessage: (text: string) => void) {
    this.#conn = conn;
    this.done = this.#read(rest, onMessage);
  }

  static async open(
    options: LoadPartOptions,
    onMessage: (text: string) => void,
  ): Promise<WebSocketBenchConnection> {
    const conn = await Deno.connect({ hostname: options.hostname, port: options.webPort! });
    conn.setNoDelay(true);
    await writeAll(
      conn,
      encoder.encode(
        `GET /ws HTTP/1.1\r\nHost: ${options.hostname}:${options.webPort}\r\n` +
          "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      ),
    );
    // The answer's head, then whatever frames came with it.
    let head: Uint8Array = new Uint8Array(0);
    for (let reads = 0; reads < 100; reads++) {
      const chunk = new Uint8Array(4096);
      const count = await conn.read(chunk);
      if (count === null) break;
      head = concatBytes([head, chunk.subarray(0, count)]);
      const end = new TextDecoder().decode(head).indexOf("\r\n\r\n");
      if (end === -1) continue;
      if (!new TextDecoder().decode(head.subarray(0, 13)).startsWith("HTTP/1.1 101")) break;
      return new WebSocketBenchConnection(conn, head.slice(end + 4), onMessage);
    }
    conn.close();
    throw new Error("the WebSocket closed before it opened");
  }

  write(text: string): Promise<void> {
    const frames = text.split("\n").filter((line) => line !== "")
      .map((line) => encodeClientFrame(Opcode.Text, encoder.encode(line)));
    return writeAll(this.#conn, concatBytes(frames));
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Reads frames; hands each text frame's payload over, decoded. */
  async #read(rest: Uint8Array, onMessage: (text: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    let pending: Uint8Array = rest;
    const chunk = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        let offset = 0;
        for (;;) {
          if (pending.length - offset < 2) break;
          const opcode = pending[offset]! & 0x0f;
          let length = pending[offset + 1]! & 0x7f;
          let start = offset + 2;
          if (length === 126) {
            if (pending.length - offset < 4) break;
            length = (pending[offset + 2]! << 8) | pending[offset + 3]!;
            start = offset + 4;
          } else if (length === 127) {
            if (pending.length - offset < 10) break;
            length = new DataView(pending.buffer, pending.byteOffset + offset + 6, 4).getUint32(0);
            start = offset + 10;
          }
          if (pending.length < start + length) break;
          if (opcode === Opcode.Close) return;
          if (opcode === Opcode.Text) {
            onMessage(decoder.decode(pending.subarray(start, start + length)));
          }
          offset = start + length;
        }
        const count = await this.#conn.read(chunk);
        if (count === null) return;
        pending = concatBytes([pending.subarray(offset), chunk.subarray(0, count)]);
      }
    } catch {
      // Closed by us, or reset: the tally shows what arrived.
    }
  }
}

/** A share driven from this thread. */
export class LoadPart implements LoadShare {
  readonly #options: LoadPartOptions;
  readonly #protocol: BenchProtocol;
  readonly #tally: Tally;
  readonly #ready: Uint8Array;
  readonly #welcomed: Array<(() => void) | undefined>;
  readonly #offset: number;
  #receivers: (BenchConnection | WebSocketBenchConnection)[] = [];
  #senders: BenchConnection[] = [];
  #openReceivers = 0;
  #lastDelivery = 0;

  /**
   * Prepares a share; nothing connects until {@linkcode LoadPart.connect}.
   *
   * @param options Its connections and workload.
   */
  constructor(options: LoadPartOptions) {
    this.#options = options;
    this.#protocol = benchProtocol(options.protocol, options.room);
    const [first, end] = options.receivers;
    this.#tally = new Tally(end - first, options.totalSenders);
    this.#ready = new Uint8Array(end - first);
    this.#welcomed = new Array(end - first);
    // Both clocks count from the epoch, whichever thread this is.
    this.#offset = performance.timeOrigin - options.epoch;
  }

  #now(): number {
    return this.#offset + performance.now();
  }

  #onPayload(receiver: number, payload: string): void {
    if (payload === "p") {
      this.#ready[receiver] = 1;
      return;
    }
    if (payload === "w") {
      this.#welcomed[receiver]?.();
      return;
    }
    const parsed = parsePayload(payload);
    // Other users may chat on a live server: count only this run's payloads.
    if (parsed === undefined || parsed.sender >= this.#options.totalSenders) return;
    this.#lastDelivery = this.#now();
    this.#tally.record(
      receiver,
      parsed.sender,
      parsed.sequence,
      this.#lastDelivery - parsed.sentAt,
    );
  }

  async #openReceiver(local: number): Promise<BenchConnection | WebSocketBenchConnection> {
    const connection = await this.#connectReceiver(local);
    this.#openReceivers++;
    void connection.done.then(() => this.#openReceivers--);
    await connection.write(this.#protocol.receiverHello(this.#options.receivers[0] + local));
    return connection;
  }

  #connectReceiver(local: number): Promise<BenchConnection | WebSocketBenchConnection> {
    if (this.#options.webPort !== undefined) {
      return WebSocketBenchConnection.open(this.#options, (message) => {
        const payload = jsonPayload(message);
        if (payload !== undefined) this.#onPayload(local, payload);
      });
    }
    const parser = this.#protocol.parser();
    const index = this.#options.receivers[0] + local;
    return BenchConnection.open(this.#options, index, (text) => {
      parser.push(text, (payload) => this.#onPayload(local, payload));
    });
  }

  async #openSenders(): Promise<void> {
    const [first, end] = this.#options.senders;
    this.#senders = await Promise.all(
      Array.from({ length: end - first }, async (_, offset) => {
        // Drains what it gets; spread from the other end, so senders and receivers mix nodes.
        const connection = await BenchConnection.open(this.#options, first + offset + 1, () => {});
        await connection.write(this.#protocol.senderHello(first + offset));
        return connection;
      }),
    );
  }

  async connect(): Promise<void> {
    // In batches, so the server's accept backlog is never overrun.
    // WebSocket handshakes go through the server's HTTP connection cap: smaller batches.
    const size = this.#options.webPort === undefined ? 200 : 50;
    for (let start = 0; start < this.#ready.length; start += size) {
      const batch = Math.min(size, this.#ready.length - start);
      this.#receivers.push(
        ...await Promise.all(
          Array.from({ length: batch }, (_, offset) => this.#openReceiver(start + offset)),
        ),
      );
    }
    await this.#openSenders();
  }

  async probe(): Promise<void> {
    await this.#senders[0]?.write(this.#protocol.message("p"));
  }

  readyCount(): Promise<number> {
    return Promise.resolve(this.#ready.reduce((count, ready) => count + ready, 0));
  }

  openCount(): Promise<number> {
    return Promise.resolve(this.#openReceivers);
  }

  received(): Promise<number> {
    return Promise.resolve(this.#tally.received);
  }

  send(): Promise<number> {
    return this.#options.rate === undefined ? this.#sendBurst() : this.#sendAtRate();
  }

  async #sendBurst(): Promise<number> {
    const messages = this.#options.messages ?? 1000;
    const first = this.#options.senders[0];
    await Promise.all(this.#senders.map(async (sender, offset) => {
      const now = this.#now().toFixed(1);
      let text = "";
      for (let sequence = 0; sequence < messages; sequence++) {
        text += this.#protocol.message(`b ${first + offset} ${sequence} ${now}`);
      }
      await sender.write(text);
    }));
    return messages * this.#senders.length;
  }

  /**
   * The run's messages are numbered 0, 1, 2…, message n is due at n / rate
   * seconds and goes to sender n mod S: each share sends its senders' part
   * of that one schedule.
   */
  async #sendAtRate(): Promise<number> {
    const { rate, totalSenders } = this.#options;
    const total = Math.round(rate! * (this.#options.durationSeconds ?? 10));
    const [first] = this.#options.senders;
    const indexes = this.#senders.map((_, offset) => first + offset);
    // Sender s sends messages s, s + S, s + 2S… below total.
    const quota = indexes.map((index) => Math.max(0, Math.ceil((total - index) / totalSenders)));
    const sent = indexes.map(() => 0);
    const started = this.#now();
    let left = quota.reduce((sum, count) => sum + count, 0);
    while (left > 0) {
      const dueMessages = ((this.#now() - started) / 1000) * rate!;
      await Promise.all(indexes.map((index, slot) => {
        // Messages index, index + S… that are due: floor((due - index) / S) + 1 of them.
        const due = Math.min(quota[slot]!, Math.floor((dueMessages - index) / totalSenders) + 1);
        let text = "";
        for (; sent[slot]! < due; sent[slot]!++, left--) {
          text += this.#protocol.message(`b ${index} ${sent[slot]} ${this.#now().toFixed(1)}`);
        }
        return text && this.#senders[slot]!.write(text);
      }));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return sent.reduce((sum, count) => sum + count, 0);
  }

  async collect(expected: number, settleMs: number): Promise<LoadPartResult> {
    let lastCount = -1;
    let lastChange = performance.now();
    while (this.#tally.received < expected) {
      const now = performance.now();
      if (this.#tally.received !== lastCount) {
        lastCount = this.#tally.received;
        lastChange = now;
      } else if (now - lastChange > settleMs) {
        break; // whatever did not come by now is lost
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { ...this.#tally.snapshot(), lastDelivery: this.#lastDelivery };
  }

  async login(
    inFlight: number,
    welcomeTimeoutMs: number,
  ): Promise<{ first: number; last: number }> {
    const first = this.#now();
    let next = 0;
    const loginOne = async (local: number) => {
      const welcomed = new Promise<void>((resolve) => this.#welcomed[local] = resolve);
      const connection = await this.#openReceiver(local);
      this.#receivers.push(connection);
      const closed = connection.done.then(() => {
        throw new Error(`Receiver ${local} was closed before the server's welcome`);
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `Receiver ${local} got no welcome within ${welcomeTimeoutMs} ms` +
                  ` (is the server speaking ${this.#options.protocol}? see --proto)`,
              ),
            ),
          welcomeTimeoutMs,
        );
      });
      try {
        await Promise.race([welcomed, closed, late]);
      } finally {
        clearTimeout(timer);
        this.#welcomed[local] = undefined;
      }
    };
    // After a failure no login starts, and the ones under way finish before
    // this returns, so close() finds every connection this opened.
    let failure: { error: unknown } | undefined;
    await Promise.all(Array.from({ length: Math.min(inFlight, this.#ready.length) }, async () => {
      while (next < this.#ready.length && failure === undefined) {
        try {
          await loginOne(next++);
        } catch (error) {
          failure ??= { error };
        }
      }
    }));
    if (failure !== undefined) throw failure.error;
    return { first, last: this.#now() };
  }

  async close(): Promise<void> {
    const all = [...this.#receivers, ...this.#senders];
    for (const connection of all) connection.close();
    await Promise.all(all.map((connection) => connection.done));
  }
}
