import assert from "@nanochat/assert";
import { DatabaseSync } from "node:sqlite";
import { ServerProcess } from "../support/cli_process.ts";
import { TestClient } from "../support/test_client.ts";

async function dataDir(): Promise<{ dir: string; db: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "nanochat-data-" });
  return {
    dir,
    db: `${dir}/chat.db`,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function serveWith(data: { dir: string; db: string }): Promise<ServerProcess> {
  return ServerProcess.start(["--data", data.db, "--rate", "0", "--operators", "alice"], {
    permissions: [`--allow-read=${data.dir}`, `--allow-write=${data.dir}`],
  });
}

async function login(server: ServerProcess, name: string): Promise<TestClient> {
  const client = await TestClient.login(server.port, name);
  assert.match(await client.readLine(), /^NOTICE welcome: /);
  return client;
}

Deno.test("a restarted server brings back history, topics, accounts and bans", async () => {
  await using data = await dataDir();
  {
    await using server = await serveWith(data);
    await server.stderr.waitFor(new RegExp(` data path=${data.db.replaceAll("/", "\\/")}$`));
    await using alice = await login(server, "alice");
    await alice.send("*before the restart");
    await alice.send("JOIN #rust");
    await alice.readLine();
    await alice.send("TOPIC #rust Rust talk");
    await alice.send("*in rust");
    await alice.send("REGISTER alices-password");
    await alice.send("PING saved");
    await alice.readLine(); // the topic notice
    // REGISTER answers once its password is hashed: before or after the PONG.
    const answers = (await alice.readLines(2)).sort();
    assert.equal(
      answers[0],
      "NOTICE registered: alice is registered to you now; log in with its password",
    );
    assert.equal(answers[1], "PONG saved");
    await alice.send("BAN mallory 7d spam");
    assert.match(await alice.readLine(), /^NOTICE moderation: mallory is banned until /);
    await server.stop("SIGTERM");
  }
  await using server = await serveWith(data);
  await using bob = await login(server, "bob");
  assert.match(await bob.readLine(), /^HISTORY \S+ \[alice\]: before the restart$/);
  await bob.send("LIST");
  assert.deepEqual(await bob.readLines(3), [
    "LIST #lobby 1: ",
    "LIST #rust 0: Rust talk",
    "LIST END: 2 rooms",
  ]);
  await bob.send("JOIN #rust");
  assert.equal(
    await bob.readLine(),
    "#rust NOTICE joined: You joined #rust: 1 user. Topic: Rust talk",
  );
  assert.match(await bob.readLine(), /^#rust HISTORY \S+ \[alice\]: in rust$/);
  await using impostor = await TestClient.login(server.port, "alice");
  assert.equal(
    await impostor.readLine(),
    "NOTICE password: alice is registered: send PASS and its password",
  );
  await impostor.send("PASS alices-password");
  assert.match(await impostor.readLine(), /^NOTICE welcome: /, "the account came back too");
  await using mallory = await TestClient.login(server.port, "mallory");
  assert.match(
    (await mallory.readUntilClosed())[0]!,
    /^ERROR banned: mallory is banned until \S+ \(spam\)$/,
  );
});

Deno.test("kill -9 mid-burst leaves a sound database holding a prefix of what was said", async () => {
  await using data = await dataDir();
  const count = 2000;
  {
    await using server = await serveWith(data);
    await using listener = await login(server, "listener");
    await using talker = await login(server, "talker");
    const lines = (from: number, to: number) =>
      new TextEncoder().encode(
        Array.from({ length: to - from }, (_, i) => `*m${from + i}\n`).join(""),
      );
    await talker.sendBytes(lines(0, count / 2));
    await listener.readLines(count / 2);
    // A login reads the history, which writes what waits: the first half is on disk.
    await using witness = await login(server, "witness");
    await witness.readLines(50);
    await talker.sendBytes(lines(count / 2, count));
    // Kill it while it is still taking the second half in.
    await listener.readLines(count / 4);
    server.child.kill("SIGKILL");
    await server.exited();
  }
  const db = new DatabaseSync(data.db);
  let stored: string[];
  try {
    assert.deepEqual({ ...db.prepare("PRAGMA integrity_check").get() }, { integrity_check: "ok" });
    stored = db.prepare("SELECT text FROM events ORDER BY seq").all().map((row) =>
      String(row.text)
    );
  } finally {
    db.close();
  }
  assert.ok(stored.length >= count / 2 && stored.length <= count, `${stored.length} stored`);
  assert.deepEqual(
    stored,
    Array.from({ length: stored.length }, (_, i) => `m${i}`),
    "in order, no hole",
  );
  // And it starts again on the same file, replaying what it kept.
  await using server = await serveWith(data);
  await using after = await login(server, "after");
  const replayed = await after.readLines(Math.min(50, stored.length));
  assert.deepEqual(
    replayed.map((line) => line.replace(/^HISTORY \S+ \[talker\]: /, "")),
    stored.slice(-50),
  );
});
