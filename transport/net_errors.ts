/**
 * What network and file errors mean, in one place: a short sentence for
 * people, and the few classifications the server and the client act on.
 * Deno's messages end in "(os error N)", which says nothing to a user.
 *
 * @module
 */

/** How a connection's read side ended in failure. */
export type ReadFailure = "reset" | "tls-error" | "error";

/**
 * Describes an error in a few words for a one-line message.
 *
 * @param error Anything thrown by a network or file operation.
 * @returns A sentence fragment without a trailing period.
 *
 * @example
 * ```ts
 * import { describeNetError } from "./net_errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(describeNetError(new Deno.errors.AddrInUse("os says (os error 98)")), "address already in use");
 * assert.equal(describeNetError(new Error("boom (os error 5)")), "boom");
 * ```
 */
export function describeNetError(error: unknown): string {
  if (error instanceof Deno.errors.AddrInUse) return "address already in use";
  if (error instanceof Deno.errors.AddrNotAvailable) return "no such local address";
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) {
    return "permission denied (ports below 1024 need privileges)";
  }
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (isLookupFailure(error)) return "unknown host";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/ \(os error \d+\)$/, "");
}

/**
 * Describes an error and, when it has one, its cause: `cannot listen on
 * :7777: address already in use`.
 *
 * @param error What was thrown.
 * @returns One line.
 */
export function describeWithCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.cause === undefined) return error.message;
  return `${error.message}: ${describeNetError(error.cause)}`;
}

/**
 * Whether an accept failed only because that one peer already went away,
 * so the listener should go on at once.
 *
 * @param error What `accept()` threw.
 */
export function isPeerGone(error: unknown): boolean {
  return error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted;
}

/**
 * Closes a connection that may be closed already (by the runtime after a
 * reset, or by a timer): the one error worth ignoring.
 *
 * @param conn Anything with `close()`.
 */
export function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/**
 * Classifies a failed read.
 *
 * @param error What a read threw.
 * @returns `reset` for a peer that reset, `tls-error` for a bad TLS
 * handshake or record (reads fail with InvalidData only in TLS), else `error`.
 */
export function classifyReadError(error: unknown): ReadFailure {
  if (error instanceof Deno.errors.ConnectionReset) return "reset";
  if (error instanceof Deno.errors.InvalidData) return "tls-error";
  return "error";
}

/**
 * Whether an error means the host name did not resolve.
 *
 * @param error What `Deno.connect` threw.
 */
export function isLookupFailure(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("failed to lookup address");
}
