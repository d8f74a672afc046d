/**
 * `connect(options)`: checks the name, reaches the server, logs in, and runs
 * the interactive or the scripted client.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../protocol/address.ts";
import { sanitize } from "../protocol/text.ts";
import { nameProblem } from "../protocol/username.ts";
import { ExitCode } from "./exit_codes.ts";
import { loginWithFreeName } from "./name_prompt.ts";
import { runScripted } from "./script_io.ts";
import { describeNetError, describeWithCause } from "../transport/net_errors.ts";
import { readPemFile } from "../transport/pem_file.ts";
import { type Security, ServerLink, TlsHandshakeError } from "./server_link.ts";
import { createStyle, terminalTakesColor } from "./style.ts";
import { runTerminalUi } from "./terminal_ui.ts";
import { PasswordBook } from "./password_book.ts";
import { readPasswordFile } from "./password_file.ts";
import { promptPassword } from "./password_prompt.ts";

/** How often the client pings: well within the server's default 10-minute idle timeout. */
const KEEPALIVE_INTERVAL_MS = 60_000;

/** How the client runs. */
export interface ClientOptions extends HostPort {
  /** The username to log in with. */
  name: string;
  /**
   * A file whose first line is the name's password, for a registered name.
   * Without it, the interactive client asks for the password when the
   * server does, and a script exits with code 5.
   */
  passwordFile?: string;
  /**
   * The line editor and coloured output; when false, lines in and out are
   * plain (for scripts and pipes).
   *
   * @default {true when stdin and stdout are both terminals}
   */
  interactive?: boolean;
  /**
   * Colour in interactive mode.
   *
   * @default {true unless NO_COLOR is set or TERM is dumb}
   */
  color?: boolean;
  /**
   * Only receive: never read stdin (for logging a chat).
   *
   * @default {false}
   */
  listen?: boolean;
  /**
   * Start every line with the time: local in the interactive client, UTC in
   * scripts (where the server's history times are UTC too).
   *
   * @default {false}
   */
  timestamps?: boolean;
  /**
   * In scripts, print the history the server replays at login (and at each
   * join); false leaves those lines out.
   *
   * @default {true}
   */
  history?: boolean;
  /**
   * Reconnect, with a growing delay, after a lost connection or a server
   * restart (interactive and `listen` only; a script's stdin is not
   * replayed).
   *
   * @default {true}
   */
  reconnect?: boolean;
  /**
   * Connect with TLS, verifying the server against the system's roots and
   * `caFile`.
   *
   * @default {false}
   */
  tls?: boolean;
  /** A PEM file of extra CA certificates to trust (implies `tls`). */
  caFile?: string;
  /**
   * TLS without checking the server's certificate at all (implies `tls`).
   *
   * @default {false}
   */
  insecure?: boolean;
  /**
   * How long to wait for the server to accept the connection (and finish the
   * TLS handshake), and then again for its first line after the name, in
   * milliseconds.
   *
   * @default {10000}
   */
  connectTimeoutMs?: number;
}

/**
 * Runs a client session.
 *
 * @param options Where to connect, as whom, and how to show it.
 * @returns The exit code (see {@linkcode ExitCode}).
 */
