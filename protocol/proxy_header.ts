/**
 * Parses the PROXY protocol header (versions 1 and 2) that HAProxy, stunnel,
 * nginx's stream module and cloud load balancers put before a relayed TCP
 * stream, so the server can see the client's real address instead of the
 * proxy's. Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
 *
 * The parser is incremental in the simplest way: give it everything received
 * so far and it answers `incomplete`, `invalid` or `header`. It never answers
 * `incomplete` once the bytes are as long as the longest header it accepts, so
 * a caller that buffers only until an answer is bounded. It is strict: any
 * sequence that does not exactly match the spec is invalid, because the spec
 * asks receivers to abort on anything else.
 *
 * Whether to expect a header is configuration, never guessed from the bytes
 * (spec section 5): a client allowed to send one could claim any address.
 *
 * @module
 */

import type { HostPort } from "./address.ts";
import { crc32c } from "./crc32c.ts";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip_address.ts";

/** The longest version 1 line, CRLF included (spec section 2.1). */
export const PROXY_V1_MAX_BYTES = 107;

/** The fixed part of a version 2 header: signature, version and command, family, length. */
export const PROXY_V2_FIXED_BYTES = 16;

/** The longest header the format allows: version 2 with a 65535-byte address block. */
export const PROXY_MAX_HEADER_BYTES = PROXY_V2_FIXED_BYTES + 0xffff;

/**
 * The longest header accepted unless the caller says otherwise: version 2
 * with 1 KiB for addresses and TLVs. A TCP over IPv6 address block is 36
 * bytes and the TLVs real proxies send (TLS details, unique ID, cloud
 * endpoint IDs) fit the rest many times over; a proxy that is trusted does
 * not need 64 KiB of this server's memory per connection.
 */
export const DEFAULT_MAX_PROXY_HEADER_BYTES = PROXY_V2_FIXED_BYTES + 1024;

/** What {@linkcode parseProxyHeader} makes of the bytes received so far. */
export type ProxyHeaderResult =
  /** A prefix of a valid header: read more. */
  | { readonly kind: "incomplete" }
  /** Not a valid header, however many bytes follow: close the connection. */
  | { readonly kind: "invalid"; readonly reason: string }
  /** A complete header. */
  | {
    readonly kind: "header";
    /** The protocol version, 1 (text) or 2 (binary). */
    readonly version: 1 | 2;
    /** How many bytes the header takes; the relayed stream starts after them. */
    readonly length: number;
    /**
     * The client's address, or `undefined` when the header gives none the
     * server can use (v1 `UNKNOWN`, v2 `LOCAL`, v2 `UNSPEC`, UDP or UNIX
     * sockets): then the connection's own peer address stands.
     */
    readonly source: HostPort | undefined;
  };

/** Options for {@linkcode parseProxyHeader}. */
export interface ParseProxyHeaderOptions {
  /**
   * The longest header accepted, in bytes: a version 2 header that says it is
   * longer is invalid at once. From {@linkcode PROXY_V1_MAX_BYTES} (so every
   * version 1 line fits) to {@linkcode PROXY_MAX_HEADER_BYTES}.
   *
   * @default {DEFAULT_MAX_PROXY_HEADER_BYTES}
   */
  maxHeaderBytes?: number;
}

const INCOMPLETE: ProxyHeaderResult = { kind: "incomplete" };
const CR = 0x0d;
const LF = 0x0a;
const V1_PREFIX = Uint8Array.from("PROXY ", (character) => character.charCodeAt(0));
const V2_SIGNATURE = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);
const COMMAND_LOCAL = 0x0;
const COMMAND_PROXY = 0x1;
const TCP_OVER_IPV4 = 0x11;
const TCP_OVER_IPV6 = 0x21;
const TLV_CRC32C = 0x03;

/** Address block sizes of the families whose layout the spec fixes, by family and protocol byte. */
const ADDRESS_BLOCKS: ReadonlyMap<number, { bytes: number; name: string }> = new Map([
  [TCP_OVER_IPV4, { bytes: 12, name: "TCP over IPv4" }],
  [0x12, { bytes: 12, name: "UDP over IPv4" }],
  [TCP_OVER_IPV6, { bytes: 36, name: "TCP over IPv6" }],
  [0x22, { bytes: 36, name: "UDP over IPv6" }],
  [0x31, { bytes: 216, name: "UNIX stream" }],
  [0x32, { bytes: 216, name: "UNIX datagram" }],
]);

