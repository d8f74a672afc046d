/**
 * The exit codes of `nanochat connect`, one per way a session can end, so
 * scripts can tell them apart.
 *
 * @module
 */

import { sanitizeForTerminal } from "./terminal_text.ts";
import type { LinkEnd } from "./server_link.ts";

/** How `nanochat connect` ended. */
export const ExitCode = {
  /** The user quit (`/quit`, Ctrl-D, Ctrl-C, or end of stdin). */
  Ok: 0,
  /** An unexpected failure, or the chat could not be printed. */
  Failure: 1,
  /** Bad command-line usage. */
  Usage: 2,
  /** The server could not be reached: refused, unresolvable, unreachable, TLS failed. */
  CannotConnect: 3,
  /** The server did not take the connection, or answer the name, within the connect timeout. */
  Timeout: 4,
  /**
   * The server refused the name (taken or invalid) or its password (wrong,
   * missing, or locked out after too many wrong ones).
   */
  NameRejected: 5,
  /** The server closed the connection, shut down, disconnected the user, or the connection broke. */
  ConnectionLost: 6,
} as const;

/** One of {@linkcode ExitCode}'s values. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/**
 * Turns how a session ended into an exit code and, unless the user simply
 * quit, a one-line explanation.
 *
 * @param end What the link saw last.
 * @param userQuit Whether the user had asked to leave.
 * @returns The exit code and the message for the user (empty after a quit).
 */
export function describeEnd(end: LinkEnd, userQuit: boolean): { code: ExitCode; message: string } {
  if (end.outputError !== undefined) {
    return {
      code: ExitCode.Failure,
      message: `cannot print the chat: ${sanitizeForTerminal(end.outputError)}`,
    };
  }
  // A refused name or a disconnection by the server wins over a quit: a
  // script that quits at once must still learn of it.
  if (end.rejectedName !== undefined) {
    const what = end.rejectedCode?.startsWith("password-") ? "login" : "name";
    return {
      code: ExitCode.NameRejected,
      message: `${what} refused: ${sanitizeForTerminal(end.rejectedName)}`,
    };
  }
  if (end.kicked !== undefined) {
    return {
      code: ExitCode.ConnectionLost,
      message: `disconnected by the server: ${sanitizeForTerminal(end.kicked)}`,
    };
  }
  if (userQuit) return { code: ExitCode.Ok, message: "" };
  if (end.shutdown) return { code: ExitCode.ConnectionLost, message: "the server shut down" };
  if (end.silent) {
    return {
      code: ExitCode.ConnectionLost,
      message: "the server closed the connection without a word (a TLS port? then add --tls)",
    };
  }
  return { code: ExitCode.ConnectionLost, message: "the server closed the connection" };
}
