import assert from "@nanochat/assert";
import type { HostPort } from "../../protocol/address.ts";
import { crc32c } from "../../protocol/crc32c.ts";
import {
  DEFAULT_MAX_PROXY_HEADER_BYTES,
  parseProxyHeader,
  PROXY_MAX_HEADER_BYTES,
  PROXY_V1_MAX_BYTES,
  PROXY_V2_FIXED_BYTES,
  type ProxyHeaderResult,
} from "../../protocol/proxy_header.ts";

/** One byte per character, so tests can write any byte. */
function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}

/** Bytes from hex digits; spaces are for reading only. */
function hex(digits: string): Uint8Array {
  const clean = digits.replaceAll(" ", "");
  return Uint8Array.from(
    { length: clean.length / 2 },
    (_, i) => parseInt(clean.slice(i * 2, i * 2 + 2), 16),
  );
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

const SIGNATURE = hex("0d0a0d0a 000d0a51 5549540a");

/** A version 2 header: signature, the two command bytes, the length, then the block. */
function v2(versionCommand: number, familyProtocol: number, ...block: Uint8Array[]): Uint8Array {
  const body = concat(...block);
  return concat(
    SIGNATURE,
    Uint8Array.of(versionCommand, familyProtocol, body.length >> 8, body.length & 0xff),
    body,
  );
}

function tlv(type: number, value: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(type, value.length >> 8, value.length & 0xff), value);
}

/** Sets the value of the CRC32C TLV, which starts at `valueAt`, to the header's checksum. */
function withCrc32c(header: Uint8Array, valueAt: number): Uint8Array {
  const signed = header.slice();
  signed.fill(0, valueAt, valueAt + 4);
  new DataView(signed.buffer).setUint32(valueAt, crc32c(signed));
  return signed;
}

/** TCP over IPv4 addresses 192.0.2.7:50123 -> 198.51.100.1:7777. */
const TCP4_BLOCK = hex("c0000207 c6336401 c3cb 1e61");
/** TCP over IPv6 addresses [2001:db8::7]:50123 -> [2001:db8::1]:7777. */
const TCP6_BLOCK = hex(
  "20010db8 00000000 00000000 00000007 20010db8 00000000 00000000 00000001 c3cb 1e61",
);
const TCP6_SOURCE = { hostname: "2001:db8::7", port: 50123 };
const TCP4_SOURCE = { hostname: "192.0.2.7", port: 50123 };

/** Written by HAProxy 2.6 (`send-proxy`, `send-proxy-v2`) in front of a Deno listener. */
const HAPROXY = {
  v1Tcp4: ascii("PROXY TCP4 127.0.0.1 127.0.0.1 41196 19101\r\n"),
  v1Tcp6: ascii("PROXY TCP6 ::1 ::1 57820 19102\r\n"),
  /** An IPv4 client of a dual-stack (`v4v6`) frontend. */
  v1Mapped: ascii("PROXY TCP6 ::ffff:127.0.0.1 ::ffff:127.0.0.1 59192 19105\r\n"),
  v2Tcp4: hex("0d0a0d0a000d0a515549540a 21 11 000c 7f000001 7f000001 c68a 4a9f"),
  /** `proxy-v2-options crc32c,unique-id`, unique ID "abc123-::1". */
  v2Tcp6Tlvs: hex(
    "0d0a0d0a000d0a515549540a 21 21 0038" +
      "00000000000000000000000000000001 00000000000000000000000000000001 8b7e 4aa0" +
      "03 0004 24ac7c20 05 000a 6162633132332d3a3a31",
  ),
  /** An IPv4 client of a dual-stack frontend, with `proxy-v2-options crc32c`. */
  v2MappedCrc: hex(
    "0d0a0d0a000d0a515549540a 21 21 002b" +
      "00000000000000000000ffff7f000001 00000000000000000000ffff7f000001 de5e 4aa2" +
      "03 0004 ec02cdfe",
  ),
  /** A health check (`check-send-proxy`). */
  v2Local: hex("0d0a0d0a000d0a515549540a 20 00 0000"),
};

interface ValidCase {
  name: string;
  header: Uint8Array;
  version: 1 | 2;
  source: HostPort | undefined;
}

