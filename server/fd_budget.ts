/**
 * How many connections the process can hold: each is a file descriptor,
 * and a process that runs out of them cannot accept, open files, or answer
 * its metrics endpoint. Like Redis sizing `maxclients` from the fd limit,
 * the server lowers its connection limit to what is free after a reserve
 * for itself.
 *
 * Deno reads `/proc/self/limits` only with `--allow-all` and has no
 * `getrlimit`, so the server counts instead: it opens `/dev/null` until it
 * has as many descriptors as it could need or the system says no, then
 * closes them all. That measures what is really free, whatever the limit.
 *
 * @module
 */

/**
 * Descriptors kept for the process itself beyond its clients: listeners,
 * metrics connections, TLS refusals in progress, files, and a margin.
 */
export const RESERVED_FDS = 64;

/**
 * Counts the file descriptors this process could still open, up to `wanted`.
 *
 * @param wanted Stop counting here: more are not needed.
 * @returns How many could be opened (`wanted` when there is room for all),
 * or `undefined` where it cannot be measured (Windows, or no read
 * permission for `/dev/null`).
 */
export function freeFileDescriptors(wanted: number): number | undefined {
  const path = "/dev/null";
  if (Deno.build.os === "windows") return undefined;
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return undefined;
  const opened: Deno.FsFile[] = [];
  try {
    while (opened.length < wanted) opened.push(Deno.openSync(path));
  } catch {
    // Out of descriptors (EMFILE or ENFILE): what was opened is what is free.
  } finally {
    for (const file of opened) file.close();
  }
  return opened.length;
}

/**
 * The connection limit the descriptor budget allows.
 *
 * @param maxConnections The configured limit.
 * @param free The descriptors free now, if known.
 * @param reserve Descriptors kept for everything but clients.
 * @returns The limit to enforce: the configured one, or fewer if the free
 * descriptors after the reserve are fewer.
 * @throws {RangeError} If no descriptor is left for a single client.
 *
 * @example
 * ```ts
 * import { connectionBudget } from "./fd_budget.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(connectionBudget(10_000, 1000), 936);
 * assert.equal(connectionBudget(100, 1000), 100);
 * assert.equal(connectionBudget(100, undefined), 100);
 * assert.equal(connectionBudget(10_000, 1000, 400), 600); // with the web page's reserve
 * ```
 */
export function connectionBudget(
  maxConnections: number,
  free: number | undefined,
  reserve = RESERVED_FDS,
): number {
  if (free === undefined) return maxConnections;
  const available = free - reserve;
  if (available < 1) {
    throw new RangeError(
      `only ${free} file descriptors are free, and the server keeps ${reserve}; raise the limit (ulimit -n)`,
    );
  }
  return Math.min(maxConnections, available);
}
