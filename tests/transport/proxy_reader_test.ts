import assert from "@nanochat/assert";
import { type ByteReader, readProxyHeader } from "../../transport/proxy_reader.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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

const V1_TCP4 = encoder.encode("PROXY TCP4 192.0.2.7 198.51.100.1 50123 7777\r\n");
const V1_SOURCE = { hostname: "192.0.2.7", port: 50123 };
/** HAProxy 2.6 `send-proxy-v2 proxy-v2-options crc32c,unique-id` for a client at [::1]:35710. */
const V2_TCP6_TLVS = hex(
  "0d0a0d0a000d0a515549540a 21 21 0038" +
    "00000000000000000000000000000001 00000000000000000000000000000001 8b7e 4aa0" +
    "03 0004 24ac7c20 05 000a 6162633132332d3a3a31",
);
const V2_SOURCE = { hostname: "::1", port: 35710 };
/** HAProxy 2.6 health check (`check-send-proxy`). */
const V2_LOCAL = hex("0d0a0d0a000d0a515549540a 20 00 0000");
const CHAT = encoder.encode("alice\n*hello\r\n");

/** Both ends of a loopback TCP connection: the test writes as `client`, reads as `server`. */
async function connectedPair(): Promise<
  { client: Deno.TcpConn; server: Deno.TcpConn } & Disposable
> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  return {
    client,
    server,
    [Symbol.dispose]() {
      client.close();
      server.close();
    },
  };
}

/** Writes all of `bytes`, however many calls it takes. */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

/** Reads until the peer ends the stream, returning everything. */
async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  for (let count = await conn.read(buffer); count !== null; count = await conn.read(buffer)) {
    chunks.push(buffer.slice(0, count));
  }
  return concat(...chunks);
}

/** Passes reads through and lets a test wait until the reader is waiting for bytes. */
class ReadWatcher implements ByteReader {
  readonly #conn: ByteReader;
  #calls = 0;
  #waiters: { calls: number; resolve: () => void }[] = [];

  constructor(conn: ByteReader) {
    this.#conn = conn;
  }

  get calls(): number {
    return this.#calls;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    this.#calls++;
    const ready = this.#waiters.filter((waiter) => waiter.calls <= this.#calls);
    this.#waiters = this.#waiters.filter((waiter) => waiter.calls > this.#calls);
    for (const waiter of ready) waiter.resolve();
    return this.#conn.read(buffer);
  }