const longestTcp6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
const paddingTo = (total: number) => tlv(0x04, new Uint8Array(total - 16 - 12 - 3));

const VALID: ValidCase[] = [
  {
    name: "HAProxy v1 TCP4",
    header: HAPROXY.v1Tcp4,
    version: 1,
    source: { hostname: "127.0.0.1", port: 41196 },
  },
  {
    name: "HAProxy v1 TCP6",
    header: HAPROXY.v1Tcp6,
    version: 1,
    source: { hostname: "::1", port: 57820 },
  },
  {
    name: "HAProxy v1 TCP6 with an IPv4-mapped address",
    header: HAPROXY.v1Mapped,
    version: 1,
    source: { hostname: "::ffff:127.0.0.1", port: 59192 },
  },
  {
    name: "v1 TCP4 at the limits of its fields",
    header: ascii("PROXY TCP4 255.255.255.255 0.0.0.0 65535 0\r\n"),
    version: 1,
    source: { hostname: "255.255.255.255", port: 65535 },
  },
  {
    name: "v1 TCP4 with port 0",
    header: ascii("PROXY TCP4 10.0.0.1 10.0.0.2 0 7777\r\n"),
    version: 1,
    source: { hostname: "10.0.0.1", port: 0 },
  },
  {
    name: "v1 TCP6 uncompressed and upper case, shown as Deno shows it",
    header: ascii("PROXY TCP6 2001:0DB8:0000:0000:0000:0000:0000:0007 ::1 50123 7777\r\n"),
    version: 1,
    source: TCP6_SOURCE,
  },
  {
    name: "v1 TCP6 of the longest length the spec gives (104 bytes)",
    header: ascii(`PROXY TCP6 ${longestTcp6} ${longestTcp6} 65535 65535\r\n`),
    version: 1,
    source: { hostname: longestTcp6, port: 65535 },
  },
  {
    name: "v1 UNKNOWN, short form",
    header: ascii("PROXY UNKNOWN\r\n"),
    version: 1,
    source: undefined,
  },
  {
    name: "v1 UNKNOWN of the longest length the spec gives (107 bytes)",
    header: ascii(`PROXY UNKNOWN ${longestTcp6} ${longestTcp6} 65535 65535\r\n`),
    version: 1,
    source: undefined,
  },
  {
    name: "v1 UNKNOWN followed by anything before the CRLF",
    header: ascii("PROXY UNKNOWN whatever\tthe \x00proxy\xffsaw\r\n"),
    version: 1,
    source: undefined,
  },
  {
    name: "HAProxy v2 PROXY TCP4",
    header: HAPROXY.v2Tcp4,
    version: 2,
    source: { hostname: "127.0.0.1", port: 50826 },
  },
  {
    name: "HAProxy v2 PROXY TCP6 with CRC32C and unique-ID TLVs",
    header: HAPROXY.v2Tcp6Tlvs,
    version: 2,
    source: { hostname: "::1", port: 35710 },
  },
  {
    name: "HAProxy v2 PROXY TCP6 with an IPv4-mapped address and a CRC32C TLV",
    header: HAPROXY.v2MappedCrc,
    version: 2,
    source: { hostname: "::ffff:127.0.0.1", port: 56926 },
  },
  { name: "HAProxy v2 LOCAL", header: HAPROXY.v2Local, version: 2, source: undefined },
  { name: "v2 PROXY TCP4", header: v2(0x21, 0x11, TCP4_BLOCK), version: 2, source: TCP4_SOURCE },
  {
    name: "v2 PROXY TCP4 with ports 0 and 65535",
    header: v2(0x21, 0x11, hex("c0000207 c6336401 0000 ffff")),
    version: 2,
    source: { hostname: "192.0.2.7", port: 0 },
  },
  { name: "v2 PROXY TCP6", header: v2(0x21, 0x21, TCP6_BLOCK), version: 2, source: TCP6_SOURCE },
  {
    name: "v2 PROXY TCP4 with an empty NOOP TLV and a custom TLV",
    header: v2(0x21, 0x11, TCP4_BLOCK, tlv(0x04, new Uint8Array()), tlv(0xe0, ascii("vpce-1"))),
    version: 2,
    source: TCP4_SOURCE,
  },
  {
    name: "v2 PROXY TCP6 with a TLS TLV and its sub-TLVs",
    header: v2(
      0x21,
      0x21,
      TCP6_BLOCK,
      tlv(0x20, concat(hex("01 00000000"), tlv(0x21, ascii("TLSv1.3")), tlv(0x22, ascii("cn")))),
    ),
    version: 2,
    source: TCP6_SOURCE,
  },
  {
    name: "v2 PROXY TCP4 with a CRC32C TLV",
    header: withCrc32c(v2(0x21, 0x11, TCP4_BLOCK, tlv(0x03, new Uint8Array(4))), 31),
    version: 2,
    source: TCP4_SOURCE,
  },
  {
    name: "v2 PROXY TCP4 exactly as long as the default limit",
    header: v2(0x21, 0x11, TCP4_BLOCK, paddingTo(DEFAULT_MAX_PROXY_HEADER_BYTES)),
    version: 2,
    source: TCP4_SOURCE,
  },
  {
    name: "v2 LOCAL with an address block and TLVs, which it skips",
    header: v2(0x20, 0x11, TCP4_BLOCK, tlv(0x05, ascii("id"))),
    version: 2,
    source: undefined,
  },
  {
    name: "v2 LOCAL ignores the family byte, even one PROXY would refuse",
    header: v2(0x20, 0xff, hex("0102")),
    version: 2,
    source: undefined,
  },
  { name: "v2 PROXY UNSPEC", header: v2(0x21, 0x00), version: 2, source: undefined },
  {
    name: "v2 PROXY UNSPEC with address bytes, which it skips",
    header: v2(0x21, 0x00, hex("0102030405")),
    version: 2,
    source: undefined,
  },
  {
    name: "v2 PROXY of an unspecified protocol over IPv4, which falls back to UNSPEC",
    header: v2(0x21, 0x10, hex("0102")),
    version: 2,
    source: undefined,
  },
  {
    name: "v2 PROXY UDP over IPv4, which falls back to UNSPEC",
    header: v2(0x21, 0x12, TCP4_BLOCK),
    version: 2,
    source: undefined,
  },
  {
    name: "v2 PROXY UDP over IPv6, which falls back to UNSPEC",
    header: v2(0x21, 0x22, TCP6_BLOCK),
    version: 2,
    source: undefined,
  },
  {
    name: "v2 PROXY UNIX stream, which falls back to UNSPEC",
    header: v2(0x21, 0x31, new Uint8Array(216), tlv(0x02, ascii("chat.example"))),
    version: 2,
    source: undefined,
  },
];

