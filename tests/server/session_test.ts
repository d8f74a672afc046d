import assert from "@nanochat/assert";
import type { ChatEvent } from "../../protocol/events.ts";
import { lineCodec } from "../../protocol/line_codec.ts";
import { ChatUser } from "../../server/chat_user.ts";
import { type HistoryStore, MemoryHistoryStore } from "../../server/hub/history_store.ts";
import { MemoryFanOut } from "../../server/hub/fan_out.ts";
import { Hub } from "../../server/hub/hub.ts";
import { Logger } from "../../server/log.ts";
import { Metrics } from "../../server/metrics.ts";
import { Session, type SessionOptions } from "../../server/session.ts";
import { TokenBucket } from "../../server/token_bucket.ts";
import { type AccountStore, MemoryAccountStore } from "../../server/accounts/account_store.ts";
import { FailureLimits } from "../../server/accounts/failure_limits.ts";
import { PasswordGate } from "../../server/accounts/password_gate.ts";
import { Bans, MemoryBanStore } from "../../server/moderation/bans.ts";
import { MemoryMuteStore, Mutes } from "../../server/moderation/mutes.ts";
import { FakeConnection } from "../support/fake_connection.ts";
import { LoginDeadlines } from "../../server/login_deadlines.ts";

/** A clock the test moves by hand. */
class FakeClock {
  now = 0;
  readonly read = () => this.now;
}

