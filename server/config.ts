/**
 * The server's configuration: one table with an entry per tunable (its
 * flag, unit, bounds, default and help), the options type built on it, and
 * one resolver that fills in defaults, checks bounds and freezes the result.
 * The command line, the environment and the library API all go through it,
 * so a default or a bound is written once.
 *
 * @module
 */

import { DEFAULT_PORT, type HostPort } from "../protocol/address.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../protocol/line_splitter.ts";
import { DEFAULT_MAX_QUEUED_BYTES } from "../transport/outbox.ts";
import { parseNumber } from "../cli/numbers.ts";
import { DEFAULT_ROOM } from "../protocol/line_codec.ts";
import { roomProblem } from "../protocol/room_name.ts";
import type { AddressList } from "./connection_limits.ts";
import { Logger } from "./log.ts";

/** One address to listen on, plain or TLS. */
export interface ListenAddress extends HostPort {
  /** PEM certificate chain and private key; serve TLS when given. */
  tls?: { cert: string; key: string };
}

/** The numeric tunables, each described by one {@linkcode TUNABLES} entry. */
export interface Tunables {
  /** Longest line a client may send, in bytes. */
  maxLineBytes: number;
  /** Outbound bytes that may wait for a client before it is dropped as a slow reader. */
  maxOutboxBytes: number;
  /** How many clients may be connected at once. */
  maxConnections: number;
  /** How many clients may be connected at once from one IP address (IPv6: one /64). */
  maxConnectionsPerIp: number;
  /** How many new connections one IP address may open per window; 0 for no limit. */
  maxNewConnectionsPerIp: number;
  /** The window of `maxNewConnectionsPerIp`, in milliseconds. */
  newConnectionWindowMs: number;
  /** Lines per second one client may send on average; 0 turns flood control off. */
  rateLinesPerSecond: number;
  /** Lines a client may send at once before the rate applies. */
  burstLines: number;
  /** How long a client may stay over its rate without a break, in milliseconds. */
  floodKickMs: number;
  /** How long a new connection may take to send its name, in milliseconds. */
  loginTimeoutMs: number;
  /** How long a logged-in client may send nothing, in milliseconds; 0 never disconnects. */
  idleTimeoutMs: number;
  /** How many recent public messages a user who joins is shown; 0 shows none. */
  historyLines: number;
  /** Joins and departures are announced only while the room has at most this many users. */
  presenceMaxUsers: number;
  /** How long shutdown, QUIT and refusals wait for output to be flushed, in milliseconds. */
  closeGraceMs: number;
  /** Public events kept per room in the database. */
  historyKeepPerRoom: number;
  /** How long public events are kept in the database, in milliseconds. */
  historyMaxAgeMs: number;
  /** The most rooms one user may be in. */
  maxRoomsPerUser: number;
  /** The most rooms the server may hold, empty ones included. */
  maxRooms: number;
  /** How long a room nobody is in (and without a topic) is kept, in milliseconds. */
  roomExpiryMs: number;
  /** In a cluster: how long a name's lease lives unless its node renews it, in milliseconds. */
  nameLeaseMs: number;
}

/** How the server runs, every field resolved. */
export interface ServerConfig extends Tunables {
  /** Where to listen; each address plain or TLS. */
  listen: readonly ListenAddress[];
  /** Where to serve `/metrics` and `/healthz`; off when absent. */
  metrics: HostPort | undefined;
  /** Where to serve the web page and its WebSocket (HTTPS and WSS with `tls`); off when absent. */
  http: ListenAddress | undefined;
  /** Origins besides the page's own whose pages may open the WebSocket. */
  webOrigins: readonly string[];
  /** The Redis of the cluster this node joins (see docs/CLUSTER.md); alone when absent. */
  redis: string | undefined;
  /** This node's id in the cluster; generated when absent. */
  nodeId: string | undefined;
  /** Whether chat text is written to the log. */
  logMessages: boolean;
  /** Addresses the per-address limits do not apply to; none by default. */
  limitExempt: AddressList | undefined;
  /**
   * Proxies whose connections on the plain listeners start with a PROXY
   * protocol header naming the real client; none by default.
   */
  trustedProxies: AddressList | undefined;
  /**
   * Whether to lower `maxConnections` to the file descriptors free at start
   * (counting them costs about 15 µs per connection allowed, so `nanochat
   * serve` does and embedded servers in tests need not).
   */
  fitToFreeDescriptors: boolean;
  /** The room every user starts in, and whose lines carry no room. */
  defaultRoom: string;
  /** The SQLite database that keeps history and topics; in memory only when absent. */
  dataPath: string | undefined;
  /** The server operators: registered names that may KICK and BAN. */
  operators: readonly string[];
  /** Where events are logged. */
  logger: Logger;
}

/**
 * How the server runs; every field has a default (see {@linkcode TUNABLES}
 * for the numbers). `listen` defaults to `0.0.0.0:7777`, `metrics` and
 * `http` to off, `logMessages` to false, `logger` to text lines on stderr.
 */