Deno.test("parseProxyHeader() reads every valid header, alone and with data after it", () => {
  for (const { name, header, version, source } of VALID) {
    const expected: ProxyHeaderResult = { kind: "header", version, length: header.length, source };
    assert.deepEqual(parseProxyHeader(header), expected, name);
    const withData = concat(header, ascii("alice\r\n*hi\n"));
    assert.deepEqual(parseProxyHeader(withData), expected, `${name}, followed by data`);
    // Data that itself looks like a header does not change where this one ends.
    assert.deepEqual(parseProxyHeader(concat(header, header)), expected, `${name}, twice`);
  }
});

Deno.test("parseProxyHeader() answers incomplete for every proper prefix of a valid header", () => {
  for (const { name, header } of VALID) {
    for (let length = 0; length < header.length; length++) {
      assert.deepEqual(
        parseProxyHeader(header.subarray(0, length)),
        { kind: "incomplete" },
        `${name}, first ${length} of ${header.length} bytes`,
      );
    }
  }
});

Deno.test("parseProxyHeader() v1 lines are at most 107 bytes, as the spec says", () => {
  assert.equal(PROXY_V1_MAX_BYTES, 107);
  const longestUnknown = VALID.find((c) => c.name.startsWith("v1 UNKNOWN of the longest"))!;
  assert.equal(longestUnknown.header.length, 107);
  const longestTcp6Case = VALID.find((c) => c.name.startsWith("v1 TCP6 of the longest"))!;
  assert.equal(longestTcp6Case.header.length, 104);
});

