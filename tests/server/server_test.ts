import assert from "@nanochat/assert";
import { TestClient } from "../support/test_client.ts";
import { floodUntilSlowReaderDropped, startServer } from "../support/test_server.ts";

const encoder = new TextEncoder();

Deno.test("server relays a message to every other user as [name]: text, without echo", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  await using carol = await ts.login("carol");

  await alice.send("*hello, world");
  assert.equal(await bob.readLine(), "[alice]: hello, world");
  assert.equal(await carol.readLine(), "[alice]: hello, world");

  // Had alice got an echo, it would arrive before bob's reply.
  await bob.send("*hi alice");
  assert.equal(await alice.readLine(), "[bob]: hi alice");
  assert.equal(await carol.readLine(), "[bob]: hi alice");
});

Deno.test("server accepts CRLF line endings and does not relay the CR", async () => {
  await using ts = await startServer();
  await using bob = await ts.login("bob");
  await using alice = await TestClient.connect(ts.port);
  await alice.sendBytes(encoder.encode("alice\r\n*hi there\r\n"));
  assert.equal(await bob.readLine(), "[alice]: hi there");
});

Deno.test("server frames lines the same however TCP splits them", async () => {
  await using ts = await startServer();
  await using bob = await ts.login("bob");
  await using alice = await TestClient.connect(ts.port);
  for (const byte of encoder.encode("alice\n*one\n*two\n")) {
    await alice.sendBytes(Uint8Array.of(byte));
  }
  assert.deepEqual(await bob.readLines(2), ["[alice]: one", "[alice]: two"]);
});

Deno.test("server ignores empty lines and empty messages", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  await alice.sendBytes(encoder.encode("\n\r\n*\n*real\n"));
  assert.equal(await bob.readLine(), "[alice]: real");
  await bob.send("*ok");
  assert.equal(await alice.readLine(), "[bob]: ok"); // no error line came first
});

Deno.test("server delivers 2,000 messages from one sender in the order sent", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  const count = 2000;
  const expected = Array.from({ length: count }, (_, i) => `[alice]: message ${i}`);
  await alice.sendBytes(encoder.encode(expected.map((_, i) => `*message ${i}\n`).join("")));
  assert.deepEqual(await bob.readLines(count), expected);
});

Deno.test("server gives every user the same order when several users send at once", async () => {
  await using ts = await startServer();
  const senders = [await ts.login("s1"), await ts.login("s2"), await ts.login("s3")];
  const watchers = [await ts.login("w1"), await ts.login("w2")];
  try {
    const perSender = 500;
    // Each sender writes in small pieces so the server interleaves them.
    await Promise.all(senders.map(async (sender, s) => {
      for (let i = 0; i < perSender; i += 50) {
        const lines = Array.from({ length: 50 }, (_, j) => `*${s} ${i + j}\n`).join("");
        await sender.sendBytes(encoder.encode(lines));
      }
    }));
    const total = perSender * senders.length;
    const seen = await Promise.all(watchers.map((w) => w.readLines(total)));
    assert.deepEqual(seen[0], seen[1], "both watchers saw one and the same order");
    for (let s = 0; s < senders.length; s++) {
      const own = seen[0]!.filter((line) => line.startsWith(`[s${s + 1}]: `));
      assert.deepEqual(own, Array.from({ length: perSender }, (_, i) => `[s${s + 1}]: ${s} ${i}`));
    }
  } finally {
    await Promise.all([...senders, ...watchers].map((c) => c.close()));
  }
});

Deno.test("server refuses a duplicate name and keeps the user who holds it", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");

  for (const name of ["alice", "ALICE", "Ａｌｉｃｅ"]) {
    await using impostor = await TestClient.login(ts.port, name);
    assert.deepEqual(await impostor.readUntilClosed(), [
      `ERROR name-taken: The name ${name} is in use`,
    ]);
  }

  await bob.send("*still there?");
  assert.equal(await alice.readLine(), "[bob]: still there?");
  await alice.send("*yes");
  assert.equal(await bob.readLine(), "[alice]: yes");
});

Deno.test("server refuses invalid names with the reason and closes", async () => {
  await using ts = await startServer();
  const cases = ["", "a b", "[alice]", "al:ice", "*star", "tab\there", "esc\x1b", "x".repeat(33)];
  for (const name of cases) {
    await using client = await TestClient.login(ts.port, name);
    const lines = await client.readUntilClosed();
    assert.equal(lines.length, 1, `one line for ${JSON.stringify(name)}`);
    assert.match(lines[0]!, /^ERROR name-invalid: Name /, `reply for ${JSON.stringify(name)}`);
  }
  assert.equal(ts.server.userCount, 0);
});

