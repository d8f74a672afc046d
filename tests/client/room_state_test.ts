import assert from "@nanochat/assert";
import { ChatState } from "../../client/chat_state.ts";
import { type JoinedRoom, RoomState } from "../../client/room_state.ts";
import { parseServerLine } from "../../protocol/server_lines.ts";

/** A room state that has seen `lines`, in order. */
function roomsAfter(lines: readonly string[]): RoomState {
  const rooms = new RoomState();
  for (const line of lines) rooms.observe(parseServerLine(line));
  return rooms;
}

const JOINED_RUST = "#rust NOTICE joined: You joined #rust: 3 users. Topic: Rust talk";
const JOINED_GO = "#go NOTICE joined: You joined #go: 1 user";

Deno.test("new RoomState() starts in the default room, #lobby", () => {
  const rooms = new RoomState();
  assert.equal(rooms.current, "#lobby");
  assert.equal(rooms.defaultRoom, "#lobby");
  assert.deepEqual(rooms.joined, [{ name: "#lobby", unread: 0 }]);
});

Deno.test("RoomState.observe() follows joined, current and parted notices", () => {
  const cases: { lines: string[]; current: string | undefined; joined: string[] }[] = [
    { lines: [JOINED_RUST], current: "#rust", joined: ["#lobby", "#rust"] },
    { lines: [JOINED_RUST, JOINED_GO], current: "#go", joined: ["#lobby", "#rust", "#go"] },
    {
      lines: [JOINED_RUST, JOINED_GO, "NOTICE current: #rust is your current room"],
      current: "#rust",
      joined: ["#lobby", "#rust", "#go"],
    },
    {
      lines: [JOINED_RUST, "NOTICE current: #LOBBY is your current room"],
      current: "#lobby",
      joined: ["#lobby", "#rust"],
    },
    // Parting the current room makes the one joined last current.
    {
      lines: [JOINED_RUST, JOINED_GO, "#go NOTICE parted: You left #go"],
      current: "#rust",
      joined: ["#lobby", "#rust"],
    },
    // Parting another room leaves the current one.
    {
      lines: [JOINED_RUST, JOINED_GO, "#rust NOTICE parted: You left #rust"],
      current: "#go",
      joined: ["#lobby", "#go"],
    },
    // The default room can be parted too: its notice has no prefix.
    {
      lines: [JOINED_RUST, "NOTICE parted: You left #lobby"],
      current: "#rust",
      joined: ["#rust"],
    },
    {
      lines: ["NOTICE parted: You left #lobby"],
      current: undefined,
      joined: [],
    },
    // A room joined again keeps its place.
    {
      lines: [JOINED_RUST, JOINED_GO, "#RUST NOTICE joined: You joined #RUST: 3 users"],
      current: "#rust",
      joined: ["#lobby", "#rust", "#go"],
    },
    // What the user asked for, and refusals, change nothing.
    {
      lines: ["ERROR not-in-room: You are not in #rust", "ERROR room-invalid: bad"],
      current: "#lobby",
      joined: ["#lobby"],
    },
    { lines: ["#rust [bob]: hi"], current: "#lobby", joined: ["#lobby"] },
  ];
  for (const { lines, current, joined } of cases) {
    const rooms = roomsAfter(lines);
    const where = JSON.stringify(lines);
    assert.equal(rooms.current, current, where);
    assert.deepEqual(rooms.joined.map((room) => room.name), joined, where);
  }
});

Deno.test("RoomState.observe() learns the default room's name from its notices", () => {
  const rooms = roomsAfter([JOINED_RUST, "NOTICE parted: You left #main"]);
  assert.equal(rooms.defaultRoom, "#main");
  assert.deepEqual(rooms.joined.map((room) => room.name), ["#rust"]);

  // Renamed in place, the default room keeps its place and stays current.
  const named = roomsAfter(["NOTICE joined: You joined #main: 4 users"]);
  assert.equal(named.defaultRoom, "#main");
  assert.equal(named.current, "#main");
  assert.deepEqual(named.joined, [{ name: "#main", unread: 0 }]);
  assert.equal(named.roomOfLine(parseServerLine("[bob]: hi")), "#main");
});

Deno.test("RoomState.observe() counts messages in rooms other than the current one", () => {
  const rooms = roomsAfter([
    JOINED_RUST,
    "[carol]: lunch?", // the lobby
    "* carol waits",
    "#rust [bob]: hi", // the current room
    "NOTICE join: dave joined", // presence is not a message
    "HISTORY 2026-12-02T08:00:00Z [bob]: old", // nor is history
    "#go [eve]: not a room the user is in",
    "PRIVATE [bob]: psst", // shown wherever the user is
  ]);
  assert.deepEqual(rooms.joined, [{ name: "#lobby", unread: 2 }, { name: "#rust", unread: 0 }]);
});

Deno.test("RoomState.observe() resets a room's unread count when it becomes current", () => {
  const unreadOf = (rooms: RoomState, name: string): number | undefined =>
    rooms.joined.find((room: JoinedRoom) => room.name === name)?.unread;
  const rooms = roomsAfter([JOINED_RUST, JOINED_GO, "#rust [bob]: one", "#rust [bob]: two"]);
  assert.equal(unreadOf(rooms, "#rust"), 2);
  rooms.observe(parseServerLine("NOTICE current: #rust is your current room"));
  assert.equal(unreadOf(rooms, "#rust"), 0);
  rooms.observe(parseServerLine("#go [bob]: three"));
  assert.equal(unreadOf(rooms, "#go"), 1);
  rooms.observe(parseServerLine("#go NOTICE joined: You joined #go: 2 users"));
  assert.equal(unreadOf(rooms, "#go"), 0);
});

Deno.test("RoomState.nth() and neighbour() pick rooms in join order, wrapping around", () => {
  const rooms = roomsAfter([JOINED_RUST, JOINED_GO, "NOTICE current: #rust is your current room"]);
  assert.equal(rooms.nth(1), "#lobby");
  assert.equal(rooms.nth(3), "#go");
  assert.equal(rooms.nth(4), undefined);
  assert.equal(rooms.nth(0), undefined);
  assert.equal(rooms.neighbour(1), "#go");
  assert.equal(rooms.neighbour(-1), "#lobby");
  rooms.observe(parseServerLine("NOTICE current: #go is your current room"));
  assert.equal(rooms.neighbour(1), "#lobby");

  assert.equal(new RoomState().neighbour(1), undefined, "one room: nowhere to go");
  const none = roomsAfter(["NOTICE parted: You left #lobby"]);
  assert.equal(none.neighbour(1), undefined);
  const parted = roomsAfter([JOINED_RUST, JOINED_GO, "NOTICE parted: You left #lobby"]);
  assert.equal(parted.current, "#go");
  assert.equal(parted.neighbour(1), "#rust");
});

Deno.test("RoomState.isJoined() ignores case", () => {
  const rooms = roomsAfter([JOINED_RUST]);
  assert.ok(rooms.isJoined("#RUST"));
  assert.ok(rooms.isJoined("#Lobby"));
  assert.ok(!rooms.isJoined("#go"));
});

Deno.test("ChatState keeps rooms and names apart", () => {
  const state = new ChatState("alice");
  const parsed = state.observe("#rust NOTICE joined: You joined #rust: 2 users");
  assert.equal(parsed.kind, "notice");
  assert.equal(state.rooms.current, "#rust");
  assert.deepEqual(state.otherNames, []);
});