interface InvalidCase {
  name: string;
  bytes: Uint8Array;
  reason: RegExp;
}

/** In `HAPROXY.v2Tcp6Tlvs`, the first byte of the unique ID, after the CRC32C TLV. */
const UNIQUE_ID_AT = PROXY_V2_FIXED_BYTES + 36 + 7 + 3;

const TCP4_V1 = "PROXY TCP4 192.0.2.7 198.51.100.1 50123 7777";

/** A v1 TCP line with one field replaced. */
function v1With(protocol: string, fields: string[]): Uint8Array {
  return ascii(`PROXY ${protocol} ${fields.join(" ")}\r\n`);
}

const BAD_IPV4 = [
  "256.0.0.1",
  "1.2.3.256",
  "01.2.3.4",
  "1.2.3.04",
  "1.2.3.00",
  "1.2.3",
  "1.2.3.4.5",
  "1..3.4",
  "1.2.3.",
  "+1.2.3.4",
  "1.2.3.4a",
  "0x7f.0.0.1",
  "::1",
  "::ffff:1.2.3.4",
  "1.2.3.\xb9",
];

const BAD_IPV6 = [
  "1.2.3.4",
  "[::1]",
  "::1%eth0",
  "fe80::1%1",
  "1::2::3",
  ":::",
  "::1::",
  ":1::",
  "1::2:",
  "1:::2",
  "1:2:3:4:5:6:7",
  "1:2:3:4:5:6:7:8:9",
  "1:2:3:4::5:6:7:8",
  "12345::1",
  "g::1",
  "1.2.3.4::",
  "::1.2.3.4:1",
  "::ffff:1.2.3.04",
  "::ffff:1.2.3",
  "1:2:3:4:5:6:7:1.2.3.4",
  "",
];

const BAD_PORTS = ["65536", "99999", "123456", "080", "00", "-1", "+1", "", "1e3", "0x10", "1.0"];

