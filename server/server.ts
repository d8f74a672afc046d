/**
 * The nanochat server: listens on plain and TLS addresses, enforces the
 * connection limits, and runs a {@linkcode Session} for each client, all in
 * one {@linkcode ChatRoom}.
 *
 * @module
 */

import { DEFAULT_PORT, formatHostPort, type HostPort } from "../protocol/address.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../protocol/line_splitter.ts";
import { encodeLine, ErrorCode, errorLine } from "../protocol/replies.ts";
import { ChatRoom } from "./chat_room.ts";
import { FlushScheduler } from "./flush_scheduler.ts";
import { History } from "./history.ts";
import { type ByteConn, ConnLineConnection } from "./line_connection.ts";
import { Logger } from "./log.ts";
import { serveMetrics } from "./metrics_endpoint.ts";
import { Metrics, type RejectReason } from "./metrics.ts";
import { DEFAULT_MAX_QUEUED_BYTES } from "./outbox.ts";
import { Session, type SessionContext } from "./session.ts";
import { TlsListener } from "./tls_listener.ts";
import { VERSION } from "./version.ts";

/** One address to listen on, plain or TLS. */
export interface ListenAddress extends HostPort {
  /** PEM certificate chain and private key; serve TLS when given. */
  tls?: { cert: string; key: string };
}

/** How the server runs. Every field has a default. */
export interface ServerOptions {
  /**
   * Where to listen; each address plain or TLS.
   *
   * @default {[{ hostname: "0.0.0.0", port: 7777 }]}
   */
  listen?: ListenAddress[];
  /**
   * Longest line a client may send, in bytes.
   *
   * @default {4096}
   */
  maxLineBytes?: number;
  /**
   * Outbound bytes that may wait for a client before it is dropped as a slow
   * reader.
   *
   * @default {1048576}
   */
  maxOutboxBytes?: number;
  /**
   * How many clients may be connected at once.
   *
   * @default {10000}
   */
  maxConnections?: number;
  /**
   * How many clients may be connected at once from one IP address.
   *
   * @default {16}
   */
  maxConnectionsPerIp?: number;
  /**
   * Lines per second one client may send on average; 0 turns flood control
   * off. A faster client is slowed down by not reading its socket.
   *
   * @default {10}
   */
  rateLinesPerSecond?: number;
  /**
   * Lines a client may send at once before the rate applies.
   *
   * @default {40}
   */
  burstLines?: number;
  /**
   * How long a client may stay over its rate without a break before it is
   * disconnected for flooding, in milliseconds.
   *
   * @default {30000}
   */
  floodKickMs?: number;
  /**
   * How long a new connection may take to send its name, in milliseconds.
   *
   * @default {30000}
   */
  loginTimeoutMs?: number;
  /**
   * How long a logged-in client may send nothing before it is disconnected,
   * in milliseconds; 0 never disconnects. Our client pings every minute.
   *
   * @default {600000}
   */
  idleTimeoutMs?: number;
  /**
   * How many recent public messages a user who joins is shown; 0 shows none.
   *
   * @default {50}
   */
  historyLines?: number;
  /**
   * Joins and departures are announced only while the room has at most this
   * many users; in a larger room they would be N² lines of noise.
   *
   * @default {500}
   */
  presenceMaxUsers?: number;
  /**
   * How long shutdown, QUIT and refusals wait for output to be flushed before
   * closing, in milliseconds.
   *
   * @default {2000}
   */
  closeGraceMs?: number;
  /**
   * Whether chat text is written to the log.
   *
   * @default {false}
   */
  logMessages?: boolean;
  /**
   * Where to serve `/metrics` (Prometheus) and `/healthz` over HTTP; off when
   * not given.
   */
  metrics?: HostPort;
  /**
   * Where events are logged.
   *
   * @default {new Logger()} (text lines on stderr)
   */
  logger?: Logger;
}

/** The options that are plain values, each with a default. */
type Tunables = Required<Omit<ServerOptions, "listen" | "metrics" | "logger">>;

