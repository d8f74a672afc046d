/**
 * Tells refused connections why, without a session: one write bounded by
 * a grace period, then close. Each refusal holds a descriptor while it is
 * told, so only a few are told at once and the rest are closed untold: a
 * flood of refused connections cannot run the process out of descriptors.
 *
 * @module
 */

import { writeAll } from "../transport/bytes.ts";
import type { ByteConn } from "../transport/line_connection.ts";
import { closeQuietly } from "../transport/net_errors.ts";

/**
 * Refused connections told why at once (plain and web; TLS has its own
 * bound): each holds a descriptor for up to the grace period.
 */
export const MAX_REFUSALS_IN_FLIGHT = 32;

/** Writes refusals, a bounded number at once; see the module documentation. */
export class RefusalWriter {
  readonly #graceMs: number;
  readonly #telling = new Set<Promise<void>>();

  /** @param graceMs How long one refusal's write may take before its connection is closed. */
  constructor(graceMs: number) {
    this.#graceMs = graceMs;
  }

  /**
   * Writes `bytes` to `conn`, bounded by the grace period, then closes it;
   * closes it at once if {@linkcode MAX_REFUSALS_IN_FLIGHT} are being told.
   */
  refuse(conn: Pick<ByteConn, "write" | "close">, bytes: Uint8Array): void {
    if (this.#telling.size >= MAX_REFUSALS_IN_FLIGHT) return closeQuietly(conn);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#graceMs);
    });
    const written = writeAll(conn, bytes).then(() => {}, () => {});
    const telling: Promise<void> = Promise.race([written, grace]).finally(() => {
      clearTimeout(timer);
      closeQuietly(conn);
      this.#telling.delete(telling);
    });
    this.#telling.add(telling);
  }

  /**
   * Resolves once every refusal under way now is told (or its grace is
   * over) and closed; refusals begun later are not waited for.
   */
  async settled(): Promise<void> {
    await Promise.all(this.#telling);
  }
}