export async function connect(options: ClientOptions): Promise<number> {
  const problem = nameProblem(options.name);
  if (problem !== undefined) {
    warn(`invalid name "${sanitize(options.name)}": ${problem}`);
    return ExitCode.NameRejected;
  }
  let security: Security;
  try {
    security = chooseSecurity(options);
  } catch (error) {
    warn(describeWithCause(error));
    return ExitCode.Usage;
  }
  // In memory only, to log in again after a lost connection.
  const passwords = new PasswordBook();
  if (options.passwordFile !== undefined) {
    try {
      passwords.set(options.name, readPasswordFile(options.passwordFile));
    } catch (error) {
      warn(error instanceof Error ? error.message : String(error));
      return ExitCode.Usage;
    }
  }
  const listen = options.listen ?? false;
  const interactive = !listen &&
    (options.interactive ?? (Deno.stdin.isTerminal() && Deno.stdout.isTerminal()));
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const login = async (name: string) => {
    const link = await ServerLink.open(options, name, { timeoutMs, security });
    // Nothing is shown as connected before the server has answered the name.
    let answered = await link.waitForFirstLine(timeoutMs);
    if (answered && link.takePasswordRequest()) {
      const password = passwords.get(name);
      if (password === undefined) {
        link.close();
        throw new Error(`${name} is registered now, and its password is not known`);
      }
      link.send(`PASS ${password}`);
      answered = await link.waitForFirstLine(timeoutMs);
    }
    if (!answered) {
      link.close();
      throw new Error("the server closed the connection before answering the name");
    }
    link.keepAlive(KEEPALIVE_INTERVAL_MS);
    return link;
  };
  let link: ServerLink;
  try {
    link = await ServerLink.open(options, options.name, { timeoutMs, security });
  } catch (error) {
    const { code, reason } = explainConnectError(error);
    warn(`cannot connect to ${formatHostPort(options)}: ${reason}`);
    return code;
  }
  const wait = `${timeoutMs / 1000} s`;
  try {
    await link.waitForFirstLine(timeoutMs);
  } catch {
    warn(`timed out: ${link.address} accepted the connection but sent no welcome within ${wait}`);
    return ExitCode.Timeout;
  }
  if (link.takePasswordRequest()) {
    const password = passwords.get(options.name) ??
      (interactive ? await promptPassword(`Password for ${options.name}: `) : undefined);
    if (password === undefined) {
      link.close();
      // Given up at the prompt: the user quit.
      if (interactive) return ExitCode.Ok;
      warn(`${options.name} is registered: give --password-file`);
      return ExitCode.NameRejected;
    }
    passwords.set(options.name, password);
    link.send(`PASS ${password}`);
    try {
      await link.waitForFirstLine(timeoutMs);
    } catch {
      warn(`timed out: ${link.address} did not answer the password within ${wait}`);
      return ExitCode.Timeout;
    }
  }
  link.keepAlive(KEEPALIVE_INTERVAL_MS);
  const reconnect = options.reconnect ?? true;
  if (interactive) {
    let named;
    try {
      named = await loginWithFreeName({ link, name: options.name }, login);
    } catch (error) {
      const { code, reason } = explainConnectError(error);
      warn(`cannot connect to ${formatHostPort(options)}: ${reason}`);
      return code;
    }
    if ("refusal" in named) {
      warn(`name refused: ${sanitize(named.refusal)}`);
      return ExitCode.NameRejected;
    }
    const style = createStyle(options.color ?? terminalTakesColor());
    return await runTerminalUi(
      named.link,
      named.name,
      { style, timestamps: options.timestamps ?? false },
      reconnect ? login : undefined,
      passwords,
    );
  }
  return await runScripted(link, {
    listen,
    timestamps: options.timestamps ?? false,
    history: options.history ?? true,
    warn,
    ...(reconnect && listen ? { reconnect: () => login(options.name) } : {}),
  });
}

function chooseSecurity(options: ClientOptions): Security {
  if (options.insecure) {
    warn(
      "WARNING: --insecure: the server's certificate is not checked, so anyone on the way can read and change this chat",
    );
    return { kind: "insecure-tls" };
  }
  if (options.caFile !== undefined) {
    return { kind: "tls", caCerts: [readPemFile(options.caFile, "CA certificate")] };
  }
  return options.tls ? { kind: "tls", caCerts: [] } : { kind: "plain" };
}

function explainConnectError(error: unknown): { code: ExitCode; reason: string } {
  if (error instanceof Deno.errors.TimedOut) {
    return { code: ExitCode.Timeout, reason: `timed out (${error.message})` };
  }
  if (error instanceof Deno.errors.ConnectionRefused) {
    return { code: ExitCode.CannotConnect, reason: "connection refused (is the server running?)" };
  }
  if (error instanceof TlsHandshakeError) {
    return {
      code: ExitCode.CannotConnect,
      reason: `TLS handshake failed: ${error.message}${tlsHint(error.message)}`,
    };
  }
  return { code: ExitCode.CannotConnect, reason: describeNetError(error) };
}

/** A hint for the usual causes of a failed handshake. */
function tlsHint(message: string): string {
  if (message.includes("UnknownIssuer")) return " (trust a private CA with --ca FILE)";
  if (message.includes("CaUsedAsEndEntity")) {
    return " (a self-signed certificate: serve one issued by a CA, or use --insecure)";
  }
  if (message.includes("NotValidForName")) return " (the certificate does not name this host)";
  if (message.includes("Expired")) return " (the certificate has expired)";
  return " (is it a TLS port?)";
}

function warn(message: string): void {
  // deno-lint-ignore no-console -- telling the user is the point
  console.error(`nanochat: ${message}`);
}
