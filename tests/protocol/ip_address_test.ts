import assert from "@nanochat/assert";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../../protocol/ip_address.ts";

Deno.test("parseIPv4() reads dotted quads and refuses anything else", () => {
  const valid: [string, number[]][] = [
    ["0.0.0.0", [0, 0, 0, 0]],
    ["127.0.0.1", [127, 0, 0, 1]],
    ["255.255.255.255", [255, 255, 255, 255]],
    ["10.20.30.40", [10, 20, 30, 40]],
  ];
  for (const [text, bytes] of valid) {
    assert.deepEqual(parseIPv4(text), Uint8Array.from(bytes), text);
  }
  const invalid = [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "1.1.1.999",
    "01.1.1.1",
    "1.1.1.00",
    "1..1.1",
    ".1.1.1",
    "1.1.1.1.",
    " 1.1.1.1",
    "+1.1.1.1",
    "-1.1.1.1",
    "0x1.1.1.1",
    "1e2.1.1.1",
    "1.1.1.1/24",
    "١.1.1.1",
    "::1",
  ];
  for (const text of invalid) assert.equal(parseIPv4(text), undefined, JSON.stringify(text));
});

Deno.test("parseIPv6() reads every RFC 4291 text form and formatIPv6() writes it as Deno does", () => {
  // Expected forms are Rust's Ipv6Addr display, which Deno uses for remoteAddr.hostname.
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["0000:0000:0000:0000:0000:0000:0000:0000", "::"],
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"],
    ["fe80::1:2", "fe80::1:2"],
    ["1::", "1::"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
    ["1:0:0:1:0:0:0:1", "1:0:0:1::1"],
    ["1:0:0:0:1:0:0:1", "1::1:0:0:1"],
    ["1:0:0:1:1:0:0:1", "1::1:1:0:0:1"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    ["::ffff:127.0.0.1", "::ffff:127.0.0.1"],
    ["::FFFF:7F00:1", "::ffff:127.0.0.1"],
    ["0:0:0:0:0:ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::ffff:0.0.0.0", "::ffff:0.0.0.0"],
    // Only IPv4-mapped addresses get a dotted quad; IPv4-compatible and NAT64 ones do not.
    ["::1.2.3.4", "::102:304"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["::fffe:1.2.3.4", "::fffe:102:304"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  ];
  for (const [text, formatted] of cases) {
    const bytes = parseIPv6(text);
    if (bytes === undefined) throw new Error(`${text} was refused`);
    assert.equal(formatIPv6(bytes), formatted, text);
    assert.deepEqual(parseIPv6(formatted), bytes, `${formatted} reads back`);
  }
});

Deno.test("parseIPv6() refuses what is not an IPv6 address", () => {
  const invalid = [
    "",
    ":",
    ":::",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4::5:6:7:8",
    "1::2::3",
    "::1::",
    ":1::",
    "1::2:",
    ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:",
    "1:::2",
    "12345::",
    "g::",
    "[::1]",
    "::1%eth0",
    "1.2.3.4",
    "1.2.3.4::",
    "::1.2.3.4:1",
    "::ffff:1.2.3.04",
    "::ffff:1.2.3",
    "::ffff:256.0.0.1",
    "1:2:3:4:5:6:7:1.2.3.4",
    " ::1",
    "::1 ",
    "::+1",
    "::-1",
    "::0x1",
  ];
  for (const text of invalid) assert.equal(parseIPv6(text), undefined, JSON.stringify(text));
});

Deno.test("formatIPv4() and formatIPv6() throw RangeError for the wrong number of bytes", () => {
  assert.equal(formatIPv4(Uint8Array.of(192, 0, 2, 1)), "192.0.2.1");
  assert.throws(() => formatIPv4(new Uint8Array(3)), RangeError);
  assert.throws(() => formatIPv4(new Uint8Array(16)), RangeError);
  assert.throws(() => formatIPv6(new Uint8Array(4)), RangeError);
  assert.throws(() => formatIPv6(new Uint8Array(17)), RangeError);
});

Deno.test("formatIPv6() writes the addresses Deno reports for IPv6 and IPv4 clients of a dual-stack listener", async () => {
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname: "::", port: 0 });
  } catch (error) {
    // A host without IPv6 cannot show Deno's formatting; the table above still pins it.
    if (error instanceof Deno.errors.AddrNotAvailable) return;
    throw error;
  }
  using _listener = listener;
  for (const [connectTo, written] of [["::1", "0:0:0:0:0:0:0:1"], ["127.0.0.1", "::ffff:7f00:1"]]) {
    using client = await Deno.connect({ hostname: connectTo!, port: listener.addr.port });
    using accepted = await listener.accept();
    assert.equal(client.localAddr.transport, "tcp");
    assert.equal(accepted.remoteAddr.hostname, formatIPv6(parseIPv6(written!)!), connectTo);
  }
});
