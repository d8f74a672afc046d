/**
 * The nanochat server: accepts TCP connections and runs a
 * {@linkcode Session} for each, all in one {@linkcode ChatRoom}.
 *
 * @module
 */

import { DEFAULT_PORT, formatHostPort } from "../protocol/address.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../protocol/line_splitter.ts";
import { ChatRoom } from "./chat_room.ts";
import { History } from "./history.ts";
import { ConnLineConnection } from "./line_connection.ts";
import { Logger } from "./log.ts";
import { DEFAULT_MAX_QUEUED_BYTES } from "./outbox.ts";
import { Session, type SessionContext } from "./session.ts";
import { VERSION } from "./version.ts";

/** How the server runs. Every field has a default. */
export interface ServerOptions {
  /**
   * Address to listen on.
   *
   * @default {"0.0.0.0"}
   */
  hostname?: string;
  /**
   * TCP port; 0 picks a free one (see {@linkcode ChatServer.address}).
   *
   * @default {7777}
   */
  port?: number;
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
   * Where events are logged.
   *
   * @default {new Logger()} (stderr)
   */
  logger?: Logger;
}

/** The defaults {@linkcode ServerOptions} documents. */
export const SERVER_DEFAULTS = {
  hostname: "0.0.0.0",
  port: DEFAULT_PORT,
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  maxOutboxBytes: DEFAULT_MAX_QUEUED_BYTES,
  loginTimeoutMs: 30_000,
  idleTimeoutMs: 600_000,
  historyLines: 50,
  closeGraceMs: 2_000,
  logMessages: false,
} as const;

/** A running server. */
export class ChatServer {
  readonly #listener: Deno.TcpListener;
  readonly #options: Required<Omit<ServerOptions, "logger">>;
  readonly #context: SessionContext;
  readonly #sessions = new Set<Session>();
  readonly #running = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #shutdown: Promise<void> | undefined;

  /**
   * Listens and starts accepting. Prefer {@linkcode serve}.
   *
   * @param options How to run.
   * @throws {Deno.errors.AddrInUse} and other listen errors.
   */
  constructor(options: ServerOptions = {}) {
    const { logger, ...rest } = options;
    this.#options = { ...SERVER_DEFAULTS, ...rest };
    this.#listener = Deno.listen({
      hostname: this.#options.hostname,
      port: this.#options.port,
    });
    this.#context = {
      room: new ChatRoom<Session>(),
      history: new History(this.#options.historyLines),
      log: logger ?? new Logger(),
      serverName: `nanochat ${VERSION}`,
      loginTimeoutMs: this.#options.loginTimeoutMs,
      idleTimeoutMs: this.#options.idleTimeoutMs,
      closeGraceMs: this.#options.closeGraceMs,
      logMessages: this.#options.logMessages,
    };
    this.#context.log.event("listening", { addr: formatHostPort(this.address) });
    this.#accepting = this.#acceptLoop();
  }

  /** The address actually listened on (the real port when 0 was asked). */
  get address(): Deno.NetAddr {
    return this.#listener.addr;
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
    this.#listener.close();
    await this.#accepting;
    for (const session of this.#sessions) session.shutdown();
    await Promise.all(this.#running);
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#shutdown !== undefined) return;
        // Out of file descriptors and the like: log, and keep serving.
        this.#context.log.event("accept-error", { error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      this.#start(conn);
    }
  }

  #start(conn: Deno.TcpConn): void {
    conn.setNoDelay(true);
    conn.setKeepAlive(true); // the OS finds peers that vanished without a FIN
    const connection = new ConnLineConnection(conn, {
      maxLineBytes: this.#options.maxLineBytes,
      maxQueuedBytes: this.#options.maxOutboxBytes,
      onSlowReader: () => session.slowReader(),
    });
    const session = new Session(connection, this.#context);
    this.#sessions.add(session);
    const running = session.run().finally(() => {
      this.#sessions.delete(session);
      this.#running.delete(running);
    });
    this.#running.add(running);
  }
}

/**
 * Starts a server.
 *
 * @param options How to run; every field has a default.
 * @returns The running server.
 * @throws {Deno.errors.AddrInUse} If the port is taken, and other listen
 * errors.
 *
 * @example Serving on a free port
 * ```ts
 * import { serve } from "./server.ts";
 * import { Logger } from "./log.ts";
 *
 * await using server = serve({ hostname: "127.0.0.1", port: 0, logger: new Logger(() => {}) });
 * console.log(`listening on port ${server.address.port}`);
 * ```
 */
export function serve(options: ServerOptions = {}): ChatServer {
  return new ChatServer(options);
}