export type ServerOptions =
  & Partial<
    Omit<
      ServerConfig,
      "metrics" | "http" | "limitExempt" | "trustedProxies" | "dataPath" | "redis" | "nodeId"
    >
  >
  & {
    redis?: string;
    nodeId?: string;
    metrics?: HostPort;
    http?: ListenAddress;
    limitExempt?: AddressList;
    trustedProxies?: AddressList;
    dataPath?: string;
  };

/** How a tunable is written on the command line. */
export type Unit = "count" | "seconds";

/** One tunable: everything the command line, the environment and the defaults need. */
export interface TunableSpec {
  /** The option's field. */
  readonly key: keyof Tunables;
  /** The flag without dashes; the environment variable is derived from it. */
  readonly flag: string;
  /** The placeholder in the help text. */
  readonly value: string;
  /** `seconds` on the command line are milliseconds in the config. */
  readonly unit: Unit;
  /** The smallest value, in the command line's unit. */
  readonly min: number;
  /** The largest value, in the command line's unit. */
  readonly max: number;
  /** The default, in the config's unit. */
  readonly default: number;
  /** The help text, without the default. */
  readonly help: string;
}

// Timers cannot wait longer than 2^31 - 1 ms (about 24.8 days).
const MAX_SECONDS = Math.floor(2 ** 31 / 1000) - 1;
const MAX_COUNT = 2 ** 31 - 1;

/** Every tunable, in the order `nanochat serve --help` lists them. */
export const TUNABLES: readonly TunableSpec[] = [
  {
    key: "maxConnections",
    flag: "max-connections",
    value: "N",
    unit: "count",
    min: 1,
    max: MAX_COUNT,
    default: 10_000,
    help: "clients connected at once",
  },
  {
    key: "maxConnectionsPerIp",
    flag: "max-per-ip",
    value: "N",
    unit: "count",
    min: 1,
    max: MAX_COUNT,
    default: 16,
    help: "clients connected at once from one IP address",
  },
  {
    key: "maxNewConnectionsPerIp",
    flag: "max-new-per-ip",
    value: "N",
    unit: "count",
    min: 0,
    max: MAX_COUNT,
    default: 32,
    help: "new connections one IP address may open per window; 0 no limit",
  },
  {
    key: "newConnectionWindowMs",
    flag: "new-per-ip-window",
    value: "SECONDS",
    unit: "seconds",
    min: 1,
    max: MAX_SECONDS,
    default: 600_000,
    help: "the window of --max-new-per-ip",
  },
  {
    key: "rateLinesPerSecond",
    flag: "rate",
    value: "LINES",
    unit: "count",
    min: 0,
    max: MAX_COUNT,
    default: 10,
    help: "lines per second one client may send; 0 turns flood control off",
  },
  {
    key: "burstLines",
    flag: "burst",
    value: "LINES",
    unit: "count",
    min: 1,
    max: MAX_COUNT,
    default: 40,
    help: "lines sent at once before the rate applies",
  },
  {
    key: "floodKickMs",
    flag: "flood-kick",
    value: "SECONDS",
    unit: "seconds",
    min: 1,
    max: MAX_SECONDS,
    default: 30_000,
    help: "disconnect a client over its rate this long without a break",
  },
  {
    key: "maxLineBytes",
    flag: "max-line",
    value: "BYTES",
    unit: "count",
    min: 1,
    max: MAX_COUNT,
    default: DEFAULT_MAX_LINE_BYTES,
    help: "longest line a client may send",
  },
  {
    key: "maxOutboxBytes",
    flag: "max-outbox",
    value: "BYTES",
    unit: "count",
    // Replies may take a quarter of it; a quarter of 64 KiB holds a long line and then some.
    min: 64 * 1024,
    max: MAX_COUNT,
    default: DEFAULT_MAX_QUEUED_BYTES,
    help: "output queued for a client before it is dropped as a slow reader",
  },
  {
    key: "loginTimeoutMs",
    flag: "login-timeout",
    value: "SECONDS",
    unit: "seconds",
    min: 1,
    max: MAX_SECONDS,
    default: 30_000,
    help: "time a new connection has to send its name",
  },
  {
    key: "idleTimeoutMs",
    flag: "idle-timeout",
    value: "SECONDS",
    unit: "seconds",
    min: 0,
    max: MAX_SECONDS,
    default: 600_000,
    help: "disconnect a user who sends nothing this long; 0 never",
  },
  {
    key: "historyLines",
    flag: "history",
    value: "LINES",
    unit: "count",
    min: 0,
    max: 100_000,
    default: 50,
    help: "recent messages shown to a user who joins",
  },
  {
    key: "presenceMaxUsers",
    flag: "presence-max",
    value: "USERS",
    unit: "count",
    min: 0,
    max: MAX_COUNT,
    default: 500,
    help: "announce joins and departures only up to this many users",
  },
  {
    key: "nameLeaseMs",
    flag: "name-lease",
    value: "SECONDS",
    unit: "seconds",
    min: 1,
    max: 300,
    default: 15_000,
    help: "in a cluster: a dead node's names are free after this long",
  },
  {
    key: "historyKeepPerRoom",
    flag: "history-keep",
    value: "LINES",
    unit: "count",
    min: 0,
    max: 10_000_000,
    default: 10_000,
    help: "public messages kept per room in the database",
  },
  {
    key: "historyMaxAgeMs",
    flag: "history-max-age",
    value: "SECONDS",
    unit: "seconds",
    min: 1,
    max: 100 * 365 * 86_400,
    default: 90 * 86_400_000,
    help: "delete public messages older than this from the database",
  },
  {
    key: "maxRoomsPerUser",
    flag: "max-rooms-per-user",
    value: "N",
    unit: "count",
    min: 1,
    max: 1000,
    default: 20,
    help: "rooms one user may be in",
  },
  {
    key: "maxRooms",
    flag: "max-rooms",
    value: "N",
    unit: "count",
    min: 1,
    max: 1_000_000,
    default: 1000,
    help: "rooms the server may hold",
  },
  {
    key: "roomExpiryMs",
    flag: "room-expiry",
    value: "SECONDS",
    unit: "seconds",
    min: 1,
    max: MAX_SECONDS,
    default: 600_000,
    help: "forget a room nobody is in after this long, unless it has a topic",
  },
  {
    key: "closeGraceMs",
    flag: "close-grace",
    value: "SECONDS",
    unit: "seconds",
    min: 0,
    max: 60,
    default: 2_000,
    help: "time to flush a closing connection's output",
  },
];

