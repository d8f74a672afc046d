import assert from "@nanochat/assert";
import { ServerLink } from "../../client/server_link.ts";

const plain = { timeoutMs: 2000, security: { kind: "plain" } } as const;

Deno.test("ServerLink.waitForFirstLine() times out on a server that never answers, and closes the link", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const link = await ServerLink.open(listener.addr, "victim", plain);
  using _conn = await listener.accept();
  await assert.rejects(link.waitForFirstLine(50), Deno.errors.TimedOut);
  // Closed: receive() ends at once, having seen nothing.
  const end = await link.receive(() => assert.fail("no line was sent"));
  assert.equal(end.silent, true);
});

Deno.test("ServerLink.waitForFirstLine() keeps the lines it read for receive()", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const link = await ServerLink.open(listener.addr, "alice", plain);
  const conn = await listener.accept();
  await conn.write(new TextEncoder().encode("NOTICE welcome: hi alice\n[bob]: hello\n"));
  assert.equal(await link.waitForFirstLine(2000), true);
  conn.close();
  const lines: string[] = [];
  const end = await link.receive((line) => void lines.push(line));
  assert.deepEqual(lines, ["NOTICE welcome: hi alice", "[bob]: hello"]);
  assert.equal(end.silent, false);
});

Deno.test("ServerLink.waitForFirstLine() returns false when the server closes without a word", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const link = await ServerLink.open(listener.addr, "x", plain);
  (await listener.accept()).close();
  assert.equal(await link.waitForFirstLine(2000), false);
  const end = await link.receive(() => assert.fail("no line was sent"));
  assert.equal(end.silent, true);
});
