/**
 * A running nanochat server: accepts on its plain and TLS listeners and
 * its web page's WebSocket, admits each connection through the bans and
 * limits, and runs a {@linkcode Session} and a {@linkcode ChatUser} for
 * each client, all sharing one {@linkcode Hub}. `serve()` (server.ts)
 * opens what it needs and makes one.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../protocol/address.ts";
import type { Codec } from "../protocol/events.ts";
import { jsonCodec } from "../protocol/json_codec.ts";
import { LineCodec } from "../protocol/line_codec.ts";
import { CloseCode, encodeCloseFrame } from "../protocol/websocket_frames.ts";
import { nameKey } from "../protocol/username.ts";
import { FlushScheduler } from "../transport/flush_scheduler.ts";
import type { HttpRequest, HttpServer } from "../transport/http_server.ts";
import {
  type ByteConn,
  ConnLineConnection,
  type LineConnection,
} from "../transport/line_connection.ts";
import { WebSocketLineConnection } from "../transport/websocket_connection.ts";
import { upgradeResponse } from "../transport/websocket_handshake.ts";
import { concatBytes } from "../transport/bytes.ts";
import { closeQuietly, isPeerGone } from "../transport/net_errors.ts";
import { type ProxyHeaderRead, readProxyHeader } from "../transport/proxy_reader.ts";
import { type TlsConn, TlsListener } from "../transport/tls_listener.ts";
import { admit, countRefusal, type Refusal } from "./admission.ts";
import { FailureLimits } from "./accounts/failure_limits.ts";
import { PasswordGate } from "./accounts/password_gate.ts";
import { ChatUser, type ChatUserOptions } from "./chat_user.ts";
import { AddressList } from "./connection_limits.ts";
import { type Ban, banError, type Bans } from "./moderation/bans.ts";
import { Mutes } from "./moderation/mutes.ts";
import type { ConnectionLimits, ConnectionSlot } from "./connection_limits.ts";
import type { ServerConfig } from "./config.ts";
import { Hub } from "./hub/hub.ts";
import type { Storage } from "./store/storage.ts";
import type { Listener } from "./listeners.ts";
import { serveMetrics } from "./metrics_endpoint.ts";
import { Metrics } from "./metrics.ts";
import { Session, type SessionOptions } from "./session.ts";
import { LoginDeadlines } from "./login_deadlines.ts";
import { serveWeb, webSocketClient } from "./web_endpoint.ts";
import { PresenceBudgets } from "./presence_budgets.ts";
import { RefusalWriter } from "./refusal_writer.ts";
import type { Cluster, RemoteUser } from "./cluster/cluster.ts";
import { TokenBucket } from "./token_bucket.ts";
import { VERSION } from "./version.ts";

/**
 * History bytes per second sent to logins, in all (after a burst): 4 MiB/s
 * is about forty full 50-line replays a second.
 */
const HISTORY_REPLAY_RATE = { ratePerSecond: 4 * 1024 * 1024, burst: 16 * 1024 * 1024 };

/**
 * Wrong passwords allowed per window: 5 from one address, 20 for one name
 * (from anywhere), each refilling over 10 minutes. With scrypt's cost that
 * is a few guesses an hour per address, and a name stays usable by its
 * owner while a botnet guesses at it slowly.
 */
const PASSWORD_FAILURES_PER_ADDRESS = 5;
const PASSWORD_FAILURES_PER_NAME = 20;
const PASSWORD_FAILURE_WINDOW_MS = 600_000;

const LAG_CHECK_MS = 1000;

/** While busy, write to each client at most this often (see FlushScheduler). */
const FLUSH_INTERVAL_MS = 10;