Deno.test("server answers an unknown command with an error and keeps the connection", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  await alice.send("DANCE now");
  assert.equal(
    await alice.readLine(),
    "ERROR unknown-command: Unknown command DANCE; type HELP for the list",
  );
  await alice.send("*after");
  assert.equal(await bob.readLine(), "[alice]: after");
});

Deno.test("server closes the connection on QUIT in any case and others carry on", async () => {
  await using ts = await startServer();
  await using bob = await ts.login("bob");
  for (const quit of ["QUIT", "quit", "Quit see you"]) {
    await using alice = await ts.login("alice");
    await alice.send(quit);
    assert.deepEqual(await alice.readUntilClosed(), []);
  }
  assert.equal(
    (await ts.waitForLog(/disconnect .*name=alice reason=quit/)).includes("alice"),
    true,
  );
  await using carol = await ts.login("carol");
  await carol.send("*hi");
  assert.equal(await bob.readLine(), "[carol]: hi");
});

Deno.test("server drops a half-sent line at EOF and carries on", async () => {
  await using ts = await startServer();
  await using bob = await ts.login("bob");
  {
    const since = ts.log.length;
    const alice = await ts.login("alice");
    await alice.sendBytes(encoder.encode("*never finis"));
    await alice.close();
    await ts.waitForLog(/disconnect .*name=alice reason=eof/, since);
  }
  {
    const since = ts.log.length;
    const halfName = await TestClient.connect(ts.port);
    await halfName.sendBytes(encoder.encode("ali"));
    await halfName.close();
    await ts.waitForLog(/disconnect conn=\d+ reason=eof/, since);
  }
  await using carol = await ts.login("alice"); // the name was freed
  await carol.send("*first complete line");
  assert.equal(await bob.readLine(), "[alice]: first complete line");
});

Deno.test("server survives a connection reset by a peer", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  const since = ts.log.length;
  const victim = await Deno.connect({ hostname: "127.0.0.1", port: ts.port });
  await victim.write(encoder.encode("victim\n"));
  await ts.waitForLog(/login .*name=victim$/, since);
  // Once bob has the message, the server has written it to the victim too;
  // closing with that data unread makes the kernel send RST, not FIN.
  await alice.send("*unread by the victim");
  await bob.readLine();
  victim.close();
  // Deno 2.9 reports a reset seen by read() as the end of the stream.
  await ts.waitForLog(/disconnect .*name=victim reason=(reset|eof)/, since);
  await alice.send("*alive");
  assert.equal(await bob.readLine(), "[alice]: alive");
});

Deno.test("server answers an over-long line with one error, drops it, and keeps the connection", async () => {
  await using ts = await startServer({ maxLineBytes: 64 });
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  await alice.send("*" + "y".repeat(64));
  assert.equal(await alice.readLine(), "ERROR line-too-long: Line too long; it was dropped");
  await alice.send("*" + "z".repeat(63)); // exactly 64 bytes: accepted
  assert.equal(await bob.readLine(), "[alice]: " + "z".repeat(63));
});

Deno.test("server withstands a 16 MiB line without LF and others keep chatting", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  const chunk = encoder.encode("a".repeat(1024 * 1024));
  for (let i = 0; i < 16; i++) await alice.sendBytes(chunk);
  assert.equal(await alice.readLine(), "ERROR line-too-long: Line too long; it was dropped");
  await bob.send("*unaffected");
  assert.equal(await alice.readLine(), "[bob]: unaffected");
  await alice.sendBytes(encoder.encode("tail of the long line\n*back\n"));
  assert.equal(await bob.readLine(), "[alice]: back");
});

Deno.test("server relays control characters and invalid UTF-8 as U+FFFD", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  const hostile = new Uint8Array([
    ...encoder.encode("*a\x1b[2J\x1b]52;c;cHduZWQ=\x07b\tc\x7f"),
    0xc2, // U+009B, the one-byte CSI, as UTF-8
    0x9b,
    0xff, // never valid in UTF-8
    0xe2, // a truncated three-byte sequence
    0x82,
    ...encoder.encode("z\n"),
  ]);
  await alice.sendBytes(hostile);
  // readLine() decodes strictly, so this also proves the bytes are valid UTF-8.
  const line = await bob.readLine();
  assert.equal(line, "[alice]: a\uFFFD[2J\uFFFD]52;c;cHduZWQ=\uFFFDb\tc\uFFFD\uFFFD\uFFFD\uFFFDz");
  // deno-lint-ignore no-control-regex -- looking for control characters is the point
  assert.doesNotMatch(line, /[\x00-\x08\x0a-\x1f\x7f-\x9f]/);
});

