/**
 * The nanochat server: listens on plain and TLS addresses, admits each
 * connection through the limits, and runs a {@linkcode Session} and a
 * {@linkcode ChatUser} for each client, all sharing one {@linkcode Hub}.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../protocol/address.ts";
import { type ProtocolError, ServerError } from "../protocol/errors.ts";
import type { Codec } from "../protocol/events.ts";
import { parseIPv4, parseIPv6 } from "../protocol/ip_address.ts";
import { jsonCodec } from "../protocol/json_codec.ts";
import { LineCodec } from "../protocol/line_codec.ts";
import { CloseCode, encodeCloseFrame } from "../protocol/websocket_frames.ts";
import { nameKey, nameSkeleton } from "../protocol/username.ts";
import { FlushScheduler } from "../transport/flush_scheduler.ts";
import type { HttpRequest, HttpServer } from "../transport/http_server.ts";
import {
  type ByteConn,
  ConnLineConnection,
  type LineConnection,
} from "../transport/line_connection.ts";
import { MAX_LINGERING, WebSocketLineConnection } from "../transport/websocket_connection.ts";
import { upgradeResponse } from "../transport/websocket_handshake.ts";
import { concatBytes, writeAll } from "../transport/bytes.ts";
import { closeQuietly, isPeerGone } from "../transport/net_errors.ts";
import { type ProxyHeaderRead, readProxyHeader } from "../transport/proxy_reader.ts";
import { type TlsAdmission, type TlsConn, TlsListener } from "../transport/tls_listener.ts";
import { FailureLimits } from "./accounts/failure_limits.ts";
import { PasswordGate } from "./accounts/password_gate.ts";
import { banError, ChatUser, type ChatUserOptions } from "./chat_user.ts";
import { AddressList } from "./connection_limits.ts";
import { type Ban, Bans } from "./moderation/bans.ts";
import { Mutes } from "./moderation/mutes.ts";
import { ConnectionLimits, type ConnectionSlot, type LimitRefusal } from "./connection_limits.ts";
import { connectionBudget, freeFileDescriptors, RESERVED_FDS } from "./fd_budget.ts";
import {
  type ListenAddress,
  resolveConfig,
  type ServerConfig,
  type ServerOptions,
} from "./config.ts";
import { Hub } from "./hub/hub.ts";
import { openStorage, type Storage } from "./store/storage.ts";
import type { Logger } from "./log.ts";
import { serveMetrics } from "./metrics_endpoint.ts";
import { Metrics } from "./metrics.ts";
import { Session, type SessionOptions } from "./session.ts";
import { LoginDeadlines } from "./login_deadlines.ts";
import { MAX_HTTP_CONNECTIONS, serveWeb } from "./web_endpoint.ts";
import { Cluster, type RemoteUser } from "./cluster/cluster.ts";
import { TokenBucket } from "./token_bucket.ts";
import { VERSION } from "./version.ts";

export type { ListenAddress, ServerOptions } from "./config.ts";
export { SERVER_DEFAULTS } from "./config.ts";

/** A plain TCP listener or a {@linkcode TlsListener}. */
interface Listener {
  readonly addr: Deno.NetAddr;
  accept(): Promise<TlsConn>;
  close(): void;
}

/**
 * Presence notices per second a room gets at most (after a burst): ten
 * people coming or going a second is a lively room; more is a flood.
 */
const PRESENCE_RATE = { ratePerSecond: 10, burst: 100 };

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

/**
 * Refused connections told why at once (plain and web; TLS has its own
 * bound): each holds a descriptor for up to `closeGraceMs`.
 */
const MAX_REFUSALS_IN_FLIGHT = 32;