/** A running server. */
export class ChatServer {
  readonly #config: Readonly<ServerConfig>;
  readonly #listeners: { listener: Listener; tls: boolean }[];
  readonly #hub: Hub<ChatUser | RemoteUser>;
  readonly #sessionOptions: SessionOptions;
  readonly #loginDeadlines: LoginDeadlines<Session>;
  readonly #metrics: Metrics;
  /** Every session until it is over, with its user. */
  readonly #sessions = new Map<Session, ChatUser>();
  /** Resolved when the last session is over, once shutting down. */
  #allClosed: PromiseWithResolvers<void> | undefined;
  readonly #refusals: RefusalWriter;
  readonly #limits: ConnectionLimits;
  readonly #storage: Storage<ChatUser>;
  readonly #bans: Bans;
  /**
   * Connections from trusted proxies whose PROXY header is still on its
   * way, with the read (`#acceptProxied`): shutdown closes them and waits.
   */
  readonly #proxyHeaderReads = new Map<ByteConn, Promise<void>>();
  readonly #codec: LineCodec;
  readonly #userOptions: ChatUserOptions;
  readonly #presenceBudgets = new PresenceBudgets();
  readonly #roomSweep: ReturnType<typeof setInterval>;
  #accepting: Promise<void>[] = [];
  readonly #cluster: Cluster | undefined;
  readonly #mutes: Mutes;
  readonly #metricsServer: HttpServer | undefined;
  readonly #webServer: HttpServer | undefined;
  readonly #lagTimer: ReturnType<typeof setInterval>;
  readonly #idleSweep: ReturnType<typeof setInterval> | undefined;
  readonly #flushes = new FlushScheduler(FLUSH_INTERVAL_MS);
  readonly #schedule = (flush: () => void) => this.#flushes.schedule(flush);
  #shutdown: Promise<void> | undefined;

