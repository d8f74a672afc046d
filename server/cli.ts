/**
 * `nanochat serve`: turns flags and `NANOCHAT_*` environment variables into
 * {@linkcode ServerOptions}, reads the TLS files, runs the server, and shuts
 * it down gracefully on SIGINT or SIGTERM.
 *
 * @module
 */

import { parseArgs } from "@nanochat/args";
import { formatHostPort, type HostPort, parseHostPort } from "../protocol/address.ts";
import { describeWithCause } from "../transport/net_errors.ts";
import { roomProblem } from "../protocol/room_name.ts";
import { AddressList } from "./connection_limits.ts";
import { type LogFormat, Logger } from "./log.ts";
import { readPemFile } from "../transport/pem_file.ts";
import {
  DEFAULT_LISTEN,
  type ListenAddress,
  parseTunable,
  SERVER_DEFAULTS,
  type ServerOptions,
  TUNABLES,
} from "./config.ts";
import { serve } from "./server.ts";

/** What `nanochat serve` was asked to do, before any file is read. */
export interface ServeCommand {
  /** Everything but the addresses and the logger. */
  server: Omit<ServerOptions, "listen" | "logger">;
  /** Plain addresses, or TLS ones when certificate files are given without `tlsListen`. */
  listen: HostPort[];
  /** TLS addresses. */
  tlsListen: HostPort[];
  /** PEM certificate chain file. */
  tlsCertFile?: string;
  /** PEM private key file. */
  tlsKeyFile?: string;
  /** How log lines are written. */
  logFormat: LogFormat;
}

/** Reads one environment variable, or nothing. */
export type EnvLookup = (name: string) => string | undefined;

interface Flag {
  type: "string" | "boolean";
  multiple?: boolean;
  value?: string;
  help: string;
}

const DEFAULT_ADDRESS = formatHostPort(DEFAULT_LISTEN);

/**
 * The database when none is named: in the working directory, which needs no
 * permission beyond the file itself and is where an operator looks first
 * (a systemd unit sets `WorkingDirectory=` or passes `--data`).
 */
export const DEFAULT_DATA_PATH = "nanochat.db";

/** The default of a tunable as the command line writes it. */
function shownDefault(key: keyof typeof SERVER_DEFAULTS, unit: string): number {
  return unit === "seconds" ? SERVER_DEFAULTS[key] / 1000 : SERVER_DEFAULTS[key];
}

/**
 * Every flag of `nanochat serve`: parsing, environment names and help come
 * from here, the tunables from the configuration table.
 */
const FLAGS: Record<string, Flag> = {
  "listen": {
    type: "string",
    multiple: true,
    value: "ADDR",
    help: "plain address to listen on; repeatable",
  },
  "tls-listen": {
    type: "string",
    multiple: true,
    value: "ADDR",
    help: "TLS address to listen on; repeatable",
  },
  "tls-cert": { type: "string", value: "FILE", help: "TLS certificate chain (PEM)" },
  "tls-key": { type: "string", value: "FILE", help: "TLS private key (PEM)" },
  ...Object.fromEntries(TUNABLES.map((spec) => [spec.flag, {
    type: "string",
    value: spec.value,
    help: `${spec.help} (${shownDefault(spec.key, spec.unit)})`,
  }])),
  "default-room": {
    type: "string",
    value: "ROOM",
    help: "the room every user starts in, whose lines carry no room (#lobby)",
  },
  "data": {
    type: "string",
    value: "FILE",
    help: "the SQLite database that keeps history and topics (nanochat.db here)",
  },
  "in-memory": {
    type: "boolean",
    help: "keep nothing on disk: history and topics end with the process",
  },
  "operators": {
    type: "string",
    multiple: true,
    value: "NAMES",
    help: "registered names that may KICK and BAN, comma-separated (none)",
  },
  "limit-exempt": {
    type: "string",
    value: "LIST",
    help: "addresses or CIDR ranges free of the per-IP limits, comma-separated (none)",
  },
  "trusted-proxy": {
    type: "string",
    value: "LIST",
    help: "proxies whose plain connections start with a PROXY header (v1 or v2) (none)",
  },
  "metrics": {
    type: "string",
    value: "ADDR",
    help: "serve /metrics and /healthz over HTTP here (off)",
  },
  "http": {
    type: "string",
    value: "ADDR",
    help: "serve the web page and its WebSocket here; HTTPS with the TLS files (off)",
  },
  "web-origin": {
    type: "string",
    value: "LIST",
    help: "other origins whose pages may open the WebSocket, comma-separated (none)",
  },
  "redis": {
    type: "string",
    value: "URL",
    help: "join the cluster on this Redis, such as redis://10.0.0.5:6379 (none: on its own)",
  },
  "node-id": {
    type: "string",
    value: "ID",
    help: "this node's id in the cluster, in logs and metrics (generated)",
  },
  "log-format": { type: "string", value: "FORMAT", help: "text or json (text)" },
  "log-messages": { type: "boolean", help: "also log chat text (off: only events)" },
};