/**
 * Parses a PROXY protocol header, version 1 or 2, at the start of the bytes.
 *
 * @param bytes Everything received on the connection so far; not kept.
 * @param options The size limit.
 * @returns `incomplete`, `invalid` with a reason, or the header's length and
 * the client's address.
 * @throws {RangeError} If `maxHeaderBytes` is out of range.
 *
 * @example Reading the client's address
 * ```ts
 * import { parseProxyHeader } from "./proxy_header.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("PROXY TCP4 192.0.2.7 198.51.100.1 50123 7777\r\nalice\n");
 * assert.deepEqual(parseProxyHeader(bytes), {
 *   kind: "header",
 *   version: 1,
 *   length: 46,
 *   source: { hostname: "192.0.2.7", port: 50123 },
 * });
 * assert.deepEqual(parseProxyHeader(bytes.subarray(0, 20)), { kind: "incomplete" });
 * assert.equal(parseProxyHeader(new TextEncoder().encode("alice\n")).kind, "invalid");
 * ```
 */
export function parseProxyHeader(
  bytes: Uint8Array,
  options: ParseProxyHeaderOptions = {},
): ProxyHeaderResult {
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_PROXY_HEADER_BYTES;
  if (
    !Number.isInteger(maxHeaderBytes) || maxHeaderBytes < PROXY_V1_MAX_BYTES ||
    maxHeaderBytes > PROXY_MAX_HEADER_BYTES
  ) {
    throw new RangeError(
      `maxHeaderBytes must be an integer from ${PROXY_V1_MAX_BYTES} to ${PROXY_MAX_HEADER_BYTES}, got ${maxHeaderBytes}`,
    );
  }
  if (bytes.length === 0) return INCOMPLETE;
  return bytes[0] === V2_SIGNATURE[0] ? parseV2(bytes, maxHeaderBytes) : parseV1(bytes);
}

function invalid(reason: string): ProxyHeaderResult {
  return { kind: "invalid", reason };
}

/** Whether the bytes received so far agree with the start of `expected`. */
function startsLike(bytes: Uint8Array, expected: Uint8Array): boolean {
  const length = Math.min(bytes.length, expected.length);
  for (let index = 0; index < length; index++) {
    if (bytes[index] !== expected[index]) return false;
  }
  return true;
}

function parseV1(bytes: Uint8Array): ProxyHeaderResult {
  if (!startsLike(bytes, V1_PREFIX)) return invalid("Not a PROXY protocol header");
  // The CR may be at most at index 105, so that the LF ends byte 107.
  const searchEnd = Math.min(bytes.length, PROXY_V1_MAX_BYTES - 1);
  let end = -1;
  for (let index = 0; index < searchEnd; index++) {
    if (bytes[index] === CR || bytes[index] === LF) {
      end = index;
      break;
    }
  }
  if (end === -1) {
    return bytes.length < PROXY_V1_MAX_BYTES - 1
      ? INCOMPLETE
      : invalid(`PROXY v1 line has no CRLF within ${PROXY_V1_MAX_BYTES} bytes`);
  }
  if (bytes[end] === LF) return invalid("PROXY v1 line ends in LF without CR");
  if (end + 1 === bytes.length) return INCOMPLETE;
  if (bytes[end + 1] !== LF) return invalid("PROXY v1 line has a CR not followed by LF");
  const length = end + 2;
  const fields = String.fromCharCode(...bytes.subarray(0, end)).split(" ");
  const protocol = fields[1];
  // The spec asks receivers to ignore whatever follows UNKNOWN.
  if (protocol === "UNKNOWN") return { kind: "header", version: 1, length, source: undefined };
  if (protocol !== "TCP4" && protocol !== "TCP6") {
    return invalid("PROXY v1 protocol is not TCP4, TCP6 or UNKNOWN");
  }
  if (fields.length !== 6) {
    return invalid(`PROXY v1 ${protocol} line does not have 4 fields after the protocol`);
  }
  const family = protocol === "TCP4" ? "IPv4" : "IPv6";
  const [sourceText, destinationText, sourcePortText, destinationPortText] = fields.slice(2);
  const source = parseV1Address(sourceText!, family);
  if (source === undefined) return invalid(`PROXY v1 source address is not an ${family} address`);
  if (parseV1Address(destinationText!, family) === undefined) {
    return invalid(`PROXY v1 destination address is not an ${family} address`);
  }
  const port = parseV1Port(sourcePortText!);
  if (port === undefined) return invalid("PROXY v1 source port is not a port number");
  if (parseV1Port(destinationPortText!) === undefined) {
    return invalid("PROXY v1 destination port is not a port number");
  }
  return { kind: "header", version: 1, length, source: { hostname: source, port } };
}

/** The address as Deno would show it, or `undefined` if it is not of the family. */
function parseV1Address(text: string, family: "IPv4" | "IPv6"): string | undefined {
  if (family === "IPv4") {
    const bytes = parseIPv4(text);
    return bytes && formatIPv4(bytes);
  }
  const bytes = parseIPv6(text);
  return bytes && formatIPv6(bytes);
}