  /**
   * Starts accepting on listeners already open. Use `serve()` (server.ts).
   *
   * @param config How to run, resolved.
   * @param listeners The open listeners; the server now owns them.
   * @param limits Who may connect; the TLS listeners ask it already.
   * @param metrics The counters; the TLS listeners count in them already.
   * @param storage History and rooms; the server closes them at shutdown.
   * @param bans The bans in force; the TLS listeners check them already.
   * @param cluster The cluster this node joins, connected; none for a server on its own.
   */
  constructor(
    config: Readonly<ServerConfig>,
    listeners: { listener: Listener; tls: boolean }[],
    limits: ConnectionLimits,
    metrics: Metrics,
    storage: Storage<ChatUser>,
    bans: Bans,
    cluster?: Cluster,
  ) {
    this.#cluster = cluster;
    this.#mutes = new Mutes(storage.mutes);
    this.#bans = bans;
    this.#config = config;
    this.#refusals = new RefusalWriter(config.closeGraceMs);
    this.#metrics = metrics;
    const log = config.logger;
    this.#listeners = listeners;
    this.#limits = limits;
    // If this throws (a metrics port in use), serve() closes the listeners.
    this.#metricsServer = config.metrics && serveMetrics(config.metrics, {
      render: () =>
        this.#metrics.render({
          usersOnline: this.userCount,
          connectionsOpen: this.#limits.open,
          roomSizes: this.#hub.rooms.list().map((room) => room.users),
          ...(this.#cluster
            ? {
              cluster: {
                node: this.#cluster.nodeId,
                safe: this.#cluster.safe(),
                hop: this.#cluster.hops.snapshot(),
              },
            }
            : {}),
        }),
    }, { onAcceptError: (error) => log.event("accept-error", { error: String(error) }) });
    try {
      this.#webServer = config.http && serveWeb(config.http, {
        origins: config.webOrigins,
        onWebSocket: (conn, rest, request, key) => this.#acceptWebSocket(conn, rest, request, key),
        onAcceptError: (error) => log.event("accept-error", { error: String(error) }),
        maxPerAddress: config.maxConnectionsPerIp,
        exempt: (ip) => !!(config.trustedProxies?.includes(ip) || config.limitExempt?.includes(ip)),
      });
    } catch (error) {
      void this.#metricsServer?.close();
      throw error;
    }
    this.#storage = storage;
    this.#hub = new Hub<ChatUser | RemoteUser>({
      history: cluster?.history ?? storage.history,
      rooms: storage.rooms,
      ...(cluster ? { fanOut: cluster.fanOut } : {}),
    });
    this.#hub.rooms.open(config.defaultRoom);
    this.#codec = new LineCodec(config.defaultRoom);
    this.#userOptions = {
      hub: this.#hub,
      defaultRoom: config.defaultRoom,
      serverName: `nanochat ${VERSION}`,
      historyLines: config.historyLines,
      presenceMaxUsers: config.presenceMaxUsers,
      maxRoomsPerUser: config.maxRoomsPerUser,
      maxRooms: config.maxRooms,
      log,
      logMessages: config.logMessages,
      maxReplyBytes: Math.floor(config.maxOutboxBytes / 4),
      maxHeldBytes: config.maxOutboxBytes,
      presenceAllowed: (room) => this.#presenceBudgets.allowed(room),
      historyBudget: new TokenBucket(HISTORY_REPLAY_RATE),
      accounts: storage.accounts,
      operators: new Set(config.operators.map(nameKey)),
      passwordGate: new PasswordGate(),
      bans,
      mutes: this.#mutes,
      enforceBan: (ban) => this.#enforceBan(ban),
      now: Date.now,
      passwordFailures: {
        byAddress: new FailureLimits(PASSWORD_FAILURES_PER_ADDRESS, PASSWORD_FAILURE_WINDOW_MS),
        byName: new FailureLimits(PASSWORD_FAILURES_PER_NAME, PASSWORD_FAILURE_WINDOW_MS),
      },
      ...(cluster ? { cluster } : {}),
    };
    this.#roomSweep = this.#sweepEmptyRooms();
    this.#loginDeadlines = new LoginDeadlines(
      config.loginTimeoutMs,
      (session) => session.loginTimeUp(),
    );
    this.#sessionOptions = {
      loginDeadlines: this.#loginDeadlines,
      idleTimeoutMs: config.idleTimeoutMs,
      closeGraceMs: config.closeGraceMs,
      log,
      metrics: this.#metrics,
      rate: config.rateLinesPerSecond > 0
        ? {
          ratePerSecond: config.rateLinesPerSecond,
          burst: config.burstLines,
          floodKickMs: config.floodKickMs,
        }
        : undefined,
      closed: (session) => this.#sessionClosed(session),
    };
    for (const { listener, tls } of this.#listeners) {
      log.event("listening", { addr: formatHostPort(listener.addr), tls });
      if (listener instanceof TlsListener) {
        listener.onHandshakeError = (peer, error) => {
          Metrics.increment(this.#metrics.connectionsRejected, "tls-handshake-failed");
          log.event("reject", { addr: peer, reason: "tls-handshake-failed", error: error.message });
        };
        listener.onReopened = () =>
          log.event("listener-reopened", { addr: formatHostPort(listener.addr), tls: true });
      }
    }
    if (this.#metricsServer) {
      log.event("metrics", { addr: formatHostPort(this.#metricsServer.addr) });
    }
    if (this.#webServer) {
      log.event("web", { addr: formatHostPort(this.#webServer.addr), tls: !!config.http?.tls });
    }
    this.#lagTimer = this.#watchEventLoop();
    this.#idleSweep = this.#sweepIdleSessions();
  }

  /**
   * Joins the cluster (reads who is where, starts reading its stream),
   * then starts accepting: nothing a user does can be published before
   * this node reads the stream.
   */
  async start(): Promise<void> {
    const cluster = this.#cluster;
    if (cluster) {
      await cluster.start(this.#hub, {
        onPublishError: (draft) => {
          const sender = this.#hub.directory.holder(draft.from);
          if (sender instanceof ChatUser) sender.notSent(draft);
        },
        onFenced: () => {
          for (const user of this.#sessions.values()) user.fenced();
        },
        onLocalKick: (user, room) => {
          if (user instanceof ChatUser) user.kicked(room);
        },
        onReplace: (connectionId, name) => {
          const holder = this.#hub.directory.holder(name);
          if (holder instanceof ChatUser && holder.connectionId === connectionId) holder.replace();
        },
        isLocal: (name) => this.#hub.directory.holder(name) instanceof ChatUser,
        // Departures said for others (a dead node's users, evictions) follow --presence-max too.
        isQuiet: (event) =>
          event.kind === "disconnect" &&
          this.#hub.rooms.size(event.room) > this.#config.presenceMaxUsers,
        onBan: (ban, target) => {
          if (ban === undefined) return this.#bans.forget(target);
          this.#bans.learn(ban);
          this.#enforceBan(ban);
        },
        onMute: (mute) => {
          if ("by" in mute) this.#mutes.learn(mute);
          else this.#mutes.forget(mute.name, mute.room);
        },
      });
      this.#config.logger.event("cluster", { node: cluster.nodeId });
    }
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

  /** Where the web page and its WebSocket are served, if they are. */
  get webAddress(): Deno.NetAddr | undefined {
    return this.#webServer?.addr;
  }

  /** How many users are logged in here (in a cluster, the directory holds other nodes' too). */
  get userCount(): number {
    if (this.#cluster === undefined) return this.#hub.directory.size;
    let count = 0;
    for (const user of this.#sessions.values()) if (user.loggedIn) count++;
    return count;
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
    this.#config.logger.event("shutdown", { users: this.userCount });
    clearInterval(this.#lagTimer);
    clearInterval(this.#idleSweep);
    this.#loginDeadlines.close();
    clearInterval(this.#roomSweep);
    for (const { listener } of this.#listeners) listener.close();
    await Promise.all([...this.#accepting, this.#webServer?.close()]);
    const proxyHeaderReads = [...this.#proxyHeaderReads];
    for (const [conn] of proxyHeaderReads) closeQuietly(conn);
    for (const session of this.#sessions.keys()) session.shutdown();
    if (this.#sessions.size > 0) this.#allClosed = Promise.withResolvers();
    await Promise.all([
      ...proxyHeaderReads.map(([, reading]) => reading),
      this.#refusals.settled(),
      this.#allClosed?.promise,
      this.#metricsServer?.close(),
    ]);
    this.#flushes.close();
    await this.#cluster?.close();
    this.#storage.close();
  }

  async #acceptLoop(listener: Listener, tls: boolean): Promise<void> {
    for (;;) {
      let conn: TlsConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (this.#shutdown !== undefined) return;
        // A peer that reset before accept() is its own problem: go on at once,
        // or anyone could stall accepting by sending resets.
        if (isPeerGone(error)) continue;
        // Out of file descriptors and the like: log, pause, keep serving.
        this.#config.logger.event("accept-error", { error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (tls) {
        // Counted, and admitted or refused, before the handshake; an admitted
        // socket gives its slot back when it closes.
        const refusal = conn.refusal as Refusal | undefined;
        if (refusal === undefined) this.#start(conn, tls, undefined);
        else this.#refuse(conn, refusal);
        continue;
      }
      this.#metrics.connectionsAccepted++;
      const peer = conn.remoteAddr as Deno.NetAddr;
      if (this.#config.trustedProxies?.includes(peer.hostname)) {
        this.#proxyHeaderReads.set(conn, this.#acceptProxied(conn));
        continue;
      }
      this.#admit(conn, peer, new Uint8Array());
    }
  }

  /** Applies the bans and limits to the client's address, then starts a session or refuses. */
  #admit(conn: ByteConn, peer: HostPort, firstBytes: Uint8Array): void {
    const decision = admit(this.#limits, this.#bans, peer.hostname);
    if ("slot" in decision) return this.#start(conn, false, decision.slot, { peer, firstBytes });
    countRefusal(this.#metrics, this.#config.logger, peer, decision.reason);
    this.#refuse(conn, decision);
  }

  /**
   * Reads the PROXY header a trusted proxy sends first, then admits the
   * connection as coming from the client it names. A proxy that sends no
   * valid header in time is closed without a reply.
   */
  async #acceptProxied(conn: ByteConn): Promise<void> {
    const proxy = conn.remoteAddr as Deno.NetAddr;
    let header: ProxyHeaderRead;
    try {
      header = await readProxyHeader(conn, { timeoutMs: this.#config.loginTimeoutMs });
    } catch (error) {
      if (this.#shutdown !== undefined) return closeQuietly(conn);
      Metrics.increment(this.#metrics.connectionsRejected, "proxy-header");
      this.#config.logger.event("reject", {
        addr: formatHostPort(proxy),
        reason: "proxy-header",
        error: error instanceof Error ? error.message : String(error),
      });
      closeQuietly(conn);
      return;
    } finally {
      this.#proxyHeaderReads.delete(conn);
    }
    if (this.#shutdown !== undefined) return closeQuietly(conn);
    this.#admit(conn, header.source ?? proxy, header.rest);
  }

  /**
   * Tells a refused connection why in one error line, without a session;
   * the write is bounded by `closeGraceMs`, then the connection is closed.
   * (The refusal is counted where it was decided; TLS connections arrive
   * here with their handshake done.)
   */
  #refuse(conn: ByteConn, { error }: Refusal): void {
    this.#refusals.refuse(conn, this.#codec.reply({ kind: "error", error }));
  }

  #start(
    conn: ByteConn,
    tls: boolean,
    slot: ConnectionSlot | undefined,
    proxied: { peer: HostPort; firstBytes: Uint8Array } | undefined = undefined,
  ): void {
    if (!tls) {
      // TLS sockets get these from the TlsListener.
      (conn as Deno.TcpConn).setNoDelay(true);
      (conn as Deno.TcpConn).setKeepAlive(true); // the OS finds peers that vanished without a FIN
    }
    this.#run(
      (onSlowReader) =>
        new ConnLineConnection(conn, {
          maxLineBytes: this.#config.maxLineBytes,
          maxQueuedBytes: this.#config.maxOutboxBytes,
          onSlowReader,
          refuseTls: !tls,
          metrics: this.#metrics,
          schedule: this.#schedule,
          ...proxied,
        }),
      this.#codec,
      slot,
    );
  }

  /**
   * Takes a WebSocket whose handshake the web endpoint accepted: applies
   * the bans and limits to the client's address, then answers `101` and
   * runs a session with the JSON codec, or tells the refusal in one
   * `error` event and a close frame.
   */
  #acceptWebSocket(conn: ByteConn, rest: Uint8Array, request: HttpRequest, key: string): void {
    if (this.#shutdown !== undefined) return closeQuietly(conn);
    this.#metrics.connectionsAccepted++;
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const peer = webSocketClient(request, this.#config.trustedProxies);
    const decision = admit(this.#limits, this.#bans, peer.hostname);
    if (!("slot" in decision)) {
      countRefusal(this.#metrics, this.#config.logger, peer, decision.reason);
      const refusal = jsonCodec.reply({ kind: "error", error: decision.error });
      const close = encodeCloseFrame(CloseCode.PolicyViolation);
      this.#refusals.refuse(conn, concatBytes([upgradeResponse(key), refusal, close]));
      return;
    }
    this.#run(
      (onSlowReader) => {
        const connection = new WebSocketLineConnection(conn, {
          maxLineBytes: this.#config.maxLineBytes,
          maxQueuedBytes: this.#config.maxOutboxBytes,
          onSlowReader,
          peer,
          firstBytes: rest,
          metrics: this.#metrics,
          schedule: this.#schedule,
        });
        connection.send(upgradeResponse(key));
        return connection;
      },
      jsonCodec,
      decision.slot,
    );
  }

  /** Runs a session and its user over a connection, until it ends. */
  #run(
    connect: (onSlowReader: () => void) => LineConnection,
    codec: Codec,
    slot: ConnectionSlot | undefined,
  ): void {
    const connection = connect(() => session.slowReader());
    const session = new Session(connection, codec, this.#sessionOptions, slot);
    const user = new ChatUser(session, this.#userOptions);
    this.#sessions.set(session, user);
    // It never rejects, and tells `closed` when it is over.
    void session.run(user);
  }

  /** Forgets a session that is over; see `SessionOptions.closed`. */
  #sessionClosed(session: Session): void {
    this.#sessions.delete(session);
    if (this.#sessions.size === 0) this.#allClosed?.resolve();
  }

  /**
   * Checks every session for idleness a few times per idle timeout: one
   * timer for the server instead of one per user. A silent user is
   * disconnected between one and 1.1 idle timeouts after its last line.
   */
  #sweepIdleSessions(): ReturnType<typeof setInterval> | undefined {
    const { idleTimeoutMs } = this.#config;
    if (idleTimeoutMs === 0) return undefined;
    const timer = setInterval(() => {
      const now = performance.now();
      for (const session of this.#sessions.keys()) session.checkIdle(now);
    }, Math.min(Math.max(idleTimeoutMs / 10, 10), 10_000));
    Deno.unrefTimer(timer);
    return timer;
  }

  /** Disconnects everyone a new ban covers: the name's holder, or everyone from the range. */
  #enforceBan(ban: Ban): void {
    const addresses = ban.kind === "address" ? new AddressList(ban.target) : undefined;
    for (const user of this.#sessions.values()) {
      const covered = addresses
        ? addresses.includes(user.peerAddress)
        : user.loggedIn && nameKey(user.name) === nameKey(ban.target);
      if (covered) user.banned(banError(addresses ? "Your address is" : `${user.name} is`, ban));
    }
  }

  /** Forgets rooms left empty (and without a topic) for the room expiry. */
  #sweepEmptyRooms(): ReturnType<typeof setInterval> {
    const { roomExpiryMs, defaultRoom } = this.#config;
    const timer = setInterval(() => {
      for (const room of this.#hub.rooms.expire(roomExpiryMs, defaultRoom)) {
        this.#presenceBudgets.forget(room);
        this.#config.logger.event("room-expired", { room });
      }
    }, Math.min(Math.max(roomExpiryMs / 10, 10), 60_000));
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
