/**
 * Reconnecting after a lost connection or a server restart: which ends call
 * for it, and trying again with a growing delay until the server answers.
 *
 * A session that ended because the user quit, the name was refused at
 * login, the server closed it without a word, the server disconnected the user on purpose (idle, flood) or the
 * chat could not be printed is over; a connection that broke, closed or
 * went with a server shutting down (a restart, as often as not) is tried
 * again: after 1 s, then 2, 4, 8, 15 and every 30 s.
 *
 * @module
 */

import type { LinkEnd } from "./server_link.ts";

/** The waits between attempts; the last one repeats. */
export const RECONNECT_DELAYS_MS: readonly number[] = [1000, 2000, 4000, 8000, 15_000, 30_000];

/**
 * Whether a session that ended this way should reconnect.
 *
 * @param end How the link ended.
 * @param userQuit Whether the user had asked to leave.
 * @returns True for a lost connection or a server shutdown.
 */
export function shouldReconnect(end: LinkEnd, userQuit: boolean): boolean {
  // A server that closed without a word never let this client in: a wrong
  // port, say, that reconnecting would not mend.
  return !userQuit && !end.silent && end.rejectedName === undefined &&
    end.kicked === undefined && end.outputError === undefined;
}

/**
 * Whether a login refused on reconnecting should be tried again: a name
 * taken is most likely this client's own ghost, which goes once the server
 * notices the old connection is gone; a wrong password stays wrong (and
 * trying again would lock the name out).
 *
 * @param end How the link ended.
 * @returns True for a name refused as taken.
 */
export function isGhostRefusal(end: LinkEnd): boolean {
  return end.rejectedName !== undefined && end.rejectedCode === "name-taken";
}

/**
 * Why the connection was lost, for the one message that says so.
 *
 * @param end How the link ended.
 * @returns A phrase such as `the server shut down`.
 */
export function lostBecause(end: LinkEnd): string {
  return end.shutdown ? "the server shut down" : "the server closed the connection";
}

/**
 * Tries `dial` until it succeeds, waiting longer after each failure.
 *
 * @param dial Opens and logs in a new connection; throws when it cannot.
 * @param signal Stops trying (the user quit).
 * @param delaysMs The waits before each attempt; the last one repeats.
 * @returns The new connection, or `undefined` if `signal` stopped it.
 */
export async function redial<T extends { close(): void }>(
  dial: () => Promise<T>,
  signal: AbortSignal,
  delaysMs: readonly number[] = RECONNECT_DELAYS_MS,
): Promise<T | undefined> {
  for (let attempt = 0; !signal.aborted; attempt++) {
    await sleep(delaysMs[Math.min(attempt, delaysMs.length - 1)] ?? 1000, signal);
    if (signal.aborted) return undefined;
    try {
      const link = await dial();
      if (!signal.aborted) return link;
      link.close();
    } catch {
      // Not back yet: try again after the next wait.
    }
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
