/**
 * `nanochat serve`: turns flags and `NANOCHAT_*` environment variables into
 * {@linkcode ServerOptions}, reads the TLS files, runs the server, and shuts
 * it down gracefully on SIGINT or SIGTERM.
 *
 * @module
 */

import { parseArgs } from "@nanochat/args";
import { formatHostPort, type HostPort, parseHostPort } from "../protocol/address.ts";
import { type LogFormat, Logger } from "./log.ts";
import { readPemFile } from "./pem_file.ts";
import { type ListenAddress, serve, SERVER_DEFAULTS, type ServerOptions } from "./server.ts";

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

const DEFAULT_ADDRESS = formatHostPort(SERVER_DEFAULTS);

/** Every flag of `nanochat serve`: parsing, environment names and help come from here. */
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
  "max-connections": {
    type: "string",
    value: "N",
    help: `clients connected at once (${SERVER_DEFAULTS.maxConnections})`,
  },
  "max-per-ip": {
    type: "string",
    value: "N",
    help: `clients connected at once from one IP address (${SERVER_DEFAULTS.maxConnectionsPerIp})`,
  },
  "rate": {
    type: "string",
    value: "LINES",
    help:
      `lines per second one client may send; 0 turns flood control off (${SERVER_DEFAULTS.rateLinesPerSecond})`,
  },
  "burst": {
    type: "string",
    value: "LINES",
    help: `lines sent at once before the rate applies (${SERVER_DEFAULTS.burstLines})`,
  },
  "flood-kick": {
    type: "string",
    value: "SECONDS",
    help: `disconnect a client over its rate this long without a break (${
      SERVER_DEFAULTS.floodKickMs / 1000
    })`,
  },
  "max-line": {
    type: "string",
    value: "BYTES",
    help: `longest line a client may send (${SERVER_DEFAULTS.maxLineBytes})`,
  },
  "max-outbox": {
    type: "string",
    value: "BYTES",
    help:
      `output queued for a client before it is dropped as a slow reader (${SERVER_DEFAULTS.maxOutboxBytes})`,
  },
  "login-timeout": {
    type: "string",
    value: "SECONDS",
    help: `time a new connection has to send its name (${SERVER_DEFAULTS.loginTimeoutMs / 1000})`,
  },
  "idle-timeout": {
    type: "string",
    value: "SECONDS",
    help: `disconnect a user who sends nothing this long; 0 never (${
      SERVER_DEFAULTS.idleTimeoutMs / 1000
    })`,
  },
  "history": {
    type: "string",
    value: "LINES",
    help: `recent messages shown to a user who joins (${SERVER_DEFAULTS.historyLines})`,
  },
  "presence-max": {
    type: "string",
    value: "USERS",
    help:
      `announce joins and departures only up to this many users (${SERVER_DEFAULTS.presenceMaxUsers})`,
  },
  "metrics": {
    type: "string",
    value: "ADDR",
    help: "serve /metrics and /healthz over HTTP here (off)",
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
  const list = (flag: string) => {
    const given = values[flag] as string[] | undefined;
    if (given?.length) return given;
    return env(envName(flag))?.split(",").map((item) => item.trim()).filter(Boolean) ?? [];
  };
  const count = (flag: string, minimum: number, maximum?: number) => {
    const value = text(flag);
    return value === undefined ? undefined : parseCount(`--${flag}`, value, minimum, maximum);
  };
  const address = (value: string) => parseHostPort(value, SERVER_DEFAULTS);

  const server: ServeCommand["server"] = {};
  const set = <K extends keyof ServeCommand["server"]>(
    key: K,
    value: ServeCommand["server"][K] | undefined,
  ) => {
    if (value !== undefined) server[key] = value;
  };
  set("maxConnections", count("max-connections", 1));
  set("maxConnectionsPerIp", count("max-per-ip", 1));
  set("rateLinesPerSecond", count("rate", 0));
  set("burstLines", count("burst", 1));
  set("floodKickMs", seconds(count("flood-kick", 1, MAX_SECONDS)));
  set("maxLineBytes", count("max-line", 1));
  set("maxOutboxBytes", count("max-outbox", 1));
  set("loginTimeoutMs", seconds(count("login-timeout", 1, MAX_SECONDS)));
  set("idleTimeoutMs", seconds(count("idle-timeout", 0, MAX_SECONDS)));
  set("historyLines", count("history", 0));
  set("presenceMaxUsers", count("presence-max", 0));
  const metrics = text("metrics");
  if (metrics !== undefined) {
    server.metrics = parseHostPort(metrics, { hostname: "127.0.0.1", port: 9464 });
  }
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

// Timers cannot wait longer than 2^31 - 1 ms (about 24.8 days).
const MAX_SECONDS = Math.floor(2 ** 31 / 1000) - 1;

function parseCount(flag: string, text: string, minimum: number, maximum = 2 ** 31 - 1): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new RangeError(
      `${flag} needs a whole number from ${minimum} to ${maximum}, got "${text}"`,
    );
  }
  return value;
}

function seconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * 1000;
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
    : [{ hostname: SERVER_DEFAULTS.hostname, port: SERVER_DEFAULTS.port }];
  const listen: ListenAddress[] = tls && command.tlsListen.length === 0
    ? plain.map((address) => ({ ...address, tls }))
    : [...plain, ...command.tlsListen.map((address) => ({ ...address, tls: tls! }))];
  return { ...command.server, listen, logger: new Logger(undefined, command.logFormat) };
}

/**
 * Runs the server until SIGINT or SIGTERM, then shuts it down gracefully.
 *
 * @param command The parsed command.
 * @returns The exit code: 0 after a graceful shutdown.
 * @throws {Error} For unreadable TLS files and listen errors, each naming what failed.
 */
export async function runServe(command: ServeCommand): Promise<number> {
  const server = await serve(resolveServeCommand(command));
  const { promise: stopRequested, resolve: requestStop } = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, requestStop);
  await stopRequested;
  for (const signal of signals) Deno.removeSignalListener(signal, requestStop);
  await server.shutdown();
  return 0;
}

/**
 * Explains a failure to start in one line.
 *
 * @param error What `runServe` threw.
 * @returns A sentence for stderr.
 */
export function describeServeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause === undefined) return error.message;
  return `${error.message}: ${describeCause(cause)}`;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Deno.errors.AddrInUse) return "address already in use";
  if (cause instanceof Deno.errors.AddrNotAvailable) return "no such local address";
  if (cause instanceof Deno.errors.NotFound) return "no such file";
  if (cause instanceof Deno.errors.PermissionDenied) {
    return "permission denied (ports below 1024 need privileges)";
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.replace(/ \(os error \d+\)$/, "");
}