/** How long any Redis call of a cluster node may take. */
const CLUSTER_COMMAND_TIMEOUT_MS = 2000;

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
  /** Work under way besides sessions: PROXY headers, refusals. */
  readonly #running = new Set<Promise<void>>();
  readonly #limits: ConnectionLimits;
  readonly #storage: Storage<ChatUser>;
  readonly #bans: Bans;
  /** Connections from trusted proxies whose PROXY header is still on its way. */
  readonly #proxyHeaderReads = new Set<ByteConn>();
  readonly #codec: LineCodec;
  readonly #userOptions: ChatUserOptions;
  /** Each room's budget of presence notices, made when first needed. */
  readonly #presenceBudgets = new Map<string, TokenBucket>();
  readonly #roomSweep: ReturnType<typeof setInterval>;
  #accepting: Promise<void>[] = [];
  readonly #cluster: Cluster | undefined;
  readonly #mutes: Mutes;
  /** Refused connections being told why (see MAX_REFUSALS_IN_FLIGHT). */
  #refusing = 0;
  readonly #metricsServer: HttpServer | undefined;
  readonly #webServer: HttpServer | undefined;
  readonly #lagTimer: ReturnType<typeof setInterval>;
  readonly #idleSweep: ReturnType<typeof setInterval> | undefined;
  readonly #flushes = new FlushScheduler(FLUSH_INTERVAL_MS);
  readonly #schedule = (flush: () => void) => this.#flushes.schedule(flush);
  #shutdown: Promise<void> | undefined;

  /**
   * Starts accepting on listeners already open. Use {@linkcode serve}.
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
      presenceAllowed: (room) => this.#presenceAllowed(room),
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
    for (const conn of this.#proxyHeaderReads) closeQuietly(conn);
    for (const session of this.#sessions.keys()) session.shutdown();
    if (this.#sessions.size > 0) this.#allClosed = Promise.withResolvers();
    await Promise.all([...this.#running, this.#allClosed?.promise, this.#metricsServer?.close()]);
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
        const reading = this.#acceptProxied(conn).finally(() => this.#running.delete(reading));
        this.#running.add(reading);
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
    this.#proxyHeaderReads.add(conn);
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
    this.#refuseWith(conn, this.#codec.reply({ kind: "error", error }));
  }

  /** Writes `bytes`, bounded by `closeGraceMs`, then closes. */
  #refuseWith(conn: ByteConn, bytes: Uint8Array): void {
    // Each refusal holds a descriptor while it is told; past a few at once
    // the rest are closed untold, so a flood cannot run the process out.
    if (this.#refusing >= MAX_REFUSALS_IN_FLIGHT) return closeQuietly(conn);
    this.#refusing++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#config.closeGraceMs);
    });
    const written = writeAll(conn, bytes).then(() => {}, () => {});
    const refusing: Promise<void> = Promise.race([written, grace]).finally(() => {
      clearTimeout(timer);
      closeQuietly(conn);
      this.#refusing--;
      this.#running.delete(refusing);
    });
    this.#running.add(refusing);
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
    const peer = this.#webClient(request);
    const decision = admit(this.#limits, this.#bans, peer.hostname);
    if (!("slot" in decision)) {
      countRefusal(this.#metrics, this.#config.logger, peer, decision.reason);
      const refusal = jsonCodec.reply({ kind: "error", error: decision.error });
      const close = encodeCloseFrame(CloseCode.PolicyViolation);
      this.#refuseWith(conn, concatBytes([upgradeResponse(key), refusal, close]));
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

  /**
   * The WebSocket client's address: the last `X-Forwarded-For` entry when
   * the connection comes from a trusted proxy (the one the proxy itself
   * saw), else the connection's own.
   */
  #webClient(request: HttpRequest): HostPort {
    const forwarded = request.headers.get("x-forwarded-for");
    if (forwarded === undefined || !this.#config.trustedProxies?.includes(request.peer.hostname)) {
      return request.peer;
    }
    const last = forwarded.split(",").at(-1)!.trim();
    const valid = parseIPv4(last) !== undefined || parseIPv6(last) !== undefined;
    return valid ? { hostname: last, port: 0 } : request.peer;
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

  /** Takes one presence notice from a room's budget, if it has one left. */
  #presenceAllowed(room: string): boolean {
    let budget = this.#presenceBudgets.get(room);
    if (budget === undefined) {
      budget = new TokenBucket(PRESENCE_RATE);
      this.#presenceBudgets.set(room, budget);
    }
    if (budget.available() < 1) return false;
    budget.charge(1);
    return true;
  }

  /** Forgets rooms left empty (and without a topic) for the room expiry. */
  #sweepEmptyRooms(): ReturnType<typeof setInterval> {
    const { roomExpiryMs, defaultRoom } = this.#config;
    const timer = setInterval(() => {
      for (const room of this.#hub.rooms.expire(roomExpiryMs, defaultRoom)) {
        this.#presenceBudgets.delete(room);
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

/** A limit's refusal, as the client is told it. */
interface Refusal {
  /** The metric label and log reason. */
  readonly reason: LimitRefusal | "banned";
  /** What the client is told. */
  readonly error: ProtocolError;
}

/** Bans first, then the limits: a slot, or why not. */
function admit(
  limits: ConnectionLimits,
  bans: Bans | undefined,
  ip: string,
): Refusal | { slot: ConnectionSlot } {
  const ban = bans?.forAddress(ip);
  if (ban !== undefined) return { reason: "banned", error: banError("Your address is", ban) };
  const admission = limits.admit(ip);
  if (admission.admitted) return { slot: admission.slot };
  const error = admission.refusal === "server-full"
    ? ServerError.serverFull()
    : admission.refusal === "too-many-connections"
    ? ServerError.tooManyConnections()
    : ServerError.tooManyNewConnections(admission.retrySeconds);
  return { reason: admission.refusal, error };
}

/** A node id unique among a cluster's nodes, when the operator gives none. */
function generatedNodeId(): string {
  return `node-${crypto.randomUUID().slice(0, 8)}`;
}

/** Counts and logs a refusal, where it is decided. */
function countRefusal(metrics: Metrics, log: Logger, peer: HostPort, reason: string): void {
  Metrics.increment(metrics.connectionsRejected, reason);
  log.event("reject", { addr: formatHostPort(peer), reason });
}

/** Opens one listener; a failure names the address and keeps its cause. */
async function listen(
  address: ListenAddress,
  handshakeTimeoutMs: number,
  admit: (ip: string, port: number) => TlsAdmission,
): Promise<Listener> {
  try {
    // Not node:net, which would cost less memory per idle connection: in Deno
    // 2.9 its listener stops accepting for good after one EMFILE (BENCHMARKS.md).
    if (!address.tls) return Deno.listen({ hostname: address.hostname, port: address.port });
    return await TlsListener.listen({
      hostname: address.hostname,
      port: address.port,
      ...address.tls,
      handshakeTimeoutMs,
      admit,
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
 * @throws {RangeError} For an option out of bounds.
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
  const config = resolveConfig(options);
  // The confusables table (about 10 MiB once parsed) loads now, not at the first login.
  nameSkeleton("");
  // Beyond the clients: the process's own, refusals being told, and the web
  // page's HTTP connections and closing WebSockets.
  const reserve = RESERVED_FDS + MAX_REFUSALS_IN_FLIGHT +
    (config.http ? MAX_HTTP_CONNECTIONS + MAX_LINGERING : 0);
  const freeFds = config.fitToFreeDescriptors
    ? freeFileDescriptors(config.maxConnections + reserve)
    : undefined;
  const maxConnections = connectionBudget(config.maxConnections, freeFds, reserve);
  const limits = new ConnectionLimits({
    maxConnections,
    maxPerAddress: config.maxConnectionsPerIp,
    maxNewPerAddress: config.maxNewConnectionsPerIp,
    newWindowMs: config.newConnectionWindowMs,
    ...(config.limitExempt ? { exempt: config.limitExempt } : {}),
  });
  const metrics = new Metrics();
  // TLS connections are counted and admitted before their handshake; a
  // refusal is told after it.
  // The bans come with the storage, opened after the listeners; none are in force before.
  let bans: Bans | undefined;
  const admitTls = (ip: string, port: number): TlsAdmission => {
    metrics.connectionsAccepted++;
    const decision = admit(limits, bans, ip);
    if ("slot" in decision) {
      const slot = decision.slot;
      return { release: () => slot.release() };
    }
    countRefusal(metrics, config.logger, { hostname: ip, port }, decision.reason);
    return { refusal: decision };
  };
  const listeners: { listener: Listener; tls: boolean }[] = [];
  let storage: Storage<ChatUser> | undefined;
  let cluster: Cluster | undefined;
  let server: ChatServer;
  try {
    for (const address of config.listen) {
      listeners.push({
        listener: await listen(address, config.loginTimeoutMs, admitTls),
        tls: !!address.tls,
      });
    }
    // After the listeners: an address in use is the likelier mistake, and told first.
    cluster = config.redis === undefined ? undefined : await Cluster.connect({
      url: config.redis,
      nodeId: config.nodeId ?? generatedNodeId(),
      leaseMs: config.nameLeaseMs,
      commandTimeoutMs: CLUSTER_COMMAND_TIMEOUT_MS,
      historyLength: config.historyKeepPerRoom,
      historyMaxAgeMs: config.historyMaxAgeMs,
      log: config.logger,
    });
    // A cluster keeps everything in Redis; a server on its own, in its SQLite file.
    storage = cluster?.storage<ChatUser>() ??
      openStorage<ChatUser>({ ...config, log: config.logger });
    bans = new Bans(storage.bans);
    server = new ChatServer(config, listeners, limits, metrics, storage, bans, cluster);
  } catch (error) {
    for (const { listener } of listeners) listener.close();
    await cluster?.close();
    storage?.close();
    throw error;
  }
  try {
    await server.start();
  } catch (error) {
    await server.shutdown(); // closes the listeners, the storage and the cluster
    throw new Error("cannot join the cluster", { cause: error });
  }
  config.logger.event("data", {
    path: cluster ? "(in the cluster's Redis)" : config.dataPath ?? "(in memory only)",
  });
  config.logger.event("limits", {
    "max-connections": maxConnections,
    "free-descriptors": freeFds,
    ...(maxConnections < config.maxConnections
      ? { lowered: "to fit the free file descriptors" }
      : {}),
  });
  return server;
}
