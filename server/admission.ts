/**
 * Who may connect: an address's bans first, then the connection limits.
 * Every front-end asks here before it runs a session, and a refusal is
 * counted and logged where it is decided.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../protocol/address.ts";
import { type ProtocolError, ServerError } from "../protocol/errors.ts";
import type { ConnectionLimits, ConnectionSlot, LimitRefusal } from "./connection_limits.ts";
import type { Logger } from "./log.ts";
import { Metrics } from "./metrics.ts";
import { banError, type Bans } from "./moderation/bans.ts";

/** A refusal, as the client is told it. */
export interface Refusal {
  /** The metric label and log reason. */
  readonly reason: LimitRefusal | "banned";
  /** What the client is told. */
  readonly error: ProtocolError;
}

/**
 * Decides whether a connection from `ip` may run a session.
 *
 * @param limits The connection limits; an admitted connection holds one of their slots.
 * @param bans The bans in force; none before the storage is open.
 * @param ip The client's address.
 * @returns A slot to give back when the connection closes, or the refusal.
 */
export function admit(
  limits: ConnectionLimits,
  bans: Bans | undefined,
  ip: string,
): Refusal | { slot: ConnectionSlot } {
  const ban = bans?.forAddress(ip);
  if (ban !== undefined) return { reason: "banned", error: banError("Your address is", ban) };
  const admission = limits.admit(ip);
  if (admission.admitted) return { slot: admission.slot };
  const error = admission.refusal === "server-full"
    ? ServerError.serverFull()
    : admission.refusal === "too-many-connections"
    ? ServerError.tooManyConnections()
    : ServerError.tooManyNewConnections(admission.retrySeconds);
  return { reason: admission.refusal, error };
}

/**
 * Counts a refusal in the metrics and logs it.
 *
 * @param metrics Where `connections_rejected_total` is counted, by reason.
 * @param log Where the `reject` event goes.
 * @param peer Who was refused.
 * @param reason Why: the metric's label.
 */
export function countRefusal(metrics: Metrics, log: Logger, peer: HostPort, reason: string): void {
  Metrics.increment(metrics.connectionsRejected, reason);
  log.event("reject", { addr: formatHostPort(peer), reason });
}
