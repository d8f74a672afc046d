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
import { runScripted } from "./script_io.ts";
import { ServerLink } from "./server_link.ts";
import { createStyle } from "./style.ts";
import { runTerminalUi } from "./terminal_ui.ts";

/** How often the client pings: well within the server's default 10-minute idle timeout. */
const KEEPALIVE_INTERVAL_MS = 60_000;

/** How the client runs. */
export interface ClientOptions extends HostPort {
  /** The username to log in with. */
  name: string;
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
   * @default {true unless NO_COLOR is set}
   */
  color?: boolean;
  /**
   * Only receive: never read stdin (for logging a chat).
   *
   * @default {false}
   */
  listen?: boolean;
  /**
   * Start every line with the local time.
   *
   * @default {false}
   */
  timestamps?: boolean;
  /**
   * How long to wait for the server to accept the connection, in milliseconds.
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
  let link: ServerLink;
  try {
    link = await ServerLink.open(options, options.name, options.connectTimeoutMs ?? 10_000);
  } catch (error) {
    const { code, reason } = explainConnectError(error);
    warn(`cannot connect to ${formatHostPort(options)}: ${reason}`);
    return code;
  }
  link.keepAlive(KEEPALIVE_INTERVAL_MS);
  const listen = options.listen ?? false;
  const interactive = !listen &&
    (options.interactive ?? (Deno.stdin.isTerminal() && Deno.stdout.isTerminal()));
  if (interactive) {
    const style = createStyle(options.color ?? !Deno.noColor);
    return await runTerminalUi(link, options.name, {
      style,
      timestamps: options.timestamps ?? false,
    });
  }
  return await runScripted(link, { listen, timestamps: options.timestamps ?? false, warn });
}

function explainConnectError(error: unknown): { code: ExitCode; reason: string } {
  if (error instanceof Deno.errors.TimedOut) {
    return { code: ExitCode.Timeout, reason: `timed out (${error.message})` };
  }
  if (error instanceof Deno.errors.ConnectionRefused) {
    return { code: ExitCode.CannotConnect, reason: "connection refused (is the server running?)" };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith("failed to lookup address")) {
    return { code: ExitCode.CannotConnect, reason: "unknown host" };
  }
  return { code: ExitCode.CannotConnect, reason: message.replace(/ \(os error \d+\)$/, "") };
}

function warn(message: string): void {
  // deno-lint-ignore no-console -- telling the user is the point
  console.error(`nanochat: ${message}`);
}
