/**
 * Reads IPv4 and IPv6 addresses from text into bytes, strictly, and writes
 * bytes back as text exactly the way Deno shows `remoteAddr.hostname`, so an
 * address that arrived in a PROXY header and one Deno reported for a direct
 * connection compare equal as strings.
 *
 * Deno formats with Rust's `Ipv6Addr` display: lower-case hex without leading
 * zeros, the first longest run of two or more zero groups written `::`
 * (RFC 5952), and an IPv4-mapped address as `::ffff:` and a dotted quad.
 *
 * @module
 */

/**
 * Parses an IPv4 address in dotted-quad form.
 *
 * Exactly four decimal numbers 0 to 255 separated by single dots; a number
 * with a leading zero is refused, as it could be read as octal.
 *
 * @param text The address, such as `192.0.2.1`.
 * @returns The 4 bytes in network order, or `undefined` if the text is not a
 * dotted quad.
 *
 * @example Parsing and refusing
 * ```ts
 * import { parseIPv4 } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseIPv4("192.0.2.1"), Uint8Array.of(192, 0, 2, 1));
 * assert.equal(parseIPv4("192.0.2.01"), undefined);
 * ```
 */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [index, part] of parts.entries()) {
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[index] = value;
  }
  return bytes;
}

/**
 * Parses an IPv6 address in any of the text forms of RFC 4291 section 2.2:
 * eight groups of one to four hex digits in either case, at most one `::`
 * standing for one or more zero groups, and optionally a dotted quad in
 * place of the last two groups. Brackets and zone IDs (`%eth0`) are refused.
 *
 * @param text The address, such as `2001:db8::1` or `::ffff:192.0.2.1`.
 * @returns The 16 bytes in network order, or `undefined` if the text is not
 * an IPv6 address.
 *
 * @example Parsing and refusing
 * ```ts
 * import { parseIPv6 } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseIPv6("::1"), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
 * assert.equal(parseIPv6("1::2::3"), undefined);
 * ```
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const head = parseGroups(halves[0]!, !compressed);
  const tail = compressed ? parseGroups(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const explicit = head.length + tail.length;
  if (compressed ? explicit > 7 : explicit !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (const [index, group] of groups.entries()) {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  }
  return bytes;
}

/**
 * The 16-bit groups of one side of a `::` (or of a whole address without
 * one); a dotted quad counts as two groups and may only end the address.
 */
function parseGroups(text: string, endsAddress: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (const [index, part] of parts.entries()) {
    if (endsAddress && index === parts.length - 1 && part.includes(".")) {
      const quad = parseIPv4(part);
      if (quad === undefined) return undefined;
      groups.push((quad[0]! << 8) | quad[1]!, (quad[2]! << 8) | quad[3]!);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/**
 * Writes 4 bytes as a dotted quad.
 *
 * @param bytes An IPv4 address in network order.
 * @returns The address, such as `192.0.2.1`.
 * @throws {RangeError} If `bytes` is not 4 bytes long.
 */
export function formatIPv4(bytes: Uint8Array): string {
  if (bytes.length !== 4) throw new RangeError(`An IPv4 address is 4 bytes, got ${bytes.length}`);
  return bytes.join(".");
}

/**
 * Writes 16 bytes as Deno shows an IPv6 `remoteAddr.hostname`.
 *
 * @param bytes An IPv6 address in network order.
 * @returns The address, such as `::1`, `2001:db8::1` or `::ffff:192.0.2.1`.
 * @throws {RangeError} If `bytes` is not 16 bytes long.
 *
 * @example The forms Deno uses
 * ```ts
 * import { formatIPv6, parseIPv6 } from "./ip_address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatIPv6(parseIPv6("2001:0DB8:0:0:0:0:0:0001")!), "2001:db8::1");
 * assert.equal(formatIPv6(parseIPv6("::FFFF:7F00:1")!), "::ffff:127.0.0.1");
 * ```
 */
export function formatIPv6(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`An IPv6 address is 16 bytes, got ${bytes.length}`);
  if (
    bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff
  ) {
    return `::ffff:${formatIPv4(bytes.subarray(12))}`;
  }
  const groups = Array.from(
    { length: 8 },
    (_, index) => (bytes[index * 2]! << 8) | bytes[index * 2 + 1]!,
  );
  // The first longest run of zero groups; a lone zero group is never compressed.
  let runStart = 0;
  let runLength = 0;
  for (let start = 0; start < 8; start++) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > runLength) [runStart, runLength] = [start, end - start];
    start = end;
  }
  const hex = (list: number[]) => list.map((group) => group.toString(16)).join(":");
  if (runLength < 2) return hex(groups);
  return `${hex(groups.slice(0, runStart))}::${hex(groups.slice(runStart + runLength))}`;
}
