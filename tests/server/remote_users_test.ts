/**
 * The replica of other nodes' users over a real hub: proxies appear in WHO
 * and the directory as entries arrive, rooms follow joins and departures,
 * renames keep the order, a kick of a local user is handed back, and a
 * dead node's users can be forgotten at once.
 */
import assert from "@nanochat/assert";
import type { ChatEvent, EncodedEvent } from "../../protocol/events.ts";
import { RemoteUser, RemoteUsers } from "../../server/cluster/remote_users.ts";
import { Hub, type HubUser } from "../../server/hub/hub.ts";

/** A local user that records what it is delivered. */
class LocalUser implements HubUser {
  readonly got: string[] = [];
  constructor(readonly name: string) {}
  deliver(encoded: EncodedEvent): void {
    this.got.push(`${encoded.event.kind} ${encoded.event.from} ${encoded.event.text}`);
  }
}

let nextId = 1;
const event = (
  kind: ChatEvent["kind"],
  room: string,
  from: string,
  to = "",
  text = "",
): ChatEvent => ({
  id: `${nextId++}-0`,
  time: 0,
  room,
  kind,
  from,
  to,
  text,
});

function setUp() {
  const hub = new Hub<HubUser>();
  hub.rooms.open("#lobby");
  const local = new LocalUser("carol");
  hub.directory.claim("carol", local);
  hub.rooms.join("#lobby", local);
  const kicks: [string, string][] = [];
  const conflicts: string[] = [];
  const replica = new RemoteUsers(hub, {
    onLocalKick: (user, room) => kicks.push([user.name, room]),
    onConflict: (name) => conflicts.push(name),
  });
  return { hub, local, replica, kicks, conflicts };
}

Deno.test("a snapshot and later entries put other nodes' users in WHO, sorted with the local ones", () => {
  const { hub, replica } = setUp();
  replica.load({
    users: [
      { name: "alice", node: "a", rooms: ["#lobby", "#rust"] },
      { name: "old-self", node: "me", rooms: ["#lobby"] }, // this node's own earlier run
    ],
  }, "me");
  assert.deepEqual(hub.rooms.names("#lobby", 10), ["alice", "carol"]);
  assert.deepEqual(hub.rooms.names("#rust", 10), ["alice"]);
  replica.apply({ kind: "login", name: "bob", to: "", node: "b" }, "b");
  replica.apply(event("join", "#lobby", "bob"), "b");
  assert.deepEqual(hub.rooms.names("#lobby", 10), ["alice", "bob", "carol"]);
  assert.ok(hub.directory.holder("BOB") instanceof RemoteUser, "MSG finds bob");
  assert.equal(hub.directory.holder("old-self"), undefined);
  assert.equal(replica.size, 2);
});

Deno.test("parts, quits, renames and logouts move the proxies; events reach local users only", () => {
  const { hub, local, replica } = setUp();
  replica.apply({ kind: "login", name: "alice", to: "", node: "a" }, "a");
  replica.apply(event("join", "#lobby", "alice"), "a");
  replica.apply(event("join", "#rust", "alice"), "a");
  hub.publish({ room: "#lobby", kind: "message", from: "alice", to: "", text: "hi" });
  assert.deepEqual(local.got, ["message alice hi"], "the proxy's deliver does nothing");

  replica.apply(event("part", "#rust", "alice"), "a");
  assert.equal(hub.rooms.size("#rust"), 0);
  replica.apply({ kind: "rename", name: "alice", to: "zed", node: "a" }, "a");
  assert.deepEqual(hub.rooms.names("#lobby", 10), ["carol", "zed"], "re-sorted under the new name");
  assert.equal(hub.directory.holder("alice"), undefined);
  replica.apply(event("quit", "#lobby", "zed"), "a");
  assert.deepEqual(hub.rooms.names("#lobby", 10), ["carol"]);
  assert.ok(hub.directory.holder("zed") instanceof RemoteUser, "online in no room");
  replica.apply({ kind: "logout", name: "zed", to: "", node: "a" }, "a");
  assert.equal(hub.directory.holder("zed"), undefined);
  assert.equal(replica.size, 0);
});

Deno.test("a kick removes a proxy and hands a local target back", () => {
  const { hub, replica, kicks } = setUp();
  replica.apply({ kind: "login", name: "alice", to: "", node: "a" }, "a");
  replica.apply(event("join", "#lobby", "alice"), "a");
  replica.apply(event("kick", "#lobby", "op", "alice", "spam"), "b");
  assert.deepEqual(hub.rooms.names("#lobby", 10), ["carol"]);
  replica.apply(event("kick", "#lobby", "op", "carol", "spam"), "b");
  assert.deepEqual(kicks, [["carol", "#lobby"]]);
});

Deno.test("a name a local user holds is reported, not taken; a dead node's users go at once", () => {
  const { hub, replica, conflicts } = setUp();
  replica.apply({ kind: "login", name: "Carol", to: "", node: "a" }, "a");
  assert.deepEqual(conflicts, ["Carol"]);
  for (const name of ["x1", "x2"]) {
    replica.apply({ kind: "login", name, to: "", node: "dead" }, "dead");
    replica.apply(event("join", "#lobby", name), "dead");
  }
  replica.apply({ kind: "login", name: "y", to: "", node: "alive" }, "alive");
  const gone = replica.forgetNode("dead");
  assert.deepEqual(gone.map((user) => user.name), ["x1", "x2"]);
  assert.deepEqual(hub.rooms.names("#lobby", 10), ["carol"]);
  assert.equal(replica.size, 1);
});