/**
 * The environment variable that can stand in for a flag.
 *
 * @param flag A flag name without dashes, such as `max-line`.
 * @returns Its variable, such as `NANOCHAT_MAX_LINE`.
 */
export function envName(flag: string): string {
  return `NANOCHAT_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** The usage text of `nanochat serve`. */
export const SERVE_USAGE = `Usage: nanochat serve [host][:port] [options]

Runs a chat server. Chat with it using \`nanochat connect\`, nc or telnet.

Addresses take the forms host, :port, host:port, [ipv6]:port or a bare port.
With no address the server listens on ${DEFAULT_ADDRESS}. Given --tls-cert and
--tls-key, it serves TLS: on the --tls-listen addresses if any (the others stay
plain), else on every address.

Options (defaults in parentheses):
${
  Object.entries(FLAGS).map(([name, flag]) => {
    const left = `  --${name}${flag.value ? ` ${flag.value}` : ""}`;
    return `${left.padEnd(27)}${flag.help}`;
  }).join("\n")
}
  -h, --help               show this help

Every option can also be set in the environment as NANOCHAT_ and its name in
capitals (--max-line: NANOCHAT_MAX_LINE; repeatable ones comma-separated);
flags win. Reading TLS files needs --allow-read, the environment
--allow-env=NANOCHAT_* (both granted to the released binary).`;

/**
 * Reads a `NANOCHAT_*` variable only when permission was granted, so a
 * missing `--allow-env` never prompts or fails.
 */
export const readEnv: EnvLookup = (name) =>
  Deno.permissions.querySync({ name: "env", variable: name }).state === "granted"
    ? Deno.env.get(name)
    : undefined;

/**
 * Parses `nanochat serve`'s arguments and environment.
 *
 * @param args The arguments after `serve`.
 * @param env Where `NANOCHAT_*` variables come from.
 * @returns What to run, or `"help"` if help was asked for.
 * @throws {TypeError} For an unknown flag, a missing value or a missing TLS file.
 * @throws {RangeError} For a value out of range.
 * @throws {SyntaxError} For an address that does not parse.
 */
export function parseServeArgs(args: string[], env: EnvLookup = readEnv): ServeCommand | "help" {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { ...FLAGS, help: { type: "boolean", short: "h" } } as Record<
      string,
      { type: "string" | "boolean"; multiple?: boolean; short?: string }
    >,
  });
  if (values.help) return "help";
  if (positionals.length > 1) {
    throw new TypeError(`Expected at most one address, got ${positionals.length}`);
  }
  const text = (flag: string) => (values[flag] as string | undefined) ?? env(envName(flag));
  // Repeatable flags, each also taking a comma-separated list, as their variables do.
  const split = (items: string[]) =>
    items.flatMap((item) => item.split(",")).map((item) => item.trim()).filter(Boolean);
  const list = (flag: string) => {
    const given = values[flag] as string[] | undefined;
    if (given?.length) return split(given);
    return split([env(envName(flag)) ?? ""]);
  };
  const address = (value: string) => parseHostPort(value, DEFAULT_LISTEN);

  const server: ServeCommand["server"] = {};
  for (const spec of TUNABLES) {
    const value = text(spec.flag);
    if (value !== undefined) server[spec.key] = parseTunable(spec, value);
  }
  const defaultRoom = text("default-room");
  if (defaultRoom !== undefined) {
    const problem = roomProblem(defaultRoom);
    if (problem !== undefined) throw new RangeError(`--default-room: ${problem}`);
    server.defaultRoom = defaultRoom;
  }
  const inMemory = values["in-memory"] === true || parseBoolean("in-memory", env);
  const data = text("data");
  if (inMemory && data !== undefined) {
    throw new TypeError("--data and --in-memory exclude each other");
  }
  if (!inMemory) server.dataPath = data ?? DEFAULT_DATA_PATH;
  const operators = list("operators");
  if (operators.length > 0) server.operators = operators;
  const exempt = text("limit-exempt");
  if (exempt !== undefined) server.limitExempt = new AddressList(exempt);
  const proxies = text("trusted-proxy");
  if (proxies !== undefined) server.trustedProxies = new AddressList(proxies);
  const metrics = text("metrics");
  if (metrics !== undefined) {
    server.metrics = parseHostPort(metrics, { hostname: "127.0.0.1", port: 9464 });
  }
  const http = text("http");
  if (http !== undefined) server.http = parseHostPort(http, { hostname: "0.0.0.0", port: 8080 });
  const redis = text("redis");
  if (redis !== undefined) {
    if (!/^rediss?:\/\/\S+$/.test(redis)) {
      throw new RangeError(`--redis must be a URL such as redis://127.0.0.1:6379, got "${redis}"`);
    }
    server.redis = redis;
  }
  const nodeId = text("node-id");
  if (nodeId !== undefined) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(nodeId)) {
      throw new RangeError(
        "--node-id must be 1 to 64 letters, digits, dots, dashes or underscores",
      );
    }
    server.nodeId = nodeId;
  }
  const origins = text("web-origin");
  if (origins !== undefined) server.webOrigins = parseOrigins(origins);
  if (values["log-messages"] === true || parseBoolean("log-messages", env)) {
    server.logMessages = true;
  }

  const command: ServeCommand = {
    server,
    // A positional address is a --listen flag: it wins over NANOCHAT_LISTEN too.
    listen:
      (positionals.length > 0
        ? [...positionals, ...(values.listen as string[] ?? [])]
        : list("listen"))
        .map(address),
    tlsListen: list("tls-listen").map(address),
    logFormat: parseLogFormat(text("log-format") ?? "text"),
  };
  const cert = text("tls-cert");
  const key = text("tls-key");
  if (cert !== undefined) command.tlsCertFile = cert;
  if (key !== undefined) command.tlsKeyFile = key;
  if ((cert === undefined) !== (key === undefined)) {
    throw new TypeError("TLS needs both --tls-cert and --tls-key");
  }
  if (command.tlsListen.length > 0 && cert === undefined) {
    throw new TypeError("--tls-listen needs --tls-cert and --tls-key");
  }
  return command;
}