const INVALID: InvalidCase[] = [
  { name: "a chat login", bytes: ascii("alice\n"), reason: /^Not a PROXY protocol header$/ },
  { name: "an HTTP request", bytes: ascii("GET / HTTP/1.1\r\n"), reason: /^Not a PROXY/ },
  { name: "a TLS ClientHello", bytes: hex("16030100f8010000f40303"), reason: /^Not a PROXY/ },
  { name: "lower-case proxy", bytes: ascii(`proxy TCP4 1.2.3.4`), reason: /^Not a PROXY/ },
  { name: "PROXY without a space", bytes: ascii("PROXY\r\n"), reason: /^Not a PROXY/ },
  { name: "PROXY and a tab", bytes: ascii("PROXY\tTCP4"), reason: /^Not a PROXY/ },
  {
    name: "two spaces after PROXY",
    bytes: ascii(`PROXY  ${TCP4_V1.slice(6)}\r\n`),
    reason: /protocol/,
  },
  {
    name: "an unknown protocol",
    bytes: ascii("PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n"),
    reason: /protocol/,
  },
  {
    name: "lower-case tcp4",
    bytes: ascii("PROXY tcp4 1.2.3.4 1.2.3.4 1 2\r\n"),
    reason: /protocol/,
  },
  { name: "UNKNOWN glued to more", bytes: ascii("PROXY UNKNOWNX\r\n"), reason: /protocol/ },
  { name: "an empty protocol", bytes: ascii("PROXY \r\n"), reason: /protocol/ },
  { name: "UDP4", bytes: ascii("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n"), reason: /protocol/ },
  { name: "a bare LF", bytes: ascii(`${TCP4_V1}\n`), reason: /LF without CR/ },
  { name: "a bare LF in UNKNOWN", bytes: ascii("PROXY UNKNOWN\nx\r\n"), reason: /LF without CR/ },
  { name: "a CR then data", bytes: ascii(`${TCP4_V1}\rX`), reason: /CR not followed by LF/ },
  { name: "CR CR LF", bytes: ascii(`${TCP4_V1}\r\r\n`), reason: /CR not followed by LF/ },
  { name: "a trailing space", bytes: ascii(`${TCP4_V1} \r\n`), reason: /4 fields/ },
  { name: "a missing port", bytes: ascii("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n"), reason: /4 fields/ },
  { name: "a sixth field", bytes: ascii(`${TCP4_V1} 1\r\n`), reason: /4 fields/ },
  {
    name: "two spaces between fields",
    bytes: ascii("PROXY TCP4 1.2.3.4  1.2.3.4 1 2\r\n"),
    reason: /4 fields/,
  },
  {
    name: "a tab between fields",
    bytes: ascii("PROXY TCP4 1.2.3.4\t1.2.3.4 1 2\r\n"),
    reason: /4 fields/,
  },
  { name: "TCP4 without addresses", bytes: ascii("PROXY TCP4\r\n"), reason: /4 fields/ },
  {
    name: "TCP4 with IPv6 addresses",
    bytes: v1With("TCP4", ["::1", "::1", "1", "2"]),
    reason: /source address is not an IPv4/,
  },
  {
    name: "TCP6 with IPv4 addresses",
    bytes: v1With("TCP6", ["1.2.3.4", "1.2.3.4", "1", "2"]),
    reason: /source address is not an IPv6/,
  },
  ...BAD_IPV4.map((address) => ({
    name: `TCP4 source ${JSON.stringify(address)}`,
    bytes: v1With("TCP4", [address, "1.2.3.4", "1", "2"]),
    reason: /source address is not an IPv4 address/,
  })),
  ...BAD_IPV4.map((address) => ({
    name: `TCP4 destination ${JSON.stringify(address)}`,
    bytes: v1With("TCP4", ["1.2.3.4", address, "1", "2"]),
    reason: /destination address is not an IPv4 address/,
  })),
  ...BAD_IPV6.map((address) => ({
    name: `TCP6 source ${JSON.stringify(address)}`,
    bytes: v1With("TCP6", [address, "::1", "1", "2"]),
    reason: /source address is not an IPv6 address/,
  })),
  ...BAD_IPV6.map((address) => ({
    name: `TCP6 destination ${JSON.stringify(address)}`,
    bytes: v1With("TCP6", ["::1", address, "1", "2"]),
    reason: /destination address is not an IPv6 address/,
  })),
  ...BAD_PORTS.map((port) => ({
    name: `source port ${JSON.stringify(port)}`,
    bytes: v1With("TCP4", ["1.2.3.4", "1.2.3.4", port, "2"]),
    reason: /source port is not a port number/,
  })),
  ...BAD_PORTS.map((port) => ({
    name: `destination port ${JSON.stringify(port)}`,
    bytes: v1With("TCP4", ["1.2.3.4", "1.2.3.4", "1", port]),
    reason: /destination port is not a port number/,
  })),
  {
    name: "a NUL inside an address",
    bytes: ascii("PROXY TCP4 1.2.3.4\x00 1.2.3.4 1 2\r\n"),
    reason: /source address/,
  },
  {
    name: "106 bytes without a CR, which cannot end within 107",
    bytes: ascii(`PROXY UNKNOWN ${"a".repeat(92)}`),
    reason: /no CRLF within 107 bytes/,
  },
  {
    name: "a 108-byte line",
    bytes: ascii(`PROXY UNKNOWN ${"a".repeat(92)}\r\n`),
    reason: /no CRLF within 107 bytes/,
  },
  {
    name: "a 116-byte TCP6 line (uncompressed with dotted quads)",
    bytes: v1With("TCP6", [
      "0000:0000:0000:0000:0000:ffff:255.255.255.255",
      "0000:0000:0000:0000:0000:ffff:255.255.255.255",
      "65535",
      "65535",
    ]),
    reason: /no CRLF within 107 bytes/,
  },
  {
    name: "a kilobyte of garbage after PROXY",
    bytes: ascii(`PROXY ${"x".repeat(1024)}`),
    reason: /no CRLF within 107 bytes/,
  },
  {
    name: "a CR that breaks the v2 signature",
    bytes: ascii("\r\n\r\nalice\n"),
    reason: /^Not a PROXY/,
  },
  ...Array.from(SIGNATURE, (_, index) => {
    const bytes = v2(0x21, 0x11, TCP4_BLOCK);
    bytes[index] = bytes[index]! ^ 0xff;
    return { name: `v2 signature byte ${index} changed`, bytes, reason: /^Not a PROXY/ };
  }),
  { name: "v2 version 1", bytes: v2(0x11, 0x11, TCP4_BLOCK), reason: /version is 1, expected 2/ },
  { name: "v2 version 0", bytes: v2(0x01, 0x11, TCP4_BLOCK), reason: /version is 0, expected 2/ },
  { name: "v2 version 3", bytes: v2(0x31, 0x11, TCP4_BLOCK), reason: /version is 3, expected 2/ },
  { name: "v2 version 15", bytes: v2(0xf1, 0x11, TCP4_BLOCK), reason: /version is 15/ },
  { name: "v2 command 2", bytes: v2(0x22, 0x11, TCP4_BLOCK), reason: /command is 2/ },
  { name: "v2 command 15", bytes: v2(0x2f, 0x11, TCP4_BLOCK), reason: /command is 15/ },
  { name: "v2 address family 4", bytes: v2(0x21, 0x41, TCP4_BLOCK), reason: /address family is 4/ },
  {
    name: "v2 address family 15",
    bytes: v2(0x21, 0xf1, TCP4_BLOCK),
    reason: /address family is 15/,
  },
  {
    name: "v2 transport protocol 3",
    bytes: v2(0x21, 0x13, TCP4_BLOCK),
    reason: /transport protocol is 3/,
  },
  { name: "v2 transport protocol 15", bytes: v2(0x21, 0x0f), reason: /transport protocol is 15/ },
  {
    name: "v2 TCP4 with a truncated address block",
    bytes: v2(0x21, 0x11, TCP4_BLOCK.subarray(0, 11)),
    reason: /address block of 11 bytes is too short for TCP over IPv4 \(12\)/,
  },
  {
    name: "v2 TCP4 without an address block",
    bytes: v2(0x21, 0x11),
    reason: /address block of 0 bytes is too short/,
  },
  {
    name: "v2 TCP6 with an IPv4-sized address block",
    bytes: v2(0x21, 0x21, TCP4_BLOCK, new Uint8Array(23)),
    reason: /address block of 35 bytes is too short for TCP over IPv6 \(36\)/,
  },
  {
    name: "v2 UDP over IPv4 with a truncated address block",
    bytes: v2(0x21, 0x12, new Uint8Array(8)),
    reason: /too short for UDP over IPv4/,
  },
  {
    name: "v2 UNIX stream with a truncated address block",
    bytes: v2(0x21, 0x31, new Uint8Array(215)),
    reason: /too short for UNIX stream \(216\)/,
  },
  {
    name: "v2 length 65535, refused from the fixed header alone",
    bytes: concat(SIGNATURE, hex("21 11 ffff")),
    reason: /header of 65551 bytes is longer than the limit of 1040/,
  },
  {
    name: "v2 one byte over the default limit",
    bytes: v2(0x21, 0x11, TCP4_BLOCK, paddingTo(DEFAULT_MAX_PROXY_HEADER_BYTES + 1)),
    reason: /header of 1041 bytes is longer than the limit of 1040/,
  },
  {
    name: "v2 LOCAL over the limit",
    bytes: concat(SIGNATURE, hex("20 00 0fff")),
    reason: /longer than the limit/,
  },
  {
    name: "v2 TLV header cut to 1 byte",
    bytes: v2(0x21, 0x11, TCP4_BLOCK, hex("04")),
    reason: /TLV at byte 28 is truncated/,
  },
  {
    name: "v2 TLV header cut to 2 bytes",
    bytes: v2(0x21, 0x21, TCP6_BLOCK, tlv(0x04, new Uint8Array()), hex("0400")),
    reason: /TLV at byte 55 is truncated/,
  },
  {
    name: "v2 TLV running past the header",
    bytes: v2(0x21, 0x11, TCP4_BLOCK, hex("05 0004 616263")),
    reason: /TLV at byte 28 runs past the end of the header/,
  },
  {
    name: "v2 TLV length 65535 in a short header",
    bytes: v2(0x21, 0x11, TCP4_BLOCK, hex("e0 ffff 00")),
    reason: /runs past the end/,
  },
  {
    name: "v2 CRC32C TLV of 3 bytes",
    bytes: v2(0x21, 0x11, TCP4_BLOCK, tlv(0x03, hex("000000"))),
    reason: /CRC32C TLV is 3 bytes long, expected 4/,
  },
  {
    name: "v2 CRC32C TLV of 5 bytes",
    bytes: v2(0x21, 0x11, TCP4_BLOCK, tlv(0x03, hex("0000000000"))),
    reason: /CRC32C TLV is 5 bytes long, expected 4/,
  },
  {
    name: "v2 CRC32C of zero",
    bytes: v2(0x21, 0x11, TCP4_BLOCK, tlv(0x03, hex("00000000"))),
    reason: /CRC32C checksum does not match/,
  },
  {
    name: "HAProxy v2 with CRC32C, a source address byte changed",
    bytes: HAPROXY.v2MappedCrc.map((byte, index) => index === 31 ? byte ^ 1 : byte),
    reason: /CRC32C checksum does not match/,
  },
  {
    name: "HAProxy v2 with CRC32C, a byte of the fixed header changed",
    bytes: HAPROXY.v2Tcp6Tlvs.map((byte, index) => index === 13 ? 0x22 : byte),
    reason: /CRC32C checksum does not match/,
  },
  {
    name: "HAProxy v2 with CRC32C, a TLV byte changed",
    bytes: HAPROXY.v2Tcp6Tlvs.map((byte, index) => index === UNIQUE_ID_AT ? 0x41 : byte),
    reason: /CRC32C checksum does not match/,
  },
];