/** The defaults {@linkcode ServerOptions} documents. */
export const SERVER_DEFAULTS: Readonly<Tunables & HostPort> = {
  hostname: "0.0.0.0",
  port: DEFAULT_PORT,
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  maxOutboxBytes: DEFAULT_MAX_QUEUED_BYTES,
  maxConnections: 10_000,
  maxConnectionsPerIp: 16,
  rateLinesPerSecond: 10,
  burstLines: 40,
  floodKickMs: 30_000,
  loginTimeoutMs: 30_000,
  idleTimeoutMs: 600_000,
  historyLines: 50,
  presenceMaxUsers: 500,
  closeGraceMs: 2_000,
  logMessages: false,
};

/** A plain TCP listener or a {@linkcode TlsListener}. */
interface Listener {
  readonly addr: Deno.NetAddr;
  accept(): Promise<ByteConn>;
  close(): void;
}

const LAG_CHECK_MS = 1000;

/** While busy, write to each client at most this often (see FlushScheduler). */
const FLUSH_INTERVAL_MS = 10;

/** A running server. */
export class ChatServer {
  readonly #options: Tunables & Pick<ServerOptions, "listen" | "metrics">;
  readonly #listeners: { listener: Listener; tls: boolean }[];
  readonly #context: SessionContext;
  readonly #metrics = new Metrics();
  readonly #sessions = new Set<Session>();
  readonly #running = new Set<Promise<void>>();
  readonly #perIp = new Map<string, number>();
  readonly #accepting: Promise<void>[];
  readonly #metricsServer: Deno.HttpServer<Deno.NetAddr> | undefined;
  readonly #lagTimer: ReturnType<typeof setInterval>;
  readonly #idleSweep: ReturnType<typeof setInterval> | undefined;
  readonly #flushes = new FlushScheduler(FLUSH_INTERVAL_MS);
  readonly #schedule = (flush: () => void) => this.#flushes.schedule(flush);
  #shutdown: Promise<void> | undefined;

