import assert from "@nanochat/assert";
import { FlushScheduler } from "../../transport/flush_scheduler.ts";
import { type ByteConn, ConnLineConnection } from "../../transport/line_connection.ts";

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