/** The address listened on when none is given. */
export const DEFAULT_LISTEN: Readonly<HostPort> = { hostname: "0.0.0.0", port: DEFAULT_PORT };

/** The default of every tunable. */
export const SERVER_DEFAULTS: Readonly<Tunables> = Object.freeze(
  Object.fromEntries(TUNABLES.map((spec) => [spec.key, spec.default])) as unknown as Tunables,
);

/**
 * The value of a tunable in the config's unit, as the user wrote it in the
 * command line's.
 *
 * @param spec The tunable.
 * @param text The value as typed.
 * @returns The value, in milliseconds for seconds.
 * @throws {RangeError} Naming the flag and its bounds.
 */
export function parseTunable(spec: TunableSpec, text: string): number {
  const value = parseNumber(`--${spec.flag}`, text, spec);
  return spec.unit === "seconds" ? value * 1000 : value;
}

/**
 * Fills in every default and checks every bound.
 *
 * @param options What the caller chose.
 * @returns The frozen configuration the server runs with.
 * @throws {RangeError} For a tunable out of bounds.
 *
 * @example
 * ```ts
 * import { resolveConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 *
 * const config = resolveConfig({ historyLines: 10 });
 * assert.equal(config.historyLines, 10);
 * assert.equal(config.maxLineBytes, 4096);
 * assert.ok(Object.isFrozen(config));
 * ```
 */
export function resolveConfig(options: ServerOptions = {}): Readonly<ServerConfig> {
  const config: ServerConfig = {
    ...SERVER_DEFAULTS,
    listen: [DEFAULT_LISTEN],
    metrics: undefined,
    http: undefined,
    webOrigins: [],
    redis: undefined,
    nodeId: undefined,
    logMessages: false,
    limitExempt: undefined,
    trustedProxies: undefined,
    fitToFreeDescriptors: false,
    defaultRoom: DEFAULT_ROOM,
    dataPath: undefined,
    operators: [],
    logger: options.logger ?? new Logger(),
  };
  for (const spec of TUNABLES) {
    const value = options[spec.key];
    if (value === undefined) continue;
    // Callers of the library may ask for milliseconds the command line cannot.
    const [min, max] = spec.unit === "seconds"
      ? [Math.min(spec.min, 1), spec.max * 1000]
      : [spec.min, spec.max];
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new RangeError(
        `${spec.key} must be a whole number from ${min} to ${max}, got ${value}`,
      );
    }
    config[spec.key] = value;
  }
  if (options.listen !== undefined) config.listen = Object.freeze([...options.listen]);
  if (options.metrics !== undefined) config.metrics = options.metrics;
  if (options.http !== undefined) config.http = options.http;
  if (options.webOrigins !== undefined) config.webOrigins = Object.freeze([...options.webOrigins]);
  if (options.redis !== undefined) config.redis = options.redis;
  if (options.nodeId !== undefined) config.nodeId = options.nodeId;
  if (options.logMessages !== undefined) config.logMessages = options.logMessages;
  if (options.limitExempt !== undefined) config.limitExempt = options.limitExempt;
  if (options.trustedProxies !== undefined) config.trustedProxies = options.trustedProxies;
  if (options.dataPath !== undefined) config.dataPath = options.dataPath;
  if (options.operators !== undefined) config.operators = Object.freeze([...options.operators]);
  if (options.defaultRoom !== undefined) {
    const problem = roomProblem(options.defaultRoom);
    if (problem !== undefined) throw new RangeError(`--default-room: ${problem}`);
    config.defaultRoom = options.defaultRoom;
  }
  if (options.fitToFreeDescriptors !== undefined) {
    config.fitToFreeDescriptors = options.fitToFreeDescriptors;
  }
  return Object.freeze(config);
}