  /** Resolves once `read()` has been called `calls` times. */
  called(calls: number): Promise<void> {
    if (this.#calls >= calls) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ calls, resolve });
    return promise;
  }
}

Deno.test("readProxyHeader() reads a v1 header written in one chunk", async () => {
  using pair = await connectedPair();
  await writeAll(pair.client, V1_TCP4);
  const { source, rest } = await readProxyHeader(pair.server, { timeoutMs: 5000 });
  assert.deepEqual(source, V1_SOURCE);
  assert.deepEqual(rest, new Uint8Array());
});

Deno.test("readProxyHeader() reads v1 and v2 headers written one byte per read", async () => {
  for (const [header, expected] of [[V1_TCP4, V1_SOURCE], [V2_TCP6_TLVS, V2_SOURCE]] as const) {
    using pair = await connectedPair();
    const watcher = new ReadWatcher(pair.server);
    const reading = readProxyHeader(watcher, { timeoutMs: 5000 });
    for (let index = 0; index < header.length; index++) {
      // Writing only once the reader waits makes every read return exactly one byte.
      await watcher.called(index + 1);
      await writeAll(pair.client, header.subarray(index, index + 1));
    }
    const { source, rest } = await reading;
    assert.deepEqual(source, expected);
    assert.deepEqual(rest, new Uint8Array());
    assert.equal(watcher.calls, header.length);
  }
});

Deno.test("readProxyHeader() returns the chat lines that came with the header", async () => {
  for (const header of [V1_TCP4, V2_TCP6_TLVS]) {
    using pair = await connectedPair();
    await writeAll(pair.client, concat(header, CHAT));
    const { rest } = await readProxyHeader(pair.server, { timeoutMs: 5000 });
    assert.equal(decoder.decode(rest), "alice\n*hello\r\n");
  }
});

Deno.test("readProxyHeader() reads a v2 header followed by data the caller reads on", async () => {
  using pair = await connectedPair();
  const watcher = new ReadWatcher(pair.server);
  const reading = readProxyHeader(watcher, { timeoutMs: 5000 });
  await writeAll(pair.client, V2_TCP6_TLVS);
  const { source, rest } = await reading;
  assert.deepEqual(source, V2_SOURCE);
  assert.deepEqual(rest, new Uint8Array());
  await writeAll(pair.client, CHAT);
  pair.client.closeWrite();
  assert.equal(decoder.decode(await readToEnd(pair.server)), "alice\n*hello\r\n");
});

Deno.test("readProxyHeader() buffers no more than maxBytes however much data follows", async () => {
  using pair = await connectedPair();
  const data = encoder.encode("x".repeat(5000) + "\n");
  await writeAll(pair.client, concat(V1_TCP4, data));
  pair.client.closeWrite();
  const maxBytes = 200;
  const { source, rest } = await readProxyHeader(pair.server, { timeoutMs: 5000, maxBytes });
  assert.deepEqual(source, V1_SOURCE);
  assert.ok(V1_TCP4.length + rest.length <= maxBytes, `${rest.length} bytes after the header`);
  // Nothing is lost: the rest and what the caller reads next make up the data.
  assert.deepEqual(concat(rest, await readToEnd(pair.server)), data);
});

Deno.test("readProxyHeader() gives no source for v2 LOCAL, so the proxy's own address stands", async () => {
  using pair = await connectedPair();
  await writeAll(pair.client, concat(V2_LOCAL, CHAT));
  const { source, rest } = await readProxyHeader(pair.server, { timeoutMs: 5000 });
  assert.equal(source, undefined);
  assert.equal(decoder.decode(rest), "alice\n*hello\r\n");
});

Deno.test("readProxyHeader() throws TimedOut when the peer sends nothing", async () => {
  using pair = await connectedPair();
  const started = performance.now();
  await assert.rejects(
    readProxyHeader(pair.server, { timeoutMs: 100 }),
    (error: unknown) =>
      error instanceof Deno.errors.TimedOut &&
      error.message === "No complete PROXY header within 100 ms",
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 90 && elapsed < 2000, `timed out after ${elapsed} ms`);
});

Deno.test("readProxyHeader() throws TimedOut when the peer stops in the middle of the header", async () => {
  using pair = await connectedPair();
  await writeAll(pair.client, V2_TCP6_TLVS.subarray(0, 20));
  await assert.rejects(readProxyHeader(pair.server, { timeoutMs: 100 }), Deno.errors.TimedOut);
});

Deno.test("readProxyHeader() throws SyntaxError at once for a peer that sends no header", async () => {
  const cases: { name: string; bytes: Uint8Array; message: RegExp }[] = [
    { name: "a chat client", bytes: CHAT, message: /^Not a PROXY protocol header$/ },
    { name: "a TLS client", bytes: hex("16030100f8010000f40303"), message: /^Not a PROXY/ },
    { name: "garbage", bytes: hex("00ff00ff"), message: /^Not a PROXY/ },
    {
      name: "a broken v1 header",
      bytes: encoder.encode("PROXY TCP4 192.0.2.07 198.51.100.1 50123 7777\r\nalice\n"),
      message: /source address is not an IPv4 address/,
    },
    {
      name: "a v1 line without CRLF",
      bytes: encoder.encode(`PROXY UNKNOWN ${"a".repeat(200)}`),
      message: /no CRLF within 107 bytes/,
    },
    {
      name: "a v2 header of a wrong version",
      bytes: hex("0d0a0d0a000d0a515549540a 11 11 000c 7f000001 7f000001 c68a 4a9f"),
      message: /version is 1, expected 2/,
    },
  ];
  for (const { name, bytes, message } of cases) {
    using pair = await connectedPair();
    await writeAll(pair.client, bytes);
    // A timeout far longer than the test may run shows the error does not wait for it.
    await assert.rejects(
      readProxyHeader(pair.server, { timeoutMs: 60_000 }),
      (error: unknown) => error instanceof SyntaxError && message.test(error.message),
      name,
    );
  }
});

Deno.test("readProxyHeader() refuses a v2 header longer than maxBytes from its length field", async () => {
  using pair = await connectedPair();
  const header = hex("0d0a0d0a000d0a515549540a 21 11 00d7");
  await writeAll(pair.client, header);
  await assert.rejects(
    readProxyHeader(pair.server, { timeoutMs: 60_000, maxBytes: 200 }),
    SyntaxError,
    "PROXY v2 header of 231 bytes is longer than the limit of 200",
  );
});

Deno.test("readProxyHeader() throws UnexpectedEof when the peer closes before the header ends", async () => {
  const cases = [
    {
      name: "nothing sent",
      bytes: new Uint8Array(),
      message: "Connection closed before the PROXY header",
    },
    {
      name: "part of a header",
      bytes: V1_TCP4.subarray(0, 10),
      message: "Connection closed after 10 bytes of the PROXY header",
    },
  ];
  for (const { name, bytes, message } of cases) {
    using pair = await connectedPair();
    await writeAll(pair.client, bytes);
    pair.client.closeWrite();
    await assert.rejects(
      readProxyHeader(pair.server, { timeoutMs: 60_000 }),
      (error: unknown) => error instanceof Deno.errors.UnexpectedEof && error.message === message,
      name,
    );
  }
});

Deno.test("readProxyHeader() passes a failed read through", async () => {
  const failing: ByteReader = {
    read: () => Promise.reject(new Deno.errors.ConnectionReset("Connection reset by peer")),
  };
  await assert.rejects(
    readProxyHeader(failing, { timeoutMs: 60_000 }),
    Deno.errors.ConnectionReset,
  );
});

Deno.test("readProxyHeader() throws RangeError for options out of range, before reading", async () => {
  const untouched: ByteReader = {
    read: () => Promise.reject(new Error("read() must not be called")),
  };
  const cases = [
    { timeoutMs: 0 },
    { timeoutMs: -1 },
    { timeoutMs: NaN },
    { timeoutMs: 2 ** 31 },
    { timeoutMs: 100, maxBytes: 106 },
    { timeoutMs: 100, maxBytes: 16 + 65536 },
    { timeoutMs: 100, maxBytes: 500.5 },
  ];
  for (const options of cases) {
    await assert.rejects(readProxyHeader(untouched, options), RangeError, JSON.stringify(options));
  }
});
