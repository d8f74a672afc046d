/**
 * `nanochat serve`: turns argv into {@linkcode ServerOptions}, runs the
 * server, and shuts it down gracefully on SIGINT or SIGTERM.
 *
 * @module
 */

import { parseArgs } from "@nanochat/args";
import { formatHostPort, parseHostPort } from "../protocol/address.ts";
import { serve, SERVER_DEFAULTS, type ServerOptions } from "./server.ts";

const defaults = {
  address: `${SERVER_DEFAULTS.hostname}:${SERVER_DEFAULTS.port}`,
  maxLine: SERVER_DEFAULTS.maxLineBytes,
  maxOutbox: SERVER_DEFAULTS.maxOutboxBytes,
  loginTimeout: SERVER_DEFAULTS.loginTimeoutMs / 1000,
  idleTimeout: SERVER_DEFAULTS.idleTimeoutMs / 1000,
  history: SERVER_DEFAULTS.historyLines,
};

/** The usage text of `nanochat serve`. */
export const SERVE_USAGE = `Usage: nanochat serve [host][:port] [options]

Runs a chat server. Chat with it using \`nanochat connect\`, nc or telnet.

Address (default ${defaults.address}):
  host, :port, host:port, [ipv6]:port, or a bare port number

Options:
  --max-line BYTES         longest line a client may send (default ${defaults.maxLine})
  --max-outbox BYTES       output queued for one client before it is dropped
                           as a slow reader (default ${defaults.maxOutbox})
  --login-timeout SECONDS  time a new connection has to send its name (default ${defaults.loginTimeout})
  --idle-timeout SECONDS   disconnect a user who sends nothing for this long;
                           0 never (default ${defaults.idleTimeout})
  --history LINES          recent messages shown to a user who joins;
                           0 none (default ${defaults.history})
  --log-messages           also log chat text (off: only events are logged)
  -h, --help               show this help`;

/**
 * Parses `nanochat serve`'s arguments.
 *
 * @param args The arguments after `serve`.
 * @returns The server options, or `"help"` if help was asked for.
 * @throws {TypeError} For an unknown flag or a missing value.
 * @throws {RangeError} For a value out of range.
 * @throws {SyntaxError} For an address that does not parse.
 */
export function parseServeArgs(args: string[]): ServerOptions | "help" {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      "max-line": { type: "string" },
      "max-outbox": { type: "string" },
      "login-timeout": { type: "string" },
      "idle-timeout": { type: "string" },
      history: { type: "string" },
      "log-messages": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  if (positionals.length > 1) {
    throw new TypeError(`Expected at most one address, got ${positionals.length}`);
  }
  const options: ServerOptions = {
    ...parseHostPort(positionals[0] ?? "", SERVER_DEFAULTS),
    logMessages: values["log-messages"],
  };
  if (values["max-line"] !== undefined) {
    options.maxLineBytes = parseCount("--max-line", values["max-line"], 1);
  }
  if (values["max-outbox"] !== undefined) {
    options.maxOutboxBytes = parseCount("--max-outbox", values["max-outbox"], 1);
  }
  if (values["login-timeout"] !== undefined) {
    options.loginTimeoutMs = parseCount("--login-timeout", values["login-timeout"], 1) * 1000;
  }
  if (values["idle-timeout"] !== undefined) {
    options.idleTimeoutMs = parseCount("--idle-timeout", values["idle-timeout"], 0) * 1000;
  }
  if (values.history !== undefined) {
    options.historyLines = parseCount("--history", values.history, 0);
  }
  return options;
}

function parseCount(flag: string, text: string, minimum: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new RangeError(`${flag} needs a whole number of at least ${minimum}, got "${text}"`);
  }
  return value;
}

/**
 * Runs the server until SIGINT or SIGTERM, then shuts it down gracefully.
 *
 * @param options The parsed options.
 * @returns The exit code: 0 after a graceful shutdown.
 * @throws Listen errors such as `Deno.errors.AddrInUse`.
 */
export async function runServe(options: ServerOptions): Promise<number> {
  const server = serve(options);
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
 * @param options The options it was given.
 * @returns A sentence for stderr.
 */
export function describeServeError(error: unknown, options: ServerOptions): string {
  const address = formatHostPort({
    hostname: options.hostname ?? SERVER_DEFAULTS.hostname,
    port: options.port ?? SERVER_DEFAULTS.port,
  });
  if (error instanceof Deno.errors.AddrInUse) {
    return `cannot listen on ${address}: address already in use`;
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return `cannot listen on ${address}: no such local address`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `cannot listen on ${address}: permission denied (ports below 1024 need privileges)`;
  }
  return `cannot listen on ${address}: ${error instanceof Error ? error.message : String(error)}`;
}