/** A decimal 0 to 65535 without leading zeros (the spec refuses them as possibly octal). */
function parseV1Port(text: string): number | undefined {
  if (!/^(?:0|[1-9][0-9]{0,4})$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 0xffff ? port : undefined;
}

function parseV2(bytes: Uint8Array, maxHeaderBytes: number): ProxyHeaderResult {
  if (!startsLike(bytes, V2_SIGNATURE)) return invalid("Not a PROXY protocol header");
  if (bytes.length <= V2_SIGNATURE.length) return INCOMPLETE;
  const version = bytes[12]! >> 4;
  const command = bytes[12]! & 0x0f;
  if (version !== 2) return invalid(`PROXY v2 version is ${version}, expected 2`);
  if (command !== COMMAND_LOCAL && command !== COMMAND_PROXY) {
    return invalid(`PROXY v2 command is ${command}, expected 0 (LOCAL) or 1 (PROXY)`);
  }
  if (bytes.length < 14) return INCOMPLETE;
  const familyProtocol = bytes[13]!;
  // LOCAL ignores the family altogether (spec section 2.2), so only PROXY checks it.
  if (command === COMMAND_PROXY) {
    if (familyProtocol >> 4 > 3) {
      return invalid(`PROXY v2 address family is ${familyProtocol >> 4}, expected 0 to 3`);
    }
    if ((familyProtocol & 0x0f) > 2) {
      return invalid(`PROXY v2 transport protocol is ${familyProtocol & 0x0f}, expected 0 to 2`);
    }
  }
  if (bytes.length < PROXY_V2_FIXED_BYTES) return INCOMPLETE;
  const blockLength = (bytes[14]! << 8) | bytes[15]!;
  const length = PROXY_V2_FIXED_BYTES + blockLength;
  if (length > maxHeaderBytes) {
    return invalid(
      `PROXY v2 header of ${length} bytes is longer than the limit of ${maxHeaderBytes}`,
    );
  }
  const block = command === COMMAND_PROXY ? ADDRESS_BLOCKS.get(familyProtocol) : undefined;
  if (block !== undefined && blockLength < block.bytes) {
    return invalid(
      `PROXY v2 address block of ${blockLength} bytes is too short for ${block.name} (${block.bytes})`,
    );
  }
  if (bytes.length < length) return INCOMPLETE;
  const header = bytes.subarray(0, length);
  // Without a known address layout there is no telling where TLVs start: skip it all.
  if (block !== undefined) {
    const problem = checkTlvs(header, PROXY_V2_FIXED_BYTES + block.bytes);
    if (problem !== undefined) return invalid(problem);
  }
  return { kind: "header", version: 2, length, source: v2Source(header, familyProtocol, command) };
}

function v2Source(
  header: Uint8Array,
  familyProtocol: number,
  command: number,
): HostPort | undefined {
  if (command !== COMMAND_PROXY) return undefined;
  const addresses = header.subarray(PROXY_V2_FIXED_BYTES);
  if (familyProtocol === TCP_OVER_IPV4) {
    return {
      hostname: formatIPv4(addresses.subarray(0, 4)),
      port: (addresses[8]! << 8) | addresses[9]!,
    };
  }
  if (familyProtocol === TCP_OVER_IPV6) {
    return {
      hostname: formatIPv6(addresses.subarray(0, 16)),
      port: (addresses[32]! << 8) | addresses[33]!,
    };
  }
  // UNSPEC, UDP and UNIX sockets: the spec lets a receiver fall back to the real endpoints.
  return undefined;
}

/**
 * Checks that the TLVs after the addresses exactly fill the header, and
 * verifies a CRC32C TLV if there is one (the spec requires that of receivers
 * that support it).
 *
 * @returns Why the TLVs are invalid, or `undefined` if they are fine.
 */
function checkTlvs(header: Uint8Array, start: number): string | undefined {
  let offset = start;
  while (offset < header.length) {
    if (header.length - offset < 3) return `PROXY v2 TLV at byte ${offset} is truncated`;
    const type = header[offset]!;
    const valueLength = (header[offset + 1]! << 8) | header[offset + 2]!;
    const valueStart = offset + 3;
    if (valueStart + valueLength > header.length) {
      return `PROXY v2 TLV at byte ${offset} runs past the end of the header`;
    }
    if (type === TLV_CRC32C) {
      if (valueLength !== 4) return `PROXY v2 CRC32C TLV is ${valueLength} bytes long, expected 4`;
      const expected = new DataView(header.buffer, header.byteOffset + valueStart, 4).getUint32(0);
      // The sender computed it over the whole header with the value zeroed.
      const before = crc32c(header.subarray(0, valueStart));
      const zeroed = crc32c(header.subarray(valueStart + 4), crc32c(new Uint8Array(4), before));
      if (zeroed !== expected) return "PROXY v2 CRC32C checksum does not match";
    }
    offset = valueStart + valueLength;
  }
  return undefined;
}