  /**
   * Starts accepting on listeners already open. Use {@linkcode serve}.
   *
   * @param options How to run.
   * @param listeners The open listeners; the server now owns them.
   */
  constructor(options: ServerOptions, listeners: { listener: Listener; tls: boolean }[]) {
    const { logger, ...rest } = options;
    this.#options = { ...SERVER_DEFAULTS, ...rest };
    const log = logger ?? new Logger();
    this.#listeners = listeners;
    try {
      this.#metricsServer = this.#options.metrics && serveMetrics(this.#options.metrics, {
        render: () =>
          this.#metrics.render({
            usersOnline: this.userCount,
            connectionsOpen: this.#sessions.size,
          }),
      });
    } catch (error) {
      for (const { listener } of this.#listeners) listener.close();
      throw error;
    }
    this.#context = {
      room: new ChatRoom<Session>(),
      history: new History(this.#options.historyLines),
      log,
      metrics: this.#metrics,
      serverName: `nanochat ${VERSION}`,
      loginTimeoutMs: this.#options.loginTimeoutMs,
      idleTimeoutMs: this.#options.idleTimeoutMs,
      closeGraceMs: this.#options.closeGraceMs,
      logMessages: this.#options.logMessages,
      presenceMaxUsers: this.#options.presenceMaxUsers,
      rate: this.#options.rateLinesPerSecond > 0
        ? {
          ratePerSecond: this.#options.rateLinesPerSecond,
          burst: this.#options.burstLines,
          floodKickMs: this.#options.floodKickMs,
        }
        : undefined,
    };
    for (const { listener, tls } of this.#listeners) {
      log.event("listening", { addr: formatHostPort(listener.addr), tls });
      if (listener instanceof TlsListener) {
        listener.onHandshakeError = (peer, error) => {
          Metrics.increment(this.#metrics.connectionsRejected, "tls-handshake-failed");
          log.event("reject", { addr: peer, reason: "tls-handshake-failed", error: error.message });
        };
      }
    }
    if (this.#metricsServer) {
      log.event("metrics", { addr: formatHostPort(this.#metricsServer.addr) });
    }
    this.#lagTimer = this.#watchEventLoop();
    this.#idleSweep = this.#sweepIdleSessions();
    this.#accepting = this.#listeners.map(({ listener, tls }) => this.#acceptLoop(listener, tls));
  }

  /** The first address listened on (the real port when 0 was asked). */
  get address(): Deno.NetAddr {
    return this.#listeners[0]!.listener.addr;
  }

  /** Every address listened on, in the order given, and whether it is TLS. */
  get addresses(): { addr: Deno.NetAddr; tls: boolean }[] {
    return this.#listeners.map(({ listener, tls }) => ({ addr: listener.addr, tls }));
  }

  /** Where `/metrics` is served, if it is. */
  get metricsAddress(): Deno.NetAddr | undefined {
    return this.#metricsServer?.addr;
  }

  /** How many users are logged in. */
  get userCount(): number {
    return this.#context.room.size;
  }

  /**
   * Stops accepting, tells every connected client, flushes what is queued
   * (bounded by `closeGraceMs`) and closes every connection.
   *
   * @returns A promise that resolves once everything is closed.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#stop();
    return this.#shutdown;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  async #stop(): Promise<void> {
    this.#context.log.event("shutdown", { users: this.userCount });
    clearInterval(this.#lagTimer);
    clearInterval(this.#idleSweep);
    for (const { listener } of this.#listeners) listener.close();
    await Promise.all(this.#accepting);
    for (const session of this.#sessions) session.shutdown();
    await Promise.all([...this.#running, this.#metricsServer?.shutdown()]);
    this.#flushes.close();
  }

  async #acceptLoop(listener: Listener, tls: boolean): Promise<void> {
    for (;;) {
      let conn: ByteConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (this.#shutdown !== undefined) return;
        // A peer that reset before accept() is its own problem: go on at once,
        // or anyone could stall accepting by sending resets.
        if (isPeerGone(error)) continue;
        // Out of file descriptors and the like: log, pause, keep serving.
        this.#context.log.event("accept-error", { error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      this.#metrics.connectionsAccepted++;
      const refusal = this.#checkLimits((conn.remoteAddr as Deno.NetAddr).hostname);
      if (refusal) this.#refuse(conn, refusal);
      else this.#start(conn, tls);
    }
  }

  #checkLimits(ip: string): RejectReason | undefined {
    if (this.#sessions.size >= this.#options.maxConnections) return "server-full";
    if ((this.#perIp.get(ip) ?? 0) >= this.#options.maxConnectionsPerIp) {
      return "too-many-connections";
    }
    return undefined;
  }

  /**
   * Refuses a connection over a limit with one error line, without a
   * session; the write is bounded by `closeGraceMs`, then the connection is
   * closed. (TLS connections arrive here with their handshake done.)
   */
  #refuse(conn: ByteConn, reason: RejectReason): void {
    Metrics.increment(this.#metrics.connectionsRejected, reason);
    const address = formatHostPort(conn.remoteAddr as Deno.NetAddr);
    this.#context.log.event("reject", { addr: address, reason });
    const line = reason === "server-full"
      ? errorLine(ErrorCode.ServerFull, "The server is full; try again later")
      : errorLine(ErrorCode.TooManyConnections, "Too many connections from your address");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#options.closeGraceMs);
    });
    void Promise.race([conn.write(encodeLine(line)).catch(() => {}), grace]).finally(() => {
      clearTimeout(timer);
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    });
  }

  #start(conn: ByteConn, tls: boolean): void {
    if (!tls) {
      // TLS sockets get these from the TlsListener.
      (conn as Deno.TcpConn).setNoDelay(true);
      (conn as Deno.TcpConn).setKeepAlive(true); // the OS finds peers that vanished without a FIN
    }
    const ip = (conn.remoteAddr as Deno.NetAddr).hostname;
    this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
    const connection = new ConnLineConnection(conn, {
      maxLineBytes: this.#options.maxLineBytes,
      maxQueuedBytes: this.#options.maxOutboxBytes,
      onSlowReader: () => session.slowReader(),
      refuseTls: !tls,
      metrics: this.#metrics,
      schedule: this.#schedule,
    });
    const session = new Session(connection, this.#context);
    this.#sessions.add(session);
    const running = session.run().finally(() => {
      this.#sessions.delete(session);
      this.#running.delete(running);
      const left = this.#perIp.get(ip)! - 1;
      if (left === 0) this.#perIp.delete(ip);
      else this.#perIp.set(ip, left);
    });
    this.#running.add(running);
  }

  /**
   * Checks every session for idleness a few times per idle timeout: one
   * timer for the server instead of one per user. A silent user is
   * disconnected between one and 1.1 idle timeouts after its last line.
   */
  #sweepIdleSessions(): ReturnType<typeof setInterval> | undefined {
    const { idleTimeoutMs } = this.#options;
    if (idleTimeoutMs === 0) return undefined;
    const timer = setInterval(() => {
      const now = performance.now();
      for (const session of this.#sessions) session.checkIdle(now);
    }, Math.min(Math.max(idleTimeoutMs / 10, 10), 10_000));
    Deno.unrefTimer(timer);
    return timer;
  }

  /** Measures how late a periodic timer fires: the event loop's lag. */
  #watchEventLoop(): ReturnType<typeof setInterval> {
    let expected = performance.now() + LAG_CHECK_MS;
    const timer = setInterval(() => {
      const now = performance.now();
      this.#metrics.eventLoopLagSeconds = Math.max(0, now - expected) / 1000;
      expected = now + LAG_CHECK_MS;
    }, LAG_CHECK_MS);
    Deno.unrefTimer(timer);
    return timer;
  }
}

