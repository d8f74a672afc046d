import assert from "@nanochat/assert";
import { AddressList } from "../../server/connection_limits.ts";
import { TestClient } from "../support/test_client.ts";
import { startServer, type TestServer } from "../support/test_server.ts";

const encoder = new TextEncoder();

function behindProxy(options: { maxConnectionsPerIp?: number } = {}): Promise<TestServer> {
  return startServer({ trustedProxies: new AddressList("127.0.0.1"), ...options });
}

/** A v2 header for a TCP over IPv4 client. */
function proxyV2(source: [number, number, number, number], sourcePort: number): Uint8Array {
  const header = new Uint8Array(28);
  header.set([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  header.set([0x21, 0x11, 0x00, 12], 12);
  header.set(source, 16);
  header.set([127, 0, 0, 1], 20);
  header.set([sourcePort >> 8, sourcePort & 0xff, 0x1e, 0x61], 24);
  return header;
}

Deno.test("a trusted proxy's PROXY v1 header names the client in the log", async () => {
  await using ts = await behindProxy();
  await using alice = await TestClient.connect(ts.port);
  await alice.sendBytes(encoder.encode("PROXY TCP4 192.0.2.7 127.0.0.1 50123 7777\r\nalice\n"));
  assert.match(await alice.readLine(), /^NOTICE welcome: Welcome to nanochat \S+, alice!/);
  await ts.waitForLog(/ connect conn=\d+ addr=192\.0\.2\.7:50123$/);
});

Deno.test("a PROXY v2 header works byte by byte, and LOCAL keeps the proxy's address", async () => {
  await using ts = await behindProxy();
  await using bob = await TestClient.connect(ts.port);
  for (const byte of proxyV2([198, 51, 100, 9], 40000)) await bob.sendBytes(new Uint8Array([byte]));
  await bob.send("bob");
  assert.match(await bob.readLine(), /^NOTICE welcome: /);
  await ts.waitForLog(/ connect conn=\d+ addr=198\.51\.100\.9:40000$/);
  await using check = await TestClient.connect(ts.port);
  const local = proxyV2([0, 0, 0, 0], 0).slice(0, 16);
  local[12] = 0x20; // LOCAL
  local[15] = 0; // no addresses
  await check.sendBytes(local);
  await check.send("health");
  assert.match(await check.readLine(), /^NOTICE welcome: /);
  await ts.waitForLog(/ connect conn=\d+ addr=127\.0\.0\.1:\d+$/);
});

Deno.test("per-address limits count the client behind the proxy, not the proxy", async () => {
  await using ts = await behindProxy({ maxConnectionsPerIp: 1 });
  const header = (ip: string, port: number) => `PROXY TCP4 ${ip} 127.0.0.1 ${port} 7777\r\n`;
  await using first = await TestClient.connect(ts.port);
  await first.sendBytes(encoder.encode(header("192.0.2.1", 1000) + "first\n"));
  assert.match(await first.readLine(), /^NOTICE welcome: /);
  await using again = await TestClient.connect(ts.port);
  await again.sendBytes(encoder.encode(header("192.0.2.1", 1001)));
  assert.deepEqual(await again.readUntilClosed(), [
    "ERROR too-many-connections: Too many connections from your address",
  ]);
  await using other = await TestClient.connect(ts.port);
  await other.sendBytes(encoder.encode(header("192.0.2.2", 1002) + "other\n"));
  assert.match(await other.readLine(), /^NOTICE welcome: /);
  await ts.waitForLog(/reject addr=192\.0\.2\.1:1001 reason=too-many-connections/);
});

Deno.test("a trusted proxy that sends no valid header is closed without a reply", async () => {
  await using ts = await behindProxy();
  await using bare = await TestClient.connect(ts.port);
  await bare.send("alice");
  assert.deepEqual(await bare.readUntilClosed(), []);
  await ts.waitForLog(/reject addr=127\.0\.0\.1:\d+ reason=proxy-header error="Not a PROXY/);
  assert.equal(ts.server.userCount, 0);
});

Deno.test("a PROXY line from an untrusted address is only a name, and not a valid one", async () => {
  await using ts = await behindProxy();
  await using spoofer = await TestClient.connectFrom(ts.port, "127.0.0.2");
  await spoofer.sendBytes(encoder.encode("PROXY TCP4 192.0.2.7 127.0.0.1 50123 7777\r\n"));
  assert.match((await spoofer.readUntilClosed())[0]!, /^ERROR name-invalid: /);
  await ts.waitForLog(/ connect conn=\d+ addr=127\.0\.0\.2:\d+$/);
});
