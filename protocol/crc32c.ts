/**
 * CRC32C, the Castagnoli checksum of RFC 4960 appendix B (iSCSI, SCTP), which
 * the PROXY protocol version 2 uses to let a receiver check its header.
 *
 * @module
 */

/** The reflected Castagnoli polynomial. */
const POLYNOMIAL = 0x82f63b78;

/**
 * Computes the CRC32C of some bytes, or continues one over more bytes.
 *
 * @param bytes The bytes to checksum.
 * @param previous The CRC32C of the bytes before these, to checksum a whole
 * in pieces; 0 to start.
 * @returns The checksum, an unsigned 32-bit integer.
 *
 * @example The check value, whole and in two pieces
 * ```ts
 * import { crc32c } from "./crc32c.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("123456789");
 * assert.equal(crc32c(bytes), 0xe3069283);
 * assert.equal(crc32c(bytes.subarray(4), crc32c(bytes.subarray(0, 4))), 0xe3069283);
 * ```
 */
export function crc32c(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (POLYNOMIAL & -(crc & 1));
  }
  return ~crc >>> 0;
}