Deno.test("parseProxyHeader() refuses every malformed header with a reason that names the fault", () => {
  for (const { name, bytes, reason } of INVALID) {
    const result = parseProxyHeader(bytes);
    assert.equal(result.kind, "invalid", `${name}: ${JSON.stringify(result)}`);
    if (result.kind === "invalid") assert.match(result.reason, reason, name);
    // More bytes never rescue a header already found invalid.
    const longer = parseProxyHeader(concat(bytes, ascii("\r\nmore\r\n")));
    assert.deepEqual(longer, result, `${name}, with more bytes`);
  }
});

Deno.test("parseProxyHeader() reasons are sentence case without a trailing period", () => {
  for (const { name, bytes } of INVALID) {
    const result = parseProxyHeader(bytes);
    if (result.kind !== "invalid") continue;
    assert.match(result.reason, /^[A-Z]/, name);
    assert.doesNotMatch(result.reason, /\.$/, name);
  }
});

Deno.test("parseProxyHeader() refuses as soon as the bytes received cannot start a header", () => {
  const cases: { name: string; bytes: Uint8Array }[] = [
    { name: "a first byte that starts neither version", bytes: ascii("a") },
    { name: "a v1 prefix gone wrong", bytes: ascii("PROXX") },
    { name: "a v2 signature gone wrong", bytes: ascii("\r\n\r\n\x01") },
    { name: "a bad v2 version before the family byte", bytes: concat(SIGNATURE, hex("11")) },
    { name: "a bad v2 family before the length", bytes: concat(SIGNATURE, hex("21 51")) },
    { name: "a v2 length too short for the family", bytes: concat(SIGNATURE, hex("21 21 0010")) },
    { name: "a v1 bare LF", bytes: ascii("PROXY \n") },
  ];
  for (const { name, bytes } of cases) {
    assert.equal(parseProxyHeader(bytes).kind, "invalid", name);
  }
});