function world(
  options: {
    history?: HistoryStore;
    idleTimeoutMs?: number;
    maxReplyBytes?: number;
    presence?: { ratePerSecond: number; burst: number };
    historyBytes?: { ratePerSecond: number; burst: number };
    accounts?: AccountStore;
  } = {},
) {
  const clock = new FakeClock();
  const presenceBudget = new TokenBucket({
    ...(options.presence ?? { ratePerSecond: 1000, burst: 1000 }),
    now: clock.read,
  });
  const historyBudget = new TokenBucket({
    ...(options.historyBytes ?? { ratePerSecond: 1e9, burst: 1e9 }),
    now: clock.read,
  });
  const log: string[] = [];
  let logged: (() => void) | undefined;
  // Events are stamped by the fake clock too, as HISTORY pages by time.
  const hub = new Hub<ChatUser>({
    ...(options.history ? { history: options.history } : {}),
    fanOut: new MemoryFanOut(() => clock.now),
  });
  hub.rooms.open("#lobby");
  const metrics = new Metrics();
  const sessionOptions: SessionOptions = {
    loginDeadlines: new LoginDeadlines(
      60_000,
      (session) => session.end("login-timeout"),
      clock.read,
    ),
    idleTimeoutMs: options.idleTimeoutMs ?? 0,
    closeGraceMs: 1000,
    rate: undefined,
    log: new Logger((line) => {
      log.push(line);
      logged?.();
    }),
    metrics,
    now: clock.read,
  };
  const running: Promise<void>[] = [];
  const connect = () => {
    const conn = new FakeConnection();
    const session = new Session(conn, lineCodec, sessionOptions);
    const user = new ChatUser(session, {
      hub,
      defaultRoom: "#lobby",
      maxRoomsPerUser: 20,
      maxRooms: 1000,
      serverName: "nanochat test",
      historyLines: options.history ? 10 : 0,
      presenceMaxUsers: 500,
      log: sessionOptions.log,
      logMessages: false,
      maxReplyBytes: options.maxReplyBytes ?? 256 * 1024,
      maxHeldBytes: 1024 * 1024,
      presenceAllowed: () => {
        if (presenceBudget.available() < 1) return false;
        presenceBudget.charge(1);
        return true;
      },
      historyBudget,
      accounts: options.accounts ?? new MemoryAccountStore(),
      operators: new Set(),
      passwordGate: new PasswordGate(),
      bans: new Bans(new MemoryBanStore()),
      mutes: new Mutes(new MemoryMuteStore()),
      enforceBan: () => {},
      now: clock.read,
      passwordFailures: {
        byAddress: new FailureLimits(5, 600_000, clock.read),
        byName: new FailureLimits(20, 600_000, clock.read),
      },
    });
    running.push(session.run(user));
    return { conn, session, user };
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  const finish = async (...conns: FakeConnection[]) => {
    for (const conn of conns) conn.end();
    await Promise.all(running);
  };
  /** Waits for a log line matching `pattern` (the test's own timeout bounds it). */
  const waitForLog = async (pattern: RegExp) => {
    while (!log.some((line) => pattern.test(line))) {
      await new Promise<void>((resolve) => logged = resolve);
    }
  };
  return { clock, log, hub, metrics, connect, settle, finish, waitForLog };
}

Deno.test("ChatUser is welcomed first and announced to the others", async () => {
  const w = world();
  const alice = w.connect();
  alice.conn.push("alice");
  await w.settle();
  const bob = w.connect();
  bob.conn.push("bob");
  await w.settle();
  assert.deepEqual(alice.conn.lines, [
    "NOTICE welcome: Welcome to nanochat test, alice! 1 user online. Type HELP for commands.",
    "NOTICE join: bob joined",
  ]);
  assert.equal(
    bob.conn.lines[0],
    "NOTICE welcome: Welcome to nanochat test, bob! 2 users online. Type HELP for commands.",
  );
  await w.finish(alice.conn, bob.conn);
});

Deno.test("Session ends a silent user by the fake clock and the others see why, once", async () => {
  const w = world({ idleTimeoutMs: 600_000 });
  const alice = w.connect();
  const bob = w.connect();
  alice.conn.push("alice");
  bob.conn.push("bob");
  await w.settle();
  w.clock.now = 599_999;
  alice.session.checkIdle(w.clock.now);
  assert.equal(alice.conn.closed, false);
  bob.conn.push("PING"); // bob speaks at 599,999 ms
  await w.settle();
  w.clock.now = 600_000;
  alice.session.checkIdle(w.clock.now);
  bob.session.checkIdle(w.clock.now);
  alice.session.checkIdle(w.clock.now); // a second sweep changes nothing
  await w.settle();
  assert.deepEqual(alice.conn.lines.slice(-1), ["ERROR idle-timeout: Nothing received for 600 s"]);
  assert.equal(alice.conn.closed, true);
  assert.deepEqual(bob.conn.lines.slice(-2), [
    "PONG",
    "NOTICE disconnect: alice was disconnected (idle timeout)",
  ]);
  await w.finish(bob.conn);
  assert.equal(w.metrics.disconnects.get("idle-timeout"), 1);
  assert.equal(w.log.filter((line) => line.includes("reason=idle-timeout")).length, 1);
});

Deno.test("ChatUser sends history first, then what was said while the store answered, live and once", async () => {
  const answer = Promise.withResolvers<readonly ChatEvent[]>();
  const stored: ChatEvent[] = [];
  const history: HistoryStore = {
    append: (event) => stored.push(event),
    recent: () => answer.promise,
    before: () => Promise.resolve([]),
  };
  const w = world({ history });
  const bob = w.connect();
  bob.conn.push("bob");
  await w.settle();
  bob.conn.push("*before");
  await w.settle();
  const alice = w.connect();
  alice.conn.push("alice");
  await w.settle();
  bob.conn.push("*during one", "*during two");
  await w.settle();
  // The slow store answers with one line said after alice joined: alice got it live.
  answer.resolve(stored.slice(0, 2));
  await w.settle();
  assert.deepEqual(alice.conn.lines.map((line) => line.replace(/^HISTORY \S+ /, "HISTORY ")), [
    "NOTICE welcome: Welcome to nanochat test, alice! 2 users online. Type HELP for commands.",
    "HISTORY [bob]: before",
    "[bob]: during one",
    "[bob]: during two",
  ]);
  await w.finish(alice.conn, bob.conn);
});

Deno.test("Session tells its user once and logs one disconnect, however the end is reached", async () => {
  const w = world();
  const alice = w.connect();
  alice.conn.push("alice", "QUIT bye");
  await w.settle();
  alice.session.end("flood");
  alice.session.slowReader();
  alice.conn.end();
  await w.finish();
  assert.deepEqual(w.log.filter((line) => line.includes(" disconnect ")).length, 1);
  assert.equal(w.metrics.disconnects.get("quit"), 1);
  assert.equal(w.hub.directory.size, 0);
  assert.equal(w.hub.rooms.size("#lobby"), 0);
});

Deno.test("TokenBucket makes a costly command wait as long as that many lines", () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket({ ratePerSecond: 1, burst: 10, now: clock.read });
  bucket.charge(5); // WHO
  assert.equal(bucket.delay(), 0);
  bucket.charge(5);
  assert.equal(bucket.delay(), 1000);
  clock.now = 1000;
  assert.equal(bucket.delay(), 0);
  bucket.charge(1);
  clock.now = 1500;
  assert.equal(bucket.delay(), 500);
});

