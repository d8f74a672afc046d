/**
 * The exit codes of `nanochat connect`, one per way a session can end, so
 * scripts can tell them apart.
 *
 * @module
 */

import type { LinkEnd } from "./server_link.ts";

/** How `nanochat connect` ended. */
export const ExitCode = {
  /** The user quit (`/quit`, Ctrl-D, Ctrl-C, or end of stdin). */
  Ok: 0,
  /** An unexpected failure. */
  Failure: 1,
  /** Bad command-line usage. */
  Usage: 2,
  /** The server could not be reached: refused, unresolvable, unreachable. */
  CannotConnect: 3,
  /** The server did not answer within the connect timeout. */
  Timeout: 4,
  /** The server refused the name (taken or invalid). */
  NameRejected: 5,
  /** The server closed the connection, shut down, or the connection broke. */
  ConnectionLost: 6,
} as const;

/** One of {@linkcode ExitCode}'s values. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/**
 * Turns how the server ended a session the user did not end into an exit
 * code and a one-line explanation.
 *
 * @param end What the link saw last.
 * @returns The exit code and the message for the user.
 */
export function describeEnd(end: LinkEnd): { code: ExitCode; message: string } {
  if (end.rejectedName !== undefined) {
    return { code: ExitCode.NameRejected, message: `name refused: ${end.rejectedName}` };
  }
  if (end.shutdown) return { code: ExitCode.ConnectionLost, message: "the server shut down" };
  return { code: ExitCode.ConnectionLost, message: "the server closed the connection" };
}
