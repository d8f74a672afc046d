import assert from "@nanochat/assert";
import * as net from "node:net";
import { FlushScheduler } from "../../transport/flush_scheduler.ts";
import { type ByteConn, ConnLineConnection } from "../../transport/line_connection.ts";
import { NodeSocketConn } from "../../transport/node_socket_conn.ts";
import type { Frame } from "../../protocol/line_splitter.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A connection that never reads and holds each write until the test releases it. */
class FakeConn implements ByteConn {
  readonly remoteAddr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 4000 };
  readonly writes: string[] = [];
  #held: { length: number; resolve: (written: number) => void }[] = [];
  #arrived: (() => void) | undefined;

  read(): Promise<number | null> {
    return Promise.resolve(null);
  }

  write(bytes: Uint8Array): Promise<number> {
    this.writes.push(decoder.decode(bytes));
    const { promise, resolve } = Promise.withResolvers<number>();
    this.#held.push({ length: bytes.length, resolve });
    this.#arrived?.();
    this.#arrived = undefined;
    return promise;
  }

  close(): void {}

  /** Resolves once a write is being held. */
  held(): Promise<void> {
    if (this.#held.length > 0) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#arrived = resolve;
    return promise;
  }

  /** Completes the oldest held write in full. */
  release(): void {
    const write = this.#held.shift();
    if (write === undefined) throw new Error("No write is being held");
    write.resolve(write.length);
  }
}

function connect(conn: FakeConn, scheduler: FlushScheduler): ConnLineConnection {
  return new ConnLineConnection(conn, {
    maxLineBytes: 512,
    maxQueuedBytes: 1024 * 1024,
    onSlowReader: () => {},
    schedule: (flush) => scheduler.schedule(flush),
  });
}

Deno.test("ConnLineConnection.send() on a quiet server writes at the end of the task", async () => {
  const scheduler = new FlushScheduler(60_000);
  const conn = new FakeConn();
  const connection = connect(conn, scheduler);
  connection.send(encoder.encode("a\n"));
  connection.send(encoder.encode("b\n"));
  assert.deepEqual(conn.writes, [], "send() wrote before returning");
  await conn.held();
  assert.deepEqual(conn.writes, ["a\nb\n"]);
  conn.release();
  await connection.flushed();
  connection.close();
  scheduler.close();
});

Deno.test("ConnLineConnection.send() during a pending write goes out in the next write, in order, without waiting for the scheduler", async () => {
  // An interval of a minute: a write that waited for the scheduler would never come.
  const scheduler = new FlushScheduler(60_000);
  const conn = new FakeConn();
  const connection = connect(conn, scheduler);
  connection.send(encoder.encode("1\n"));
  await conn.held();
  for (const line of ["2\n", "3\n", "4\n"]) connection.send(encoder.encode(line));
  assert.deepEqual(conn.writes, ["1\n"], "a second write started while one was pending");
  conn.release();
  await conn.held();
  assert.deepEqual(conn.writes, ["1\n", "2\n3\n4\n"]);
  conn.release();
  await connection.flushed();
  connection.close();
  scheduler.close();
});

/** A transport that hands over the chunks it is given, as node sockets do. */
function chunkConn(chunks: Uint8Array[]): ByteConn & { reads: number } {
  const conn = {
    reads: 0,
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 } as Deno.NetAddr,
    readChunk(): Promise<Uint8Array | null> {
      conn.reads++;
      return Promise.resolve(chunks.shift() ?? null);
    },
    read(): Promise<number | null> {
      throw new Error("read() is not used when readChunk() is there");
    },
    write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
    close() {},
  };
  return conn;
}

function lines(frames: Frame[] | null): string[] {
  return (frames ?? []).map((frame) => frame.kind === "line" ? decoder.decode(frame.bytes) : "!");
}

Deno.test("ConnLineConnection splits a 64 KiB chunk into 16 KiB pieces, one per read, losing nothing", async () => {
  // 1,024 lines of 64 bytes: 64 KiB in one chunk, as node reads a busy sender.
  const line = (i: number) => `${String(i).padStart(5, "0")}${"x".repeat(58)}`;
  const text = Array.from({ length: 1024 }, (_, i) => `${line(i)}\n`).join("");
  const conn = chunkConn([encoder.encode(text)]);
  const connection = new ConnLineConnection(conn, {
    maxLineBytes: 4096,
    maxQueuedBytes: 1 << 20,
    onSlowReader: () => {},
  });
  const batches: string[][] = [];
  for (let frames = await connection.readFrames(); frames !== null;) {
    batches.push(lines(frames));
    frames = await connection.readFrames();
  }
  assert.deepEqual(batches.map((batch) => batch.length), [256, 256, 256, 256]);
  assert.deepEqual(batches.flat(), Array.from({ length: 1024 }, (_, i) => line(i)));
  assert.equal(conn.reads, 2, "one chunk, then the end of the stream");
  connection.close();
});

Deno.test("NodeSocketConn hands chunks over as they come, and read() keeps what does not fit", async () => {
  const accepted = Promise.withResolvers<net.Socket>();
  const server = net.createServer((socket) => accepted.resolve(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = await Deno.connect({ hostname: "127.0.0.1", port });
  const conn = new NodeSocketConn(await accepted.promise, { hostname: "", port: 0 });
  try {
    await client.write(encoder.encode("hello"));
    assert.equal(decoder.decode((await conn.readChunk())!), "hello");
    await client.write(encoder.encode("abcdef"));
    const buffer = new Uint8Array(4);
    assert.equal(await conn.read(buffer), 4);
    assert.equal(decoder.decode(buffer), "abcd");
    assert.equal(decoder.decode((await conn.readChunk())!), "ef");
    await client.closeWrite();
    assert.equal(await conn.readChunk(), null);
  } finally {
    client.close();
    conn.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
