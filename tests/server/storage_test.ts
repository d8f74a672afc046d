import assert from "@nanochat/assert";
import { DatabaseSync } from "node:sqlite";
import type { ChatEvent } from "../../protocol/events.ts";
import { openDatabase, SCHEMA_VERSION } from "../../server/store/database.ts";
import { SqliteHistoryStore } from "../../server/store/sqlite_history.ts";
import { SqliteRooms } from "../../server/store/sqlite_rooms.ts";
import { SqliteAccountStore } from "../../server/store/sqlite_accounts.ts";

async function tempDb(): Promise<{ path: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "nanochat-db-" });
  return {
    path: `${dir}/chat.db`,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function event(i: number, room = "#lobby", time = i): ChatEvent {
  return { id: `e${i}`, time, room, kind: "message", from: "bob", to: "", text: `line ${i}` };
}

Deno.test("openDatabase() creates the schema in WAL mode, and reopens it as it is", async () => {
  await using file = await tempDb();
  const db = openDatabase(file.path);
  assert.deepEqual({ ...db.prepare("PRAGMA journal_mode").get() }, { journal_mode: "wal" });
  assert.deepEqual({ ...db.prepare("SELECT version FROM schema_version").get() }, {
    version: SCHEMA_VERSION,
  });
  db.close();
  const again = openDatabase(file.path);
  assert.equal(again.prepare("SELECT count(*) AS n FROM schema_version").get()!.n, 1);
  again.close();
});

Deno.test("openDatabase() refuses a database written by a newer nanochat, and a file that is none", async () => {
  await using file = await tempDb();
  const db = new DatabaseSync(file.path);
  db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)");
  db.exec(`INSERT INTO schema_version VALUES (${SCHEMA_VERSION + 1})`);
  db.close();
  assert.throws(
    () => openDatabase(file.path),
    Error,
    `was written by a newer nanochat (schema ${
      SCHEMA_VERSION + 1
    }; this one knows up to ${SCHEMA_VERSION})`,
  );
  await Deno.writeTextFile(file.path + ".txt", "not a database, just text\n".repeat(100));
  assert.throws(() => openDatabase(file.path + ".txt"), Error, "cannot use the database");
});

Deno.test("SqliteHistoryStore writes in batches and returns the recent events of a room, oldest first", async () => {
  await using file = await tempDb();
  const db = openDatabase(file.path);
  const store = new SqliteHistoryStore(db, { keepPerRoom: 100, maxAgeMs: 1e12 });
  try {
    for (let i = 0; i < 5; i++) store.append(event(i));
    store.append(event(99, "#rust"));
    const count = () => db.prepare("SELECT count(*) AS n FROM events").get()!.n;
    assert.equal(count(), 0, "nothing written on the delivery path");
    assert.deepEqual((await store.recent("#lobby", 3)).map((e) => e.text), [
      "line 2",
      "line 3",
      "line 4",
    ]);
    assert.equal(count(), 6, "one batch, written when asked");
    assert.deepEqual(await store.recent("#rust", 10), [event(99, "#rust")]);
  } finally {
    store.close();
    db.close();
  }
});

Deno.test("SqliteHistoryStore keeps at most N events per room and none older than the limit", async () => {
  await using file = await tempDb();
  const db = openDatabase(file.path);
  let now = 10_000;
  const store = new SqliteHistoryStore(db, { keepPerRoom: 3, maxAgeMs: 5_000, now: () => now });
  try {
    for (let i = 0; i < 10; i++) store.append(event(i, "#a", 1_000 * i));
    store.append(event(50, "#b", 9_000));
    store.prune();
    assert.deepEqual((await store.recent("#a", 10)).map((e) => e.id), ["e7", "e8", "e9"]);
    now = 12_500; // e7 (7,000) is now older than 5,000 ms
    store.prune();
    assert.deepEqual((await store.recent("#a", 10)).map((e) => e.id), ["e8", "e9"]);
    assert.deepEqual((await store.recent("#b", 10)).map((e) => e.id), ["e50"]);
  } finally {
    store.close();
    db.close();
  }
});

Deno.test("SqliteHistoryStore reports a failing database instead of throwing at the chat", async () => {
  await using file = await tempDb();
  const db = openDatabase(file.path);
  const errors: unknown[] = [];
  const store = new SqliteHistoryStore(db, {
    keepPerRoom: 10,
    maxAgeMs: 1e12,
    onError: (error) => errors.push(error),
  });
  db.exec("DROP TABLE events"); // the next write fails
  store.append(event(1));
  assert.deepEqual(await store.recent("#lobby", 10).catch(() => "threw"), "threw");
  assert.equal(errors.length, 1, "the failed write was reported");
  store.close(); // tries once more, and reports
  assert.equal(errors.length, 2);
  db.close();
});

Deno.test("SqliteRooms keeps topics across a reopen, and forgets a cleared one", async () => {
  await using file = await tempDb();
  const first = openDatabase(file.path);
  const rooms = new SqliteRooms<{ name: string }>(first);
  rooms.open("#Rust");
  rooms.setTopic("#rust", "Rust talk");
  rooms.open("#go");
  rooms.setTopic("#go", "gophers");
  rooms.setTopic("#go", "");
  first.close();
  const second = openDatabase(file.path);
  const reopened = new SqliteRooms<{ name: string }>(second);
  assert.deepEqual(reopened.list(), [{ room: "#Rust", users: 0, topic: "Rust talk" }]);
  second.close();
});

Deno.test("SqliteAccountStore finds accounts ignoring case, and look-alikes by skeleton", async () => {
  await using file = await tempDb();
  const db = openDatabase(file.path);
  try {
    const accounts = new SqliteAccountStore(db);
    accounts.register("Alice", "scrypt$hash");
    assert.deepEqual(accounts.find("alice"), { name: "Alice", passwordHash: "scrypt$hash" });
    assert.equal(accounts.lookalike("alice"), undefined, "the same name is not a look-alike");
    assert.deepEqual(accounts.lookalike("aIice")?.name, "Alice");
    accounts.setPassword("ALICE", "scrypt$other");
    assert.equal(accounts.find("alice")?.passwordHash, "scrypt$other");
    accounts.remove("alice");
    assert.equal(accounts.find("Alice"), undefined);
  } finally {
    db.close();
  }
});

Deno.test("SqliteRooms keeps a room's owner and operators across a reopen", async () => {
  await using file = await tempDb();
  const first = openDatabase(file.path);
  const rooms = new SqliteRooms<{ name: string }>(first);
  rooms.open("#rust");
  rooms.setOwner("#rust", "alice");
  rooms.setOperator("#rust", "Bob", true);
  rooms.setOperator("#rust", "carol", true);
  rooms.setOperator("#rust", "carol", false);
  first.close();
  const second = openDatabase(file.path);
  const reopened = new SqliteRooms<{ name: string }>(second);
  assert.equal(reopened.owner("#rust"), "alice");
  assert.ok(reopened.isOperator("#rust", "alice"), "the owner is an operator");
  assert.ok(reopened.isOperator("#rust", "bob"));
  assert.ok(!reopened.isOperator("#rust", "carol"));
  assert.deepEqual(reopened.expire(0, "#lobby"), [], "an owned room never expires");
  second.close();
});