/** Stores `count` old lines from bob, each its number and `size` more characters. */
function fill(store: MemoryHistoryStore, count: number, size: number): void {
  for (let i = 0; i < count; i++) {
    const text = `${i} ${"z".repeat(size)}`;
    store.append({
      id: `old${i}`,
      time: 0,
      room: "#lobby",
      kind: "message",
      from: "bob",
      to: "",
      text,
    });
  }
}

/** Puts `count` users into the hub without connections, as `WHO` and presence see them. */
function crowd(hub: Hub<ChatUser>, count: number, prefix = "user"): void {
  for (let i = 0; i < count; i++) {
    const user = { name: `${prefix}${String(i).padStart(5, "0")}`, deliver() {} };
    hub.directory.claim(user.name, user as unknown as ChatUser);
    hub.rooms.join("#lobby", user as unknown as ChatUser);
  }
}

Deno.test("WHO lists at most 1,000 names, and always counts the whole room", async () => {
  const w = world();
  crowd(w.hub, 1200);
  const alice = w.connect();
  alice.conn.push("alice", "WHO");
  await w.settle();
  const who = alice.conn.lines.at(-1)!;
  assert.match(who, /^WHO 1201: alice user00000 user00001 /);
  assert.equal(who.split(": ")[1]!.split(" ").length, 1000);
  await w.finish(alice.conn);
});

Deno.test("WHO fits the reply budget, however long the names", async () => {
  const w = world({ maxReplyBytes: 16 * 1024 });
  crowd(w.hub, 1000, "x".repeat(27));
  const alice = w.connect();
  alice.conn.push("alice", "WHO");
  await w.settle();
  const who = alice.conn.lines.at(-1)!;
  assert.match(who, /^WHO 1001: alice x{27}00000 /);
  assert.ok(new TextEncoder().encode(who).length <= 16 * 1024, `${who.length} bytes`);
  await w.finish(alice.conn);
});

Deno.test("history replay sends the newest lines that fit the reply budget, oldest first", async () => {
  const store = new MemoryHistoryStore(50);
  const w = world({ history: store, maxReplyBytes: 10 * 1024 });
  for (let i = 0; i < 50; i++) {
    store.append({
      id: `old${i}`,
      time: 0,
      room: "#lobby",
      kind: "message",
      from: "bob",
      to: "",
      text: `${i} ${"z".repeat(1000)}`,
    });
  }
  const alice = w.connect();
  alice.conn.push("alice");
  await w.settle();
  const history = alice.conn.lines.slice(1).map((line) => line.split(" ")[3]);
  assert.deepEqual(history, ["41", "42", "43", "44", "45", "46", "47", "48", "49"]);
  await w.finish(alice.conn);
});

Deno.test("history replays share one budget per second across all logins", async () => {
  const store = new MemoryHistoryStore(10);
  const w = world({ history: store, historyBytes: { ratePerSecond: 1000, burst: 2000 } });
  fill(store, 10, 150);
  const replayed = async (name: string) => {
    const user = w.connect();
    user.conn.push(name);
    await w.settle();
    return { conn: user.conn, count: user.conn.lines.length - 1 };
  };
  const first = await replayed("alice");
  const second = await replayed("carol");
  assert.equal(first.count, 10);
  assert.ok(second.count < 10, `the second login got ${second.count} lines`);
  w.clock.now += 2000;
  const third = await replayed("dave");
  assert.equal(third.count, 10);
  await w.finish(first.conn, second.conn, third.conn);
});

