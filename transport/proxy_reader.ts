/**
 * Reads the PROXY protocol header that a trusted proxy (HAProxy, stunnel,
 * nginx's stream module) sends first on a relayed connection, before any
 * chat line, so the server can use the client's address the header carries.
 *
 * It reads into one buffer of at most `maxBytes` until the header is complete
 * and hands back the bytes that came after it, which belong to the chat
 * stream. A header that is invalid, late, or cut short by the peer is an
 * error: the spec asks the receiver to drop such a connection.
 *
 * @module
 */

import type { HostPort } from "../protocol/address.ts";
import {
  DEFAULT_MAX_PROXY_HEADER_BYTES,
  parseProxyHeader,
  PROXY_MAX_HEADER_BYTES,
  PROXY_V1_MAX_BYTES,
} from "../protocol/proxy_header.ts";

/** Where a header is read from; `Deno.Conn` (TCP or TLS) fits. */
export interface ByteReader {
  /** Reads into `buffer`, resolving with the byte count or `null` at the end of the stream. */
  read(buffer: Uint8Array): Promise<number | null>;
}

/** Options for {@linkcode readProxyHeader}. */
export interface ReadProxyHeaderOptions {
  /**
   * How long the whole header may take to arrive, in milliseconds. The
   * server uses its login timeout.
   */
  timeoutMs: number;
  /**
   * The most bytes buffered, which bounds the longest header accepted; see
   * `maxHeaderBytes` of `parseProxyHeader()`.
   *
   * @default {DEFAULT_MAX_PROXY_HEADER_BYTES}
   */
  maxBytes?: number;
}

/** What {@linkcode readProxyHeader} found. */
export interface ProxyHeaderRead {
  /**
   * The client's address, or `undefined` when the header gives none (v1
   * `UNKNOWN`, v2 `LOCAL`, and v2 families other than TCP): then the
   * connection's own peer address stands.
   */
  source: HostPort | undefined;
  /** Bytes that arrived after the header: the start of the relayed stream, possibly empty. */
  rest: Uint8Array;
}

/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Reads a PROXY protocol header, version 1 or 2, from the start of a
 * connection.
 *
 * On a timeout a `read` may still be pending: closing the connection, which
 * the caller does on any error, ends it. The timer is always cleared.
 *
 * @param conn The connection, before anything else has read from it.
 * @param options The timeout and the buffer limit.
 * @returns The client's address and the bytes read past the header.
 * @throws {SyntaxError} If the bytes are not a valid header, or the header
 * is longer than `maxBytes`.
 * @throws {Deno.errors.TimedOut} If the header is not complete within `timeoutMs`.
 * @throws {Deno.errors.UnexpectedEof} If the peer ends the stream before the
 * header is complete.
 * @throws {RangeError} If an option is out of range.
 * Errors of `conn.read` (such as `Deno.errors.ConnectionReset`) pass through.
 *
 * @example Reading the header, then the first line
 * ```ts
 * import { readProxyHeader } from "./proxy_reader.ts";
 * import assert from "node:assert/strict";
 *
 * const chunks = [new TextEncoder().encode("PROXY TCP4 192.0.2.7 198.51.100.1 50123 7777\r\nalice\n")];
 * const conn = {
 *   read(buffer: Uint8Array): Promise<number | null> {
 *     const chunk = chunks.shift();
 *     if (chunk === undefined) return Promise.resolve(null);
 *     buffer.set(chunk);
 *     return Promise.resolve(chunk.length);
 *   },
 * };
 * const { source, rest } = await readProxyHeader(conn, { timeoutMs: 1000 });
 * assert.deepEqual(source, { hostname: "192.0.2.7", port: 50123 });
 * assert.equal(new TextDecoder().decode(rest), "alice\n");
 * ```
 */
export async function readProxyHeader(
  conn: ByteReader,
  options: ReadProxyHeaderOptions,
): Promise<ProxyHeaderRead> {
  const { timeoutMs, maxBytes = DEFAULT_MAX_PROXY_HEADER_BYTES } = options;
  if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new RangeError(
      `timeoutMs must be above 0 and at most ${MAX_TIMEOUT_MS}, got ${timeoutMs}`,
    );
  }
  if (
    !Number.isInteger(maxBytes) || maxBytes < PROXY_V1_MAX_BYTES ||
    maxBytes > PROXY_MAX_HEADER_BYTES
  ) {
    throw new RangeError(
      `maxBytes must be an integer from ${PROXY_V1_MAX_BYTES} to ${PROXY_MAX_HEADER_BYTES}, got ${maxBytes}`,
    );
  }
  const buffer = new Uint8Array(maxBytes);
  let filled = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Deno.errors.TimedOut(`No complete PROXY header within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    // The parser answers before the buffer is full (it never calls maxBytes
    // bytes incomplete); the throw after the loop only guards that promise.
    while (filled < buffer.length) {
      const count = await Promise.race([conn.read(buffer.subarray(filled)), timedOut]);
      if (count === null) {
        throw new Deno.errors.UnexpectedEof(
          filled === 0
            ? "Connection closed before the PROXY header"
            : `Connection closed after ${filled} bytes of the PROXY header`,
        );
      }
      filled += count;
      const result = parseProxyHeader(buffer.subarray(0, filled), { maxHeaderBytes: maxBytes });
      if (result.kind === "invalid") throw new SyntaxError(result.reason);
      if (result.kind === "header") {
        return { source: result.source, rest: buffer.slice(result.length, filled) };
      }
    }
    throw new SyntaxError(`PROXY header longer than ${maxBytes} bytes`);
  } finally {
    clearTimeout(timer);
  }
}