Deno.test("server drops a user who stops reading, and nobody else is slowed", async () => {
  await using ts = await startServer({ maxOutboxBytes: 256 * 1024 });
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  const since = ts.log.length;
  // Logs in, then never reads: its socket buffers fill, then its outbox.
  const stalled = await Deno.connect({ hostname: "127.0.0.1", port: ts.port });
  try {
    await stalled.write(encoder.encode("stalled\n"));
    await ts.waitForLog(/login .*name=stalled$/, since);
    const { sent, received } = await floodUntilSlowReaderDropped(ts, alice, bob, "stalled");
    assert.equal(received.length, sent);
    assert.ok(received.every((line) => line === "[alice]: " + "f".repeat(1000)));

    const replied = Date.now();
    await bob.send("*prompt reply");
    assert.equal(await alice.readLine(), "[bob]: prompt reply");
    assert.ok(Date.now() - replied < 1000, "a reply arrives within a second");
  } finally {
    stalled.close();
  }
});

Deno.test("server delivers one broadcast to 1,000 simultaneous users", async () => {
  await using ts = await startServer();
  const users: TestClient[] = [];
  try {
    for (let i = 0; i < 1000; i += 100) {
      users.push(
        ...await Promise.all(
          Array.from(
            { length: 100 },
            async (_, j) => {
              const user = await TestClient.login(ts.port, `user${i + j}`);
              assert.match(await user.readLine(), /^NOTICE welcome: /); // logged in
              return user.ignore(/^NOTICE /);
            },
          ),
        ),
      );
    }
    await using sender = await ts.login("sender");
    assert.equal(ts.server.userCount, 1001);
    await sender.send("*to everyone");
    const lines = await Promise.all(users.map((user) => user.readLine()));
    assert.ok(lines.every((line) => line === "[sender]: to everyone"));
  } finally {
    await Promise.all(users.map((user) => user.close()));
  }
});

Deno.test("server closes a connection that sends no name within the login timeout", async () => {
  await using ts = await startServer({ loginTimeoutMs: 100 });
  await using silent = await TestClient.connect(ts.port);
  assert.deepEqual(await silent.readUntilClosed(), [
    "ERROR login-timeout: No name received in time",
  ]);
  await ts.waitForLog(/disconnect conn=\d+ reason=login-timeout/);
});

Deno.test("server tells everyone it is shutting down, then closes every connection", async () => {
  const ts = await startServer();
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  await using lurker = await TestClient.connect(ts.port); // not logged in yet
  await ts.server.shutdown();
  for (const client of [alice, bob, lurker]) {
    assert.deepEqual(await client.readUntilClosed(), [
      "NOTICE shutdown: The server is shutting down",
    ]);
  }
  await assert.rejects(TestClient.connect(ts.port), Deno.errors.ConnectionRefused);
});

Deno.test("server does not log chat text unless asked to", async () => {
  for (const logMessages of [false, true]) {
    await using ts = await startServer({ logMessages });
    await using alice = await ts.login("alice");
    await using bob = await ts.login("bob");
    await alice.send("*secret plans");
    await bob.readLine();
    const logged = ts.log.some((line) => line.includes("secret plans"));
    assert.equal(logged, logMessages);
  }
});

Deno.test("server still delivers its replies to a client that half-closed", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await alice.send("WHO");
  await alice.send("PING last");
  await alice.conn.closeWrite();
  assert.deepEqual(await alice.readUntilClosed(), ["WHO 1: alice", "PONG last"]);

  await using refused = await TestClient.connect(ts.port);
  await refused.sendBytes(encoder.encode("bad name\n"));
  await refused.conn.closeWrite();
  const lines = await refused.readUntilClosed();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^ERROR name-invalid: /);
});

Deno.test("server answers a name line over the limit with the reason and the rule", async () => {
  await using ts = await startServer({ maxLineBytes: 16 });
  await using client = await TestClient.login(ts.port, "x".repeat(40));
  assert.deepEqual(await client.readUntilClosed(), [
    "ERROR name-invalid: Name is too long: it must be 1 to 32 letters, digits, '_', '-' or '.', with no spaces",
  ]);
});

Deno.test("server calls a line starting with a space an unknown command", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await alice.send(" QUIT");
  assert.equal(
    await alice.readLine(),
    "ERROR unknown-command: Unknown command (line starts with a space); type HELP for the list",
  );
});

Deno.test({
  name: "server keeps accepting while peers reset their connections before accept",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using ts = await startServer();
    // python3 can set SO_LINGER 0, so close() sends RST; Deno cannot.
    const resets = await new Deno.Command("python3", {
      args: [
        "-c",
        `
import socket, struct
for _ in range(100):
    s = socket.create_connection(("127.0.0.1", ${ts.port}))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
`,
      ],
    }).output();
    assert.ok(resets.success, new TextDecoder().decode(resets.stderr));
    const started = performance.now();
    await using _alice = await ts.login("alice");
    assert.ok(performance.now() - started < 1000, "a new user got in at once");
    assert.ok(!ts.log.some((line) => line.includes("accept-error")), ts.log.join("\n"));
  },
});
