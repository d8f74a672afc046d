/**
 * The web front-end over real sockets: the page's HTTP answers, the
 * WebSocket handshake and its refusals, JSON events in one conversation
 * with TCP users, the frame limits, and the limits and slow-reader rule
 * shared with TCP. Pins PROTOCOL.md's "The web page and its WebSocket".
 */
import assert from "@nanochat/assert";
import { AddressList } from "../../server/connection_limits.ts";
import type { ServerOptions } from "../../server/server.ts";
import { encodeClientFrame, Opcode } from "../../protocol/websocket_frames.ts";
import { makeTestCerts } from "../support/certs.ts";
import {
  floodUntilSlowReaderDropped,
  startServer,
  type TestServer,
} from "../support/test_server.ts";
import { RawWebSocket } from "../support/ws_client.ts";
import { LINE_TIMEOUT_MS } from "../support/test_client.ts";

const WEB = { hostname: "127.0.0.1", port: 0 };

async function startWebServer(options: ServerOptions = {}): Promise<TestServer & { web: number }> {
  const ts = await startServer({ http: WEB, ...options });
  return Object.assign(ts, { web: ts.server.webAddress!.port });
}

/** Opens a WebSocket that must be accepted. */
async function openSocket(port: number, headers: Record<string, string | null> = {}) {
  const { socket, answer } = await RawWebSocket.open(port, headers);
  assert.equal(answer.status, 101);
  assert.equal(answer.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  return socket;
}

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

function assertSecurityHeaders(headers: Headers | ReadonlyMap<string, string>, what: string) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    assert.equal(headers.get(name), value, `${what}: ${name}`);
  }
}

Deno.test("the page, its script and style are served with the security headers; others 404", async () => {
  await using ts = await startWebServer();
  const files: [string, string][] = [
    ["/", "text/html"],
    ["/app.js", "text/javascript"],
    ["/app.css", "text/css"],
  ];
  for (const [path, type] of files) {
    const response = await fetch(`http://127.0.0.1:${ts.web}${path}`);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("content-type"), `${type}; charset=utf-8`, path);
    assertSecurityHeaders(response.headers, path);
    assert.ok((await response.text()).length > 0, path);
  }
  const missing = await fetch(`http://127.0.0.1:${ts.web}/etc/passwd`);
  assert.equal(missing.status, 404);
  assertSecurityHeaders(missing.headers, "404");
  await missing.body?.cancel();
  const post = await fetch(`http://127.0.0.1:${ts.web}/`, { method: "POST", body: "x" });
  assert.equal(post.status, 405);
  await post.body?.cancel();
});

