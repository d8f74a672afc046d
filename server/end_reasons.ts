/**
 * Every way a connection can end, in one table: its name in the log and in
 * the metrics, the error the client is sent, and what everyone else is told.
 *
 * @module
 */

import { type ProtocolError, ServerError } from "../protocol/errors.ts";

/** How an ending is reported. */
export interface EndReasonInfo {
  /**
   * A refusal before login, counted in `connections_rejected_total`;
   * otherwise the ending counts in `disconnects_total`.
   */
  readonly refusal: boolean;
  /**
   * The error line the client gets before the connection closes; when the
   * text depends on the case (which name was taken), the caller supplies it.
   */
  readonly error?: (limits: { idleTimeoutMs: number }) => ProtocolError;
  /**
   * How the departure is explained to the others in `NOTICE disconnect`;
   * absent when they are told otherwise (QUIT) or not at all (shutdown,
   * and refusals, which happen before anyone knew the user).
   */
  readonly notice?: string;
}

/** Why a session ended: the log name and the metric label. */
export type EndReason = keyof typeof END_REASONS;

/** The table. */
export const END_REASONS = {
  "quit": { refusal: false },
  "eof": { refusal: false, notice: "connection closed" },
  "reset": { refusal: false, notice: "connection lost" },
  "error": { refusal: false, notice: "connection error" },
  "tls-error": { refusal: false, notice: "connection error" },
  "slow-reader": { refusal: false, notice: "not reading: too much output queued" },
  "idle-timeout": {
    refusal: false,
    notice: "idle timeout",
    error: ({ idleTimeoutMs }) => ServerError.idleTimeout(idleTimeoutMs / 1000),
  },
  "flood": { refusal: false, notice: "flooding", error: () => ServerError.flood() },
  "shutdown": { refusal: false },
  "login-timeout": { refusal: true, error: () => ServerError.loginTimeout() },
  "name-taken": { refusal: true },
  "name-invalid": { refusal: true },
  "tls-on-plain-port": { refusal: true },
  "password-wrong": { refusal: true },
  "password-locked": { refusal: true },
  "replaced": { refusal: false, notice: "logged in again elsewhere" },
  "banned": { refusal: false, notice: "banned" },
  "cluster-unavailable": { refusal: true },
  "fenced": {
    refusal: false,
    notice: "their server lost its cluster",
    error: () => ServerError.clusterUnavailable("You were disconnected"),
  },
} as const satisfies Record<string, EndReasonInfo>;

/**
 * Looks up how an ending is reported.
 *
 * @param reason Why the session ended.
 * @returns Its entry in the table.
 */
export function endReasonInfo(reason: EndReason): EndReasonInfo {
  return END_REASONS[reason];
}