/** `--web-origin`'s list: each entry a scheme and host, as browsers send `Origin`. */
function parseOrigins(text: string): string[] {
  const origins = text.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new RangeError(
        `--web-origin: "${origin}" is not an origin such as https://chat.example.org`,
      );
    }
  }
  return origins;
}

function parseBoolean(flag: string, env: EnvLookup): boolean {
  const value = env(envName(flag))?.toLowerCase();
  if (value === undefined || ["", "0", "false", "no"].includes(value)) return false;
  if (["1", "true", "yes"].includes(value)) return true;
  throw new RangeError(`${envName(flag)} must be true or false, got "${value}"`);
}

function parseLogFormat(value: string): LogFormat {
  if (value === "text" || value === "json") return value;
  throw new RangeError(`--log-format must be text or json, got "${value}"`);
}

/**
 * Reads the TLS files and turns the command into server options.
 *
 * @param command The parsed command.
 * @returns Options for {@linkcode serve}.
 * @throws {Error} Naming the file that could not be read.
 */
export function resolveServeCommand(command: ServeCommand): ServerOptions {
  const tls = command.tlsCertFile !== undefined && command.tlsKeyFile !== undefined
    ? {
      cert: readPemFile(command.tlsCertFile, "TLS certificate"),
      key: readPemFile(command.tlsKeyFile, "TLS key"),
    }
    : undefined;
  const plain = command.listen.length > 0 || command.tlsListen.length > 0
    ? command.listen
    : [DEFAULT_LISTEN];
  const listen: ListenAddress[] = tls && command.tlsListen.length === 0
    ? plain.map((address) => ({ ...address, tls }))
    : [...plain, ...command.tlsListen.map((address) => ({ ...address, tls: tls! }))];
  const http = command.server.http;
  return {
    ...command.server,
    ...(http && tls ? { http: { ...http, tls } } : {}),
    listen,
    logger: new Logger(undefined, command.logFormat),
    fitToFreeDescriptors: true,
  };
}

/** How long a graceful shutdown may take before the process ends anyway. */
const SHUTDOWN_DEADLINE_MS = 15_000;

/**
 * Runs the server until SIGINT or SIGTERM, then shuts it down gracefully
 * (within 15 s; a second signal ends it at once).
 *
 * @param command The parsed command.
 * @returns The exit code: 0 after a graceful shutdown.
 * @throws {Error} For unreadable TLS files and listen errors, each naming what failed.
 */
export async function runServe(command: ServeCommand): Promise<number> {
  // Listen for signals before the sockets open: a SIGTERM that comes as
  // soon as the port answers still gets a graceful shutdown.
  const { promise: stopRequested, resolve: requestStop } = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, requestStop);
  try {
    const server = await serve(resolveServeCommand(command));
    await stopRequested;
    // A second signal, or a shutdown stuck past the deadline, ends the process anyway.
    const { promise: forced, resolve: force } = Promise.withResolvers<string>();
    const onSecondSignal = () => force("a second signal");
    for (const signal of signals) Deno.addSignalListener(signal, onSecondSignal);
    const deadline = setTimeout(
      () => force(`${SHUTDOWN_DEADLINE_MS / 1000} s`),
      SHUTDOWN_DEADLINE_MS,
    );
    const cut = await Promise.race([server.shutdown().then(() => undefined), forced]);
    clearTimeout(deadline);
    for (const signal of signals) Deno.removeSignalListener(signal, onSecondSignal);
    if (cut !== undefined) throw new Error(`the shutdown did not finish (cut short after ${cut})`);
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, requestStop);
  }
  return 0;
}

/**
 * Explains a failure to start in one line.
 *
 * @param error What `runServe` threw.
 * @returns A sentence for stderr.
 */
export const describeServeError: (error: unknown) => string = describeWithCause;