Deno.test("parseProxyHeader() waits for the CRLF up to the 107-byte limit and no further", () => {
  const line = ascii(`PROXY UNKNOWN ${"a".repeat(92)}`); // 106 bytes, no room left for the CRLF
  assert.deepEqual(parseProxyHeader(line.subarray(0, 105)), { kind: "incomplete" });
  assert.equal(parseProxyHeader(line).kind, "invalid");
  const fits = concat(line.subarray(0, 105), ascii("\r"));
  assert.deepEqual(parseProxyHeader(fits), { kind: "incomplete" });
  assert.deepEqual(parseProxyHeader(concat(fits, ascii("\n"))), {
    kind: "header",
    version: 1,
    length: 107,
    source: undefined,
  });
});

Deno.test("parseProxyHeader() honours a lower maxHeaderBytes for v2 headers", () => {
  const header = v2(0x21, 0x11, TCP4_BLOCK, tlv(0x05, new Uint8Array(200)));
  assert.equal(header.length, 231);
  assert.equal(parseProxyHeader(header, { maxHeaderBytes: 231 }).kind, "header");
  const refused = parseProxyHeader(header.subarray(0, 16), { maxHeaderBytes: 230 });
  assert.deepEqual(refused, {
    kind: "invalid",
    reason: "PROXY v2 header of 231 bytes is longer than the limit of 230",
  });
  // v1 lines are bounded by the spec, not by the option, whose minimum fits them all.
  const longest = VALID.find((c) => c.header.length === 107)!.header;
  assert.equal(parseProxyHeader(longest, { maxHeaderBytes: 107 }).kind, "header");
});

