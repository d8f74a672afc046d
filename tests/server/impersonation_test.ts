import assert from "@nanochat/assert";
import { TestClient } from "../support/test_client.ts";
import { startServer } from "../support/test_server.ts";

// Each of these was accepted while alice (or bob) was online.
const REFUSED_LOGINS: { name: string; reply: RegExp }[] = [
  { name: "alice\u034F", reply: /^ERROR name-invalid: Name has an invisible character/ },
  { name: "alice\uFE0E", reply: /^ERROR name-invalid: / },
  { name: "alice\uFE0F", reply: /^ERROR name-invalid: / },
  { name: "alice\u{E0100}", reply: /^ERROR name-invalid: / },
  { name: "alice\u180B", reply: /^ERROR name-invalid: / },
  { name: "\u3164\u3164", reply: /^ERROR name-invalid: / },
  { name: "z" + "\u0301".repeat(31), reply: /^ERROR name-invalid: / },
  { name: "SERVER", reply: /^ERROR name-invalid: The name SERVER is reserved/ },
  { name: "NOTICE", reply: /^ERROR name-invalid: / },
  { name: "--", reply: /^ERROR name-invalid: / },
  { name: "\u0430lice", reply: /^ERROR name-taken: The name \u0430lice looks too much like alice/ },
  { name: "aIice", reply: /^ERROR name-taken: The name aIice looks too much like alice/ },
  { name: "b\u03BFb", reply: /^ERROR name-taken: The name b\u03BFb looks too much like bob/ },
  { name: "ALICE", reply: /^ERROR name-taken: The name ALICE is in use$/ },
];

Deno.test("server refuses names that could pass for an online user or the server", async () => {
  await using ts = await startServer();
  await using _alice = await ts.login("alice");
  await using _bob = await ts.login("bob");
  for (const { name, reply } of REFUSED_LOGINS) {
    await using impostor = await TestClient.login(ts.port, name);
    const lines = await impostor.readUntilClosed();
    assert.equal(lines.length, 1, `${JSON.stringify(name)}: ${lines}`);
    assert.match(lines[0]!, reply, JSON.stringify(name));
  }
  assert.equal(ts.server.userCount, 2);
});

Deno.test("NICK refuses a look-alike of someone else, and allows one of your own name", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice", { presence: true });
  await using bob = await ts.login("bob", { presence: true });
  assert.equal(await alice.readLine(), "NOTICE join: bob joined");
  await bob.send("NICK \u0430lice");
  assert.equal(
    await bob.readLine(),
    "ERROR name-taken: The name \u0430lice looks too much like alice, who is online",
  );
  await alice.send("NICK aIice");
  assert.equal(await alice.readLine(), "NOTICE nick: alice is now aIice");
  assert.equal(await bob.readLine(), "NOTICE nick: alice is now aIice");
  // The old name is free again, and the new one guards its look-alikes.
  await bob.send("NICK alice");
  assert.match(await bob.readLine(), /^ERROR name-taken: The name alice looks too much like aIice/);
  await bob.send("NICK bobby");
  assert.equal(await bob.readLine(), "NOTICE nick: bob is now bobby");
  await using carol = await ts.login("bob");
  await carol.close();
});
