/**
 * How many connections the process can hold: each is a file descriptor,
 * and a process that runs out of them cannot accept, open files, or answer
 * its metrics endpoint. Like Redis sizing `maxclients` from the fd limit,
 * the server lowers its connection limit to what the limit allows after a
 * reserve for itself.
 *
 * @module
 */

/**
 * Descriptors kept for the process itself: the runtime (about 26 here),
 * listeners, metrics connections, files, and a margin.
 */
export const RESERVED_FDS = 64;

/**
 * Reads the soft limit on open files, where the platform tells it.
 *
 * @returns The limit, or `undefined` where it cannot be read (not Linux,
 * no read permission for `/proc/self/limits`, or unlimited).
 */
export function openFileLimit(): number | undefined {
  const path = "/proc/self/limits";
  if (Deno.build.os !== "linux") return undefined;
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return undefined;
  try {
    const line = Deno.readTextFileSync(path).split("\n").find((row) => row.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The connection limit the descriptor budget allows.
 *
 * @param maxConnections The configured limit.
 * @param fdLimit The process's limit on open files, if known.
 * @returns The limit to enforce: the configured one, or fewer if the
 * descriptors after the reserve are fewer.
 * @throws {RangeError} If the limit leaves no descriptor for a single client.
 *
 * @example
 * ```ts
 * import { connectionBudget } from "./fd_budget.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(connectionBudget(10_000, 1024), 960);
 * assert.equal(connectionBudget(100, 1024), 100);
 * assert.equal(connectionBudget(100, undefined), 100);
 * ```
 */
export function connectionBudget(maxConnections: number, fdLimit: number | undefined): number {
  if (fdLimit === undefined) return maxConnections;
  const available = fdLimit - RESERVED_FDS;
  if (available < 1) {
    throw new RangeError(
      `the limit on open files (${fdLimit}) leaves no room for clients after ${RESERVED_FDS} for the server; raise it (ulimit -n)`,
    );
  }
  return Math.min(maxConnections, available);
}
