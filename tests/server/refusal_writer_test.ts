import assert from "node:assert/strict";
import { MAX_REFUSALS_IN_FLIGHT, RefusalWriter } from "../../server/refusal_writer.ts";

/** A connection that records what is written; with `stalled`, no write ever completes. */
function fakeConn(stalled = false) {
  const conn = {
    written: "",
    closed: false,
    write(bytes: Uint8Array): Promise<number> {
      if (stalled) return new Promise(() => {});
      conn.written += new TextDecoder().decode(bytes);
      return Promise.resolve(bytes.length);
    },
    close() {
      conn.closed = true;
    },
  };
  return conn;
}

const refusal = new TextEncoder().encode("ERROR server-full: The server is full\n");

Deno.test("RefusalWriter writes the refusal, then closes the connection", async () => {
  const writer = new RefusalWriter(5_000);
  const conn = fakeConn();
  writer.refuse(conn, refusal);
  await writer.settled();
  assert.equal(conn.written, "ERROR server-full: The server is full\n");
  assert.equal(conn.closed, true);
});

Deno.test("RefusalWriter closes a refusal that cannot be written within the grace period", async () => {
  const writer = new RefusalWriter(20);
  const conn = fakeConn(true);
  writer.refuse(conn, refusal);
  assert.equal(conn.closed, false, "it is given the grace period");
  await writer.settled();
  assert.equal(conn.closed, true);
});

Deno.test("RefusalWriter closes a connection untold, at once, past MAX_REFUSALS_IN_FLIGHT", async () => {
  const writer = new RefusalWriter(20);
  const telling = Array.from({ length: MAX_REFUSALS_IN_FLIGHT }, () => fakeConn(true));
  for (const conn of telling) writer.refuse(conn, refusal);
  const untold = fakeConn();
  writer.refuse(untold, refusal);
  assert.equal(untold.closed, true);
  assert.equal(untold.written, "");
  await writer.settled();
  assert.ok(telling.every((conn) => conn.closed));
  // Once they are closed, a refusal is told again.
  const next = fakeConn();
  writer.refuse(next, refusal);
  await writer.settled();
  assert.equal(next.written, "ERROR server-full: The server is full\n");
});