Deno.test("presence notices stop while the room's budget is spent, and come back with time", async () => {
  const w = world({ presence: { ratePerSecond: 1, burst: 2 } });
  const alice = w.connect();
  alice.conn.push("alice"); // spends one
  await w.settle();
  const others = ["bob", "carol", "dave"].map((name) => {
    const user = w.connect();
    user.conn.push(name);
    return user;
  });
  await w.settle();
  assert.deepEqual(alice.conn.lines.slice(1), ["NOTICE join: bob joined"]);
  w.clock.now += 1000;
  const erin = w.connect();
  erin.conn.push("erin");
  await w.settle();
  assert.deepEqual(alice.conn.lines.slice(1), [
    "NOTICE join: bob joined",
    "NOTICE join: erin joined",
  ]);
  await w.finish(alice.conn, erin.conn, ...others.map((user) => user.conn));
});

Deno.test("history goes out a part at a time as the client takes it, live lines after it", async () => {
  const store = new MemoryHistoryStore(50);
  const w = world({ history: store });
  fill(store, 10, 2000);
  const bob = w.connect();
  bob.conn.push("bob");
  const alice = w.connect();
  alice.conn.stalled = true; // alice reads nothing yet
  alice.conn.push("alice");
  await w.settle();
  bob.conn.push("*live");
  await w.settle();
  const sent = () => alice.conn.lines.slice(1).map((line) => line.split(" ")[3] ?? line);
  assert.deepEqual(sent(), ["0", "1", "2", "3", "4"], "one part of 8 KiB or so, then a wait");
  alice.conn.resume();
  await w.settle();
  assert.deepEqual(sent(), ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "[bob]: live"]);
  await w.finish(alice.conn, bob.conn);
});

Deno.test("a user who never takes the history is dropped once live lines held for it pass the cap", async () => {
  const store = new MemoryHistoryStore(50);
  const w = world({ history: store });
  fill(store, 10, 2000);
  const bob = w.connect();
  bob.conn.push("bob");
  const alice = w.connect();
  alice.conn.stalled = true;
  alice.conn.push("alice");
  await w.settle();
  const line = "*" + "y".repeat(3000);
  for (let i = 0; i < 400 && !alice.conn.closed; i++) {
    bob.conn.push(line);
    await w.settle();
  }
  assert.equal(alice.conn.closed, true, "alice was dropped");
  assert.ok(
    bob.conn.lines.includes(
      "NOTICE disconnect: alice was disconnected (not reading: too much output queued)",
    ),
  );
  await w.finish(bob.conn);
});

Deno.test("replies wait behind the history too, in the order asked", async () => {
  const answer = Promise.withResolvers<readonly ChatEvent[]>();
  const w = world({
    history: { append() {}, recent: () => answer.promise, before: () => Promise.resolve([]) },
  });
  const alice = w.connect();
  alice.conn.push("alice", "MSG nobody hi", "PING x");
  await w.settle();
  assert.equal(alice.conn.lines.length, 1, "only the welcome before the history");
  answer.resolve([{
    id: "old",
    time: 0,
    room: "#lobby",
    kind: "message",
    from: "bob",
    to: "",
    text: "earlier",
  }]);
  await w.settle();
  assert.deepEqual(
    alice.conn.lines.slice(1).map((line) => line.replace(/^HISTORY \S+ /, "HISTORY ")),
    [
      "HISTORY [bob]: earlier",
      "ERROR no-such-user: Nobody called nobody is online",
      "PONG x",
    ],
  );
  await w.finish(alice.conn);
});

