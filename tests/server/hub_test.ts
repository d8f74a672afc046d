import assert from "@nanochat/assert";
import type { ChatEvent, Codec, EncodedEvent, Reply } from "../../protocol/events.ts";
import { lineCodec } from "../../protocol/line_codec.ts";
import { MemoryFanOut } from "../../server/hub/fan_out.ts";
import { MemoryHistoryStore } from "../../server/hub/history_store.ts";
import { Hub, type HubUser } from "../../server/hub/hub.ts";

const decoder = new TextDecoder();

/** A user that records the lines it would be sent. */
class FakeUser implements HubUser {
  readonly lines: string[] = [];
  constructor(public name: string, readonly codec: Codec = lineCodec) {}
  deliver(encoded: EncodedEvent, toSender: boolean): void {
    const bytes = toSender ? this.codec.event(encoded.event, true) : encoded.bytes(this.codec);
    this.lines.push(decoder.decode(bytes).trimEnd());
  }
}

function hubWith(names: string[], options: { history?: number; clock?: () => number } = {}) {
  const hub = new Hub<FakeUser>({
    history: new MemoryHistoryStore(options.history ?? 0),
    fanOut: new MemoryFanOut(options.clock),
  });
  hub.rooms.open("#lobby");
  const users = names.map((name) => {
    const user = new FakeUser(name);
    assert.equal(hub.directory.claim(name, user), undefined);
    hub.rooms.join("#lobby", user);
    return user;
  });
  return { hub, users };
}

Deno.test("Hub delivers each room event to every member but its sender, in publish order", () => {
  const { hub, users: [alice, bob, carol] } = hubWith(["alice", "bob", "carol"]);
  hub.publish({ room: "#lobby", kind: "message", from: "alice", to: "", text: "one" });
  hub.publish({ room: "#lobby", kind: "message", from: "bob", to: "", text: "two" });
  hub.publish({ room: "#lobby", kind: "action", from: "carol", to: "", text: "waves" });
  assert.deepEqual(alice!.lines, ["[bob]: two", "* carol waves"]);
  assert.deepEqual(bob!.lines, ["[alice]: one", "* carol waves"]);
  assert.deepEqual(carol!.lines, ["[alice]: one", "[bob]: two"]);
});

Deno.test("Hub encodes an event once per codec, however many receive it", () => {
  let encodings = 0;
  const counting: Codec = {
    event(event: ChatEvent, toSender: boolean) {
      encodings++;
      return lineCodec.event(event, toSender);
    },
    reply: (reply: Reply) => lineCodec.reply(reply),
  };
  const hub = new Hub<FakeUser>();
  hub.rooms.open("#lobby");
  for (let i = 0; i < 100; i++) {
    const user = new FakeUser(`user${i}`, i < 90 ? lineCodec : counting);
    hub.directory.claim(user.name, user);
    hub.rooms.join("#lobby", user);
  }
  hub.publish({ room: "#lobby", kind: "message", from: "user0", to: "", text: "hi" });
  assert.equal(encodings, 1);
});

Deno.test("Hub delivers a private event to its recipient and confirms it to its sender only", () => {
  const { hub, users: [alice, bob, carol] } = hubWith(["alice", "Bob", "carol"]);
  hub.publish({ room: "", kind: "private", from: "alice", to: "Bob", text: "psst" });
  assert.deepEqual(alice!.lines, ["SENT [Bob]: psst"]);
  assert.deepEqual(bob!.lines, ["PRIVATE [alice]: psst"]);
  assert.deepEqual(carol!.lines, []);
});

Deno.test("Hub sends a rename to everyone, the renamed user too", () => {
  const { hub, users } = hubWith(["alice", "bob"]);
  hub.publish({ room: "#lobby", kind: "nick", from: "alice", to: "alicia", text: "" });
  for (const user of users) assert.deepEqual(user.lines, ["NOTICE nick: alice is now alicia"]);
});

Deno.test("Hub remembers chat and actions with the fan-out's ids and clock, not presence", async () => {
  let now = Date.UTC(2026, 0, 2, 3, 4, 5);
  const { hub } = hubWith(["alice"], { history: 10, clock: () => now });
  hub.publish({ room: "#lobby", kind: "join", from: "bob", to: "", text: "" });
  hub.publish({ room: "#lobby", kind: "message", from: "bob", to: "", text: "hello" });
  now += 1000;
  hub.publish({ room: "#lobby", kind: "action", from: "bob", to: "", text: "waves" });
  hub.publish({ room: "", kind: "private", from: "bob", to: "alice", text: "secret" });
  const history = await hub.history.recent("#lobby", 10);
  assert.deepEqual(history.map(({ kind, text, time }) => ({ kind, text, time })), [
    { kind: "message", text: "hello", time: Date.UTC(2026, 0, 2, 3, 4, 5) },
    { kind: "action", text: "waves", time: Date.UTC(2026, 0, 2, 3, 4, 6) },
  ]);
  const sequence = (id: string) => Number(id.split("-")[1]);
  assert.ok(sequence(history[0]!.id) < sequence(history[1]!.id));
  assert.deepEqual(
    lineCodec.reply({ kind: "history", event: history[0]! }),
    new TextEncoder().encode("HISTORY 2026-01-02T03:04:05Z [bob]: hello\n"),
  );
});

Deno.test("MemoryHistoryStore keeps the last N events per room, oldest first", async () => {
  const store = new MemoryHistoryStore(3);
  for (let i = 1; i <= 10; i++) {
    for (const room of ["#a", "#b"]) {
      store.append({
        id: `${room}${i}`,
        time: i,
        room,
        kind: "message",
        from: "x",
        to: "",
        text: `${i}`,
      });
    }
  }
  assert.deepEqual((await store.recent("#a", 50)).map((event) => event.text), ["8", "9", "10"]);
  assert.deepEqual((await store.recent("#b", 2)).map((event) => event.text), ["9", "10"]);
  assert.deepEqual(await store.recent("#c", 2), []);
});

Deno.test("MemoryRooms lists names sorted ignoring case, kept in order through joins and leaves", () => {
  const { hub, users } = hubWith(["carol", "Bob", "alice", "ZED", "dave"]);
  assert.deepEqual(hub.rooms.names("#lobby", 10), ["alice", "Bob", "carol", "dave", "ZED"]);
  assert.deepEqual(hub.rooms.names("#lobby", 2), ["alice", "Bob"]);
  hub.rooms.leave("#lobby", users[1]!);
  hub.rooms.leave("#lobby", users[1]!);
  assert.deepEqual(hub.rooms.names("#lobby", 10), ["alice", "carol", "dave", "ZED"]);
  assert.equal(hub.rooms.size("#lobby"), 4);
  for (const user of users) hub.rooms.leave("#lobby", user);
  assert.deepEqual(hub.rooms.names("#lobby", 10), []);
  assert.equal(hub.rooms.size("#lobby"), 0);
});

Deno.test("MemoryNameDirectory refuses a name held by another user, ignoring case", () => {
  const { hub, users: [alice] } = hubWith(["alice"]);
  const impostor = new FakeUser("ALICE");
  assert.equal(hub.directory.claim("ALICE", impostor), alice);
  hub.directory.release("alice", impostor); // not the holder: nothing happens
  assert.equal(hub.directory.holder("Alice"), alice);
  hub.directory.release("alice", alice!);
  assert.equal(hub.directory.claim("ALICE", impostor), undefined);
  assert.equal(hub.directory.holder("alice"), impostor);
});
