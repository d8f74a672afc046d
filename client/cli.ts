/**
 * `nanochat connect`: turns argv into {@linkcode ClientOptions}.
 *
 * @module
 */

import { parseArgs } from "@nanochat/args";
import { parseNumber } from "../cli/numbers.ts";
import { DEFAULT_PORT, parseHostPort } from "../protocol/address.ts";
import type { ClientOptions } from "./connect.ts";

/** The usage text of `nanochat connect`. */
export const CONNECT_USAGE = `Usage: nanochat connect host[:port] name [options]

Joins the chat on a nanochat server (port ${DEFAULT_PORT} unless given) as name.
In a terminal: type to chat, /help for commands, /quit or Ctrl-D to leave.
In a pipe: each stdin line is sent, each received line is printed as is;
end of input leaves.

Options:
  --password-file FILE
                     the password of a registered name: FILE's first line
                     (FILE must not be readable by others: chmod 600; Deno
                     needs --allow-read=FILE); without it a terminal asks,
                     with echo off, and a pipe exits with code 5
  --listen           only receive (for logging a chat); stdin is not read
  --timestamps       start every line with the time: local in a terminal,
                     UTC (HH:MM:SSZ) in a pipe, as the server's history is
  --no-history       in a pipe, leave out the history replayed at login
  --no-reconnect     exit when the connection is lost or the server restarts
                     (by default the client and --listen reconnect)
  --tls              connect with TLS, checking the server's certificate
  --ca FILE          also trust the CA certificates in FILE (PEM); implies --tls
  --insecure         TLS without checking the certificate (test servers only)
  --timeout SECONDS  how long to wait for the connection and TLS handshake,
                     then for the server's welcome (default 10)
  --no-color         no colours (also: the NO_COLOR environment variable)
  -h, --help         show this help

Exit codes: 0 you quit, 2 usage, 3 cannot connect (refused, unknown host,
TLS handshake failed), 4 timeout (no connection or no welcome), 5 name
or password refused (or a registered name without --password-file in a
pipe), 6 the server closed the connection or shut down.`;

/**
 * Parses `nanochat connect`'s arguments.
 *
 * @param args The arguments after `connect`.
 * @returns The client options, or `"help"` if help was asked for.
 * @throws {TypeError} For an unknown flag or a wrong number of arguments.
 * @throws {RangeError} For a value out of range.
 * @throws {SyntaxError} For an address that does not parse.
 */
export function parseConnectArgs(args: string[]): ClientOptions | "help" {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      listen: { type: "boolean", default: false },
      timestamps: { type: "boolean", default: false },
      "no-history": { type: "boolean", default: false },
      "no-reconnect": { type: "boolean", default: false },
      timeout: { type: "string" },
      tls: { type: "boolean", default: false },
      ca: { type: "string" },
      "password-file": { type: "string" },
      insecure: { type: "boolean", default: false },
      "no-color": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const [address, name, ...extra] = positionals;
  if (address === undefined || name === undefined || extra.length > 0) {
    throw new TypeError(
      `Expected a server address and a name, got ${positionals.length} arguments`,
    );
  }
  const server = parseHostPort(address, { hostname: "", port: DEFAULT_PORT });
  if (server.hostname === "") throw new SyntaxError(`Missing host in address "${address}"`);
  if (server.port === 0) throw new RangeError(`Cannot connect to port 0`);
  const options: ClientOptions = {
    ...server,
    name,
    listen: values.listen,
    timestamps: values.timestamps,
  };
  if (values["no-color"]) options.color = false;
  if (values["no-history"]) options.history = false;
  if (values["no-reconnect"]) options.reconnect = false;
  if (values.tls) options.tls = true;
  if (values.ca !== undefined) options.caFile = values.ca;
  if (values["password-file"] !== undefined) options.passwordFile = values["password-file"];
  if (values.insecure) options.insecure = true;
  if (values.timeout !== undefined) options.connectTimeoutMs = parseSeconds(values.timeout);
  return options;
}

function parseSeconds(text: string): number {
  return parseNumber("--timeout", text, { min: 0.001, max: 86_400, fraction: true }) * 1000;
}