Deno.test("HISTORY pages back through a room, never splitting a second", async () => {
  const store = new MemoryHistoryStore(100);
  const w = world({ history: store });
  w.clock.now = Date.UTC(2026, 11, 2, 8, 0, 0);
  const bob = w.connect();
  bob.conn.push("bob");
  await w.settle();
  // Two lines a second for five seconds: 08:00:00.000, 08:00:00.500, 08:00:01.000, …
  for (let i = 0; i < 10; i++) {
    bob.conn.push(`*line ${i}`);
    await w.settle();
    w.clock.now += 500;
  }
  const lines = (conn: FakeConnection) =>
    conn.lines.map((line) => line.replace(/^HISTORY \S+ /, ""));
  bob.conn.push("HISTORY 3");
  await w.settle();
  // Three would cut 08:00:03 in two: the page holds the whole of 08:00:04 only.
  assert.deepEqual(lines(bob.conn).slice(-3), [
    "[bob]: line 8",
    "[bob]: line 9",
    "NOTICE history-end: 2 lines; more before 2026-12-02T08:00:04Z",
  ]);
  bob.conn.push("HISTORY 4 2026-12-02T08:00:04Z");
  await w.settle();
  assert.deepEqual(lines(bob.conn).slice(-5), [
    "[bob]: line 4",
    "[bob]: line 5",
    "[bob]: line 6",
    "[bob]: line 7",
    "NOTICE history-end: 4 lines; more before 2026-12-02T08:00:02Z",
  ]);
  bob.conn.push("HISTORY 200 2026-12-02T08:00:02Z");
  await w.settle();
  assert.deepEqual(lines(bob.conn).slice(-5), [
    "[bob]: line 0",
    "[bob]: line 1",
    "[bob]: line 2",
    "[bob]: line 3",
    "NOTICE history-end: 4 lines; nothing older",
  ]);
  bob.conn.push("HISTORY 201", "HISTORY #nowhere", "HISTORY 5 yesterday");
  await w.settle();
  assert.deepEqual(lines(bob.conn).slice(-3), [
    "ERROR usage: Usage: HISTORY [#room] [count] [before]",
    "ERROR no-such-room: There is no room #nowhere",
    "ERROR usage: Usage: HISTORY [#room] [count] [before]",
  ]);
  await w.finish(bob.conn);
});

Deno.test("HISTORY sends a whole crowded second when a page would cut it, so paging back loses nothing", async () => {
  const store = new MemoryHistoryStore(200);
  const w = world({ history: store });
  w.clock.now = Date.UTC(2026, 11, 2, 8, 0, 0);
  const bob = w.connect();
  bob.conn.push("bob");
  await w.settle();
  // 120 lines in one second (a paste), then one more a second later.
  for (let i = 0; i < 120; i++) {
    bob.conn.push(`*line ${i}`);
    await w.settle();
  }
  w.clock.now += 1000;
  bob.conn.push("*later");
  await w.settle();
  const lines = (conn: FakeConnection) =>
    conn.lines.map((line) => line.replace(/^HISTORY \S+ /, ""));
  bob.conn.push("HISTORY 1");
  await w.settle();
  assert.deepEqual(lines(bob.conn).slice(-2), [
    "[bob]: later",
    "NOTICE history-end: 1 line; more before 2026-12-02T08:00:01Z",
  ]);
  bob.conn.push("HISTORY 50 2026-12-02T08:00:01Z");
  await w.settle();
  // Not 50 of the 120, which would leave the other 70 unreachable: all of them.
  assert.deepEqual(
    lines(bob.conn).slice(-121),
    [
      ...Array.from({ length: 120 }, (_, i) => `[bob]: line ${i}`),
      "NOTICE history-end: 120 lines; nothing older",
    ],
  );
  await w.finish(bob.conn);
});

Deno.test("a database that fails to register a name is logged, and the user stays on", async () => {
  class FailingAccounts extends MemoryAccountStore {
    override register(): void {
      throw new Error("disk full");
    }
  }
  const w = world({ accounts: new FailingAccounts() });
  const alice = w.connect();
  alice.conn.push("alice", "REGISTER a-good-password");
  await w.waitForLog(/ password-error .*disk full/); // the hash ran off the event loop
  alice.conn.push("PING still");
  await w.settle();
  assert.equal(alice.conn.lines.at(-1), "PONG still");
  await w.finish(alice.conn);
});