Deno.test("parseProxyHeader() accepts the largest header the format allows when asked to", () => {
  const header = v2(0x21, 0x11, TCP4_BLOCK, tlv(0x04, new Uint8Array(0xffff - 12 - 3)));
  assert.equal(header.length, PROXY_MAX_HEADER_BYTES);
  const result = parseProxyHeader(header, { maxHeaderBytes: PROXY_MAX_HEADER_BYTES });
  assert.deepEqual(result, {
    kind: "header",
    version: 2,
    length: PROXY_MAX_HEADER_BYTES,
    source: TCP4_SOURCE,
  });
});

Deno.test("parseProxyHeader() throws RangeError for a maxHeaderBytes out of range", () => {
  for (const maxHeaderBytes of [0, 106, PROXY_MAX_HEADER_BYTES + 1, 500.5, NaN, Infinity]) {
    assert.throws(
      () => parseProxyHeader(HAPROXY.v2Tcp4, { maxHeaderBytes }),
      RangeError,
      String(maxHeaderBytes),
    );
  }
});

/** mulberry32: a tiny seeded PRNG, so a failing input can be replayed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A valid header with a few random changes, cuts or additions, or random bytes. */
function randomInput(random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  if (random() < 0.1) {
    return Uint8Array.from({ length: pick(1200) }, () => pick(256));
  }
  const bytes = [...VALID[pick(VALID.length)]!.header];
  for (let edits = pick(4); edits > 0; edits--) {
    const at = pick(bytes.length + 1);
    const kind = pick(4);
    const byte = [0x0d, 0x0a, 0x20, 0x3a, 0x2e, 0x30, 0x00, 0xff][pick(8)]!;
    if (kind === 0) bytes[at] = random() < 0.5 ? byte : pick(256);
    else if (kind === 1) bytes.splice(at, 1);
    else if (kind === 2) bytes.splice(at, 0, byte);
    else bytes.splice(at, 0, ...new Array<number>(pick(1100)).fill(pick(256)));
  }
  bytes.push(...Array.from({ length: pick(40) }, () => pick(256)));
  return Uint8Array.from(bytes);
}

Deno.test("parseProxyHeader() answers consistently for every prefix of random inputs", () => {
  const seed = 0x9209;
  const random = mulberry32(seed);
  for (let run = 0; run < 300; run++) {
    const input = randomInput(random);
    const context = `seed ${seed}, run ${run}`;
    const final = parseProxyHeader(input);
    for (let length = 0; length <= input.length; length++) {
      const result = parseProxyHeader(input.subarray(0, length));
      if (result.kind === "incomplete") {
        assert.ok(length < DEFAULT_MAX_PROXY_HEADER_BYTES, `incomplete at ${length} (${context})`);
        continue;
      }
      if (result.kind === "header") assert.ok(result.length <= length, context);
      // An answer other than incomplete is final: more bytes never change it.
      for (let more = length; more <= Math.min(input.length, length + 64); more++) {
        const later = parseProxyHeader(input.subarray(0, more));
        assert.deepEqual(
          later,
          result,
          `answer changed from ${length} to ${more} bytes (${context})`,
        );
      }
      assert.deepEqual(final, result, `answer changed after ${length} bytes (${context})`);
      break;
    }
  }
});