/** Whether an accept failed only because that one peer already went away. */
function isPeerGone(error: unknown): boolean {
  return error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted;
}

/** Opens one listener; a failure names the address and keeps its cause. */
async function listen(address: ListenAddress, options: Tunables): Promise<Listener> {
  try {
    if (!address.tls) return Deno.listen({ hostname: address.hostname, port: address.port });
    return await TlsListener.listen({
      hostname: address.hostname,
      port: address.port,
      ...address.tls,
      handshakeTimeoutMs: options.loginTimeoutMs,
    });
  } catch (error) {
    const kind = address.tls ? " for TLS" : "";
    throw new Error(`cannot listen${kind} on ${formatHostPort(address)}`, { cause: error });
  }
}

/**
 * Starts a server.
 *
 * @param options How to run; every field has a default.
 * @returns The running server.
 * @throws {Error} Naming the address, with the listen error (such as
 * `Deno.errors.AddrInUse`) as its cause.
 *
 * @example Serving on a free port
 * ```ts
 * import { serve } from "./server.ts";
 * import { Logger } from "./log.ts";
 *
 * await using server = await serve({
 *   listen: [{ hostname: "127.0.0.1", port: 0 }],
 *   logger: new Logger(() => {}),
 * });
 * console.log(`listening on port ${server.address.port}`);
 * ```
 */
export async function serve(options: ServerOptions = {}): Promise<ChatServer> {
  const tunables = { ...SERVER_DEFAULTS, ...options };
  const log = options.logger ?? new Logger();
  const addresses = options.listen ??
    [{ hostname: SERVER_DEFAULTS.hostname, port: SERVER_DEFAULTS.port }];
  const listeners: { listener: Listener; tls: boolean }[] = [];
  try {
    for (const address of addresses) {
      listeners.push({ listener: await listen(address, tunables), tls: !!address.tls });
    }
    return new ChatServer({ ...options, logger: log }, listeners);
  } catch (error) {
    for (const { listener } of listeners) listener.close();
    throw error;
  }
}