Deno.test("a WebSocket user and TCP users share one conversation, both ways, in order", async () => {
  await using ts = await startWebServer();
  const tom = await ts.login("tom");
  await tom.send("*before you came");
  using wendy = await openSocket(ts.web);
  const welcome = await wendy.login("wendy");
  assert.deepEqual(welcome, { type: "welcome", server: welcome.server, name: "wendy", users: 2 });
  const history = await wendy.nextOf("history");
  assert.deepEqual(
    { ...history, id: "", time: 0 },
    {
      type: "history",
      id: "",
      time: 0,
      room: "#lobby",
      kind: "message",
      from: "tom",
      to: "",
      text: "before you came",
    },
  );

  for (let index = 1; index <= 20; index++) await tom.send(`*tom ${index}`);
  for (let index = 1; index <= 20; index++) {
    const event = await wendy.nextOf("event", "message");
    assert.deepEqual(
      [event.from, event.room, event.text],
      ["tom", "#lobby", `tom ${index}`],
    );
  }
  for (let index = 1; index <= 20; index++) await wendy.sendText(`*wendy ${index}`);
  for (let index = 1; index <= 20; index++) {
    assert.equal(await tom.readLine(), `[wendy]: wendy ${index}`);
  }

  // Private messages both ways; the sender's copy is the confirmation.
  await wendy.sendText("MSG tom psst");
  assert.equal(await tom.readLine(), "PRIVATE [wendy]: psst");
  const sent = await wendy.nextOf("event", "private");
  assert.deepEqual([sent.from, sent.to, sent.text, sent.room], ["wendy", "tom", "psst", ""]);
  await tom.send("MSG wendy back");
  const got = await wendy.nextOf("event", "private");
  assert.deepEqual([got.from, got.to, got.text], ["tom", "wendy", "back"]);
  assert.equal(await tom.readLine(), "SENT [wendy]: back");

  // Rooms.
  await wendy.sendText("JOIN #rust");
  assert.deepEqual(await wendy.nextOf("joined"), {
    type: "joined",
    room: "#rust",
    users: 1,
    topic: "",
  });
  await tom.send("JOIN #rust");
  assert.match(await tom.readLine(), /^#rust NOTICE joined: /);
  await tom.send("SAY #rust in rust");
  const inRust = await wendy.nextOf("event", "message");
  assert.deepEqual([inRust.room, inRust.from, inRust.text], ["#rust", "tom", "in rust"]);
  await wendy.sendText("WHO #rust");
  assert.deepEqual(await wendy.nextOf("who"), {
    type: "who",
    room: "#rust",
    count: 2,
    names: ["tom", "wendy"],
  });
  await tom.close();
});

Deno.test("the handshake checks Origin: own origin, --web-origin and no Origin pass; others get 403", async () => {
  await using ts = await startWebServer({ webOrigins: ["https://chat.example.org"] });
  const own = `http://127.0.0.1:${ts.web}`;
  for (const origin of [own, "https://chat.example.org", null]) {
    using socket = await openSocket(ts.web, { Origin: origin });
    await socket.login(`ok${ts.log.length}`);
  }
  for (const origin of ["http://evil.example", "https://chat.example.org.evil.example", "null"]) {
    const { socket, answer } = await RawWebSocket.open(ts.web, { Origin: origin });
    using _ = socket;
    assert.equal(answer.status, 403, origin);
    assertSecurityHeaders(answer.headers, origin);
    assert.equal(answer.headers.get("sec-websocket-accept"), undefined);
    assert.ok(await socket.ended(), origin);
  }
  assert.equal(ts.server.userCount, 0);
});

Deno.test("malformed handshakes are refused with 400 or 426", async () => {
  await using ts = await startWebServer();
  const cases: [Record<string, string | null>, number][] = [
    [{ "Sec-WebSocket-Version": "8" }, 426],
    [{ "Upgrade": null }, 426],
    [{ "Sec-WebSocket-Key": "short" }, 400],
  ];
  for (const [headers, status] of cases) {
    const { socket, answer } = await RawWebSocket.open(ts.web, headers);
    using _ = socket;
    assert.equal(answer.status, status, JSON.stringify(headers));
  }
  const { socket, answer } = await RawWebSocket.open(ts.web, { "Sec-WebSocket-Version": "8" });
  using _ = socket;
  assert.equal(answer.headers.get("sec-websocket-version"), "13");
});

Deno.test("a message over --max-line closes with 1009, binary with 1003, unmasked with 1002, endless fragments with 1008", async () => {
  await using ts = await startWebServer({ maxLineBytes: 100 });
  const watcher = await ts.login("watcher", { presence: true });
  const cases: [string, Uint8Array, number][] = [
    ["big", encodeClientFrame(Opcode.Text, new Uint8Array(101).fill(0x78)), 1009],
    ["binary", encodeClientFrame(Opcode.Binary, Uint8Array.of(1, 2)), 1003],
    ["unmasked", Uint8Array.of(0x81, 2, 0x2a, 0x78), 1002],
    [
      "fragments",
      new Uint8Array([
        ...encodeClientFrame(Opcode.Text, new TextEncoder().encode("*"), false),
        ...Array.from(
          { length: 100 },
          () => [...encodeClientFrame(Opcode.Continuation, new Uint8Array(), false)],
        ).flat(),
      ]),
      1008,
    ],
  ];
  for (const [name, frame, code] of cases) {
    using socket = await openSocket(ts.web);
    await socket.login(name);
    // Exactly the limit is fine.
    await socket.sendText("*" + "x".repeat(99));
    assert.equal(await watcher.readLine(), `NOTICE join: ${name} joined`);
    assert.equal(await watcher.readLine(), `[${name}]: ${"x".repeat(99)}`);
    await socket.sendBytes(frame);
    assert.equal(await socket.closeCode(), code, name);
    assert.ok(await socket.ended(), name);
    assert.match(
      await watcher.readLine(),
      new RegExp(`^NOTICE disconnect: ${name} was disconnected`),
    );
  }
  await watcher.close();
});

Deno.test("a message holding LF is split there, and control characters are replaced as on TCP", async () => {
  await using ts = await startWebServer();
  const tom = await ts.login("tom");
  using wendy = await openSocket(ts.web);
  await wendy.login("wendy");
  await wendy.sendText("*one\n*two\u001b[2J");
  assert.equal(await tom.readLine(), "[wendy]: one");
  assert.equal(await tom.readLine(), "[wendy]: two\uFFFD[2J");
  await tom.close();
});

Deno.test("pings are answered; QUIT closes with 1000; a refused login with an error and 1008", async () => {
  await using ts = await startWebServer();
  using wendy = await openSocket(ts.web);
  await wendy.login("wendy");
  await wendy.sendBytes(encodeClientFrame(Opcode.Ping, Uint8Array.of(7)));
  await wendy.sendText("PING t1");
  assert.deepEqual(await wendy.nextOf("pong"), { type: "pong", token: "t1" });
  assert.equal(wendy.pongs, 1);
  await wendy.sendText("QUIT bye");
  assert.equal(await wendy.closeCode(), 1000);
  assert.ok(await wendy.ended());

  using taken = await openSocket(ts.web);
  const tom = await ts.login("tom");
  await taken.sendText("tom");
  assert.deepEqual(await taken.nextOf("error"), {
    type: "error",
    code: "name-taken",
    text: "The name tom is in use",
    closes: "at-login",
  });
  assert.equal(await taken.closeCode(), 1008);
  await tom.close();
});

Deno.test("the connection limits count WebSockets with TCP: a refusal is an error event and 1008", async () => {
  await using ts = await startWebServer({ maxConnectionsPerIp: 2 });
  const tom = await ts.login("tom");
  using first = await openSocket(ts.web);
  await first.login("wendy");
  using second = await openSocket(ts.web);
  const refusal = await second.nextOf("error");
  assert.equal(refusal.code, "too-many-connections");
  assert.equal(await second.closeCode(), 1008);
  await ts.waitForLog(/reject addr=127\.0\.0\.1:\d+ reason=too-many-connections/);
  await tom.close();
});

Deno.test("X-Forwarded-For counts only from a trusted proxy, and then names the client", async () => {
  await using ts = await startWebServer({ trustedProxies: new AddressList("127.0.0.2") });
  using direct = await openSocket(ts.web, { "X-Forwarded-For": "198.51.100.7" });
  await direct.login("direct");
  await ts.waitForLog(/connect conn=\d+ addr=127\.0\.0\.1:\d+$/);
  assert.ok(!ts.log.some((line) => line.includes("198.51.100.7")));
  await ts.server.shutdown();

  await using proxied = await startWebServer({ trustedProxies: new AddressList("127.0.0.1") });
  using client = await openSocket(proxied.web, { "X-Forwarded-For": "10.0.0.1, 198.51.100.7" });
  await client.login("client");
  await proxied.waitForLog(/connect conn=\d+ addr=198\.51\.100\.7:0$/);
});

Deno.test("a WebSocket that stops reading is dropped as a slow reader while the others go on", async () => {
  await using ts = await startWebServer({ maxOutboxBytes: 64 * 1024 });
  using stalled = await openSocket(ts.web);
  await stalled.login("stalled");
  const sender = await ts.login("sender");
  const reader = await ts.login("reader");
  const { sent, received } = await floodUntilSlowReaderDropped(ts, sender, reader, "stalled");
  assert.equal(received.length, sent);
  assert.ok(received.every((line) => line.startsWith("[sender]: ")));
  assert.equal(ts.server.userCount, 2);
  await sender.close();
  await reader.close();
});

Deno.test("with the TLS files the page is served over HTTPS and the WebSocket over WSS", async () => {
  await using certs = await makeTestCerts();
  const tls = {
    cert: await Deno.readTextFile(certs.leafCert),
    key: await Deno.readTextFile(certs.leafKey),
  };
  await using ts = await startServer({ http: { ...WEB, tls } });
  const port = ts.server.webAddress!.port;
  const caCerts = [await Deno.readTextFile(certs.caCert)];
  using client = Deno.createHttpClient({ caCerts });
  const page = await fetch(`https://127.0.0.1:${port}/`, { client });
  assert.equal(page.status, 200);
  await page.body?.cancel();
  const { socket, answer } = await RawWebSocket.open(
    port,
    { Origin: `https://127.0.0.1:${port}` },
    caCerts,
  );
  using _ = socket;
  assert.equal(answer.status, 101);
  await socket.login("secure");
  await ts.waitForLog(/web addr=127\.0\.0\.1:\d+ tls=true/);
});

Deno.test("flood control applies to WebSockets: a flooder over its rate too long gets flood and 1008", async () => {
  await using ts = await startWebServer({ rateLinesPerSecond: 5, burstLines: 5, floodKickMs: 300 });
  const watcher = await ts.login("watcher");
  using flooder = await openSocket(ts.web);
  await flooder.login("flooder");
  // One write of 50 messages: the server stops reading after the burst.
  const frames = Array.from(
    { length: 50 },
    (_, index) => encodeClientFrame(Opcode.Text, new TextEncoder().encode(`*flood ${index}`)),
  );
  const all = new Uint8Array(frames.reduce((sum, frame) => sum + frame.length, 0));
  frames.reduce((offset, frame) => (all.set(frame, offset), offset + frame.length), 0);
  await flooder.sendBytes(all);
  assert.equal((await flooder.nextOf("error")).code, "flood");
  assert.equal(await flooder.closeCode(), 1008);
  // What got through came in order, the burst first.
  for (let index = 0; index < 5; index++) {
    assert.equal(await watcher.readLine(), `[flooder]: flood ${index}`);
  }
  await watcher.close();
});

Deno.test("one address holds at most --max-per-ip HTTP connections on the web port; exempt ones more", async () => {
  await using ts = await startWebServer({ maxConnectionsPerIp: 8 });
  const silent = await Promise.all(
    Array.from({ length: 8 }, () => Deno.connect({ hostname: "127.0.0.1", port: ts.web })),
  );
  try {
    // Each is accepted and waits for its request head (up to 5 s)...
    await ts.waitForLog(/web addr=/);
    const ninth = await Deno.connect({ hostname: "127.0.0.1", port: ts.web });
    // ...while the ninth is closed at once, long before any timeout.
    const started = performance.now();
    assert.equal(await ninth.read(new Uint8Array(16)).catch(() => null), null);
    assert.ok(performance.now() - started < 4000);
    ninth.close();
    const tom = await ts.login("tom"); // the chat port is not affected
    await tom.close();
    silent.pop()!.close();
    // A slot is free once the server sees that close; retries until then,
    // bounded by time (a refused one fails at once, so a count could run out
    // before the server has read the close).
    let status = 0;
    for (const deadline = Date.now() + LINE_TIMEOUT_MS; status !== 200 && Date.now() < deadline;) {
      const response = await fetch(`http://127.0.0.1:${ts.web}/`).catch(() => undefined);
      status = response?.status ?? 0;
      await response?.body?.cancel();
    }
    assert.equal(status, 200);
  } finally {
    for (const conn of silent) conn.close();
  }

  await using exempt = await startWebServer({
    maxConnectionsPerIp: 8,
    limitExempt: new AddressList("127.0.0.1"),
  });
  const many = await Promise.all(
    Array.from({ length: 9 }, () => Deno.connect({ hostname: "127.0.0.1", port: exempt.web })),
  );
  try {
    const response = await fetch(`http://127.0.0.1:${exempt.web}/`);
    assert.equal(response.status, 200, "the tenth from an exempt address is served");
    await response.body?.cancel();
  } finally {
    for (const conn of many) conn.close();
  }
});
