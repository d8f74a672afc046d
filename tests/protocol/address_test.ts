import assert from "@nanochat/assert";
import {
  DEFAULT_PORT,
  formatHostPort,
  type HostPort,
  parseHostPort,
} from "../../protocol/address.ts";

const defaults: HostPort = { hostname: "0.0.0.0", port: DEFAULT_PORT };

Deno.test("parseHostPort() fills what is left out from the defaults", () => {
  assert.equal(DEFAULT_PORT, 7777);
  const cases: { text: string; expected: HostPort }[] = [
    { text: "", expected: { hostname: "0.0.0.0", port: 7777 } },
    { text: "host", expected: { hostname: "host", port: 7777 } },
    { text: ":8000", expected: { hostname: "0.0.0.0", port: 8000 } },
    { text: "host:8000", expected: { hostname: "host", port: 8000 } },
    { text: "localhost:7777", expected: { hostname: "localhost", port: 7777 } },
    { text: "8000", expected: { hostname: "0.0.0.0", port: 8000 } },
    { text: "0", expected: { hostname: "0.0.0.0", port: 0 } },
    { text: "65535", expected: { hostname: "0.0.0.0", port: 65535 } },
    { text: "[::1]", expected: { hostname: "::1", port: 7777 } },
    { text: "[::1]:8000", expected: { hostname: "::1", port: 8000 } },
    { text: "[::]:0", expected: { hostname: "::", port: 0 } },
    { text: "::1", expected: { hostname: "::1", port: 7777 } },
    { text: "fe80::1", expected: { hostname: "fe80::1", port: 7777 } },
    { text: "127.0.0.1", expected: { hostname: "127.0.0.1", port: 7777 } },
    { text: "127.0.0.1:0", expected: { hostname: "127.0.0.1", port: 0 } },
    { text: "example.com:65535", expected: { hostname: "example.com", port: 65535 } },
  ];
  for (const { text, expected } of cases) {
    assert.deepEqual(parseHostPort(text, defaults), expected, JSON.stringify(text));
  }
});

Deno.test("parseHostPort() throws SyntaxError for what is not an address", () => {
  const texts = [
    "host:",
    "host:abc",
    "host:70000",
    "host:65536",
    "host:-1",
    "host:+80",
    "host: 80",
    "host:8000x",
    "host:123456",
    "70000",
    "123456",
    ":",
    ":abc",
    "[::1",
    "[::1]x",
    "[::1]:",
    "[::1]:abc",
    "[::1]8000",
  ];
  for (const text of texts) {
    assert.throws(() => parseHostPort(text, defaults), SyntaxError, JSON.stringify(text));
  }
});

Deno.test("parseHostPort() names the address in its error message", () => {
  assert.throws(
    () => parseHostPort("host:abc", defaults),
    (error: unknown) => error instanceof SyntaxError && error.message.includes('"host:abc"'),
  );
  assert.throws(
    () => parseHostPort("[::1", defaults),
    (error: unknown) => error instanceof SyntaxError && error.message.includes('"[::1"'),
  );
});

Deno.test("formatHostPort() writes host:port and brackets IPv6 hosts", () => {
  const cases: { address: HostPort; expected: string }[] = [
    { address: { hostname: "localhost", port: 7777 }, expected: "localhost:7777" },
    { address: { hostname: "127.0.0.1", port: 0 }, expected: "127.0.0.1:0" },
    { address: { hostname: "0.0.0.0", port: 8000 }, expected: "0.0.0.0:8000" },
    { address: { hostname: "::1", port: 8000 }, expected: "[::1]:8000" },
    { address: { hostname: "::", port: 7777 }, expected: "[::]:7777" },
    { address: { hostname: "fe80::1", port: 1 }, expected: "[fe80::1]:1" },
  ];
  for (const { address, expected } of cases) {
    assert.equal(formatHostPort(address), expected, JSON.stringify(address));
  }
});

Deno.test("parseHostPort() reads back what formatHostPort() writes", () => {
  const addresses: HostPort[] = [
    { hostname: "localhost", port: 7777 },
    { hostname: "127.0.0.1", port: 0 },
    { hostname: "::1", port: 8000 },
    { hostname: "::", port: 65535 },
    { hostname: "2001:db8::1", port: 443 },
  ];
  for (const address of addresses) {
    assert.deepEqual(
      parseHostPort(formatHostPort(address), defaults),
      address,
      JSON.stringify(address),
    );
  }
});
