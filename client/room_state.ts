/**
 * What the client learns about rooms from the lines it receives: the rooms
 * the user is in, in the order they were joined (Alt-1 is the first), the
 * current one, how many messages each other room holds that the user has
 * not seen there, and every room name seen, for Tab.
 *
 * It changes on the server's word only (`joined`, `parted` and `current`
 * notices), never on what the user typed: a `/join` the server refuses
 * leaves everything as it was. Every user starts in the default room, whose
 * lines carry no room; its name is taken to be `#lobby` until a notice
 * about joining or leaving it names it.
 *
 * @module
 */

import { DEFAULT_ROOM } from "../protocol/line_codec.ts";
import { roomKey, roomProblem } from "../protocol/room_name.ts";
import { roomInText, roomOf, type ServerLine } from "../protocol/server_lines.ts";

/** How many room names the client remembers for completion (a server's default room limit). */
const MAX_KNOWN_ROOMS = 1000;

/** A room the user is in. */
export interface JoinedRoom {
  /** Its name, as the server wrote it. */
  readonly name: string;
  /** Messages received there since the user last had it as the current room. */
  readonly unread: number;
}

/** Which room is current and which is the default: what tagging a line needs. */
export interface RoomView {
  /** The user's current room; `undefined` when they are in none. */
  readonly current: string | undefined;
  /** The name of the default room, whose lines come without one. */
  readonly defaultRoom: string;
}

/** The client's view of the rooms. */
export class RoomState implements RoomView {
  #defaultRoom = DEFAULT_ROOM;
  /** By key, in the order joined. */
  #joined = new Map<string, { name: string; unread: number }>();
  #current: string | undefined;
  /** By key, the most recently seen last. */
  readonly #known = new Map<string, string>();

  /** Starts in the default room. */
  constructor() {
    this.#join(DEFAULT_ROOM);
  }

  /** The default room's name. */
  get defaultRoom(): string {
    return this.#defaultRoom;
  }

  /** The current room's name, or `undefined` when the user is in no room. */
  get current(): string | undefined {
    return this.#current === undefined ? undefined : this.#joined.get(this.#current)?.name;
  }

  /** The rooms the user is in, in the order joined. */
  get joined(): JoinedRoom[] {
    return [...this.#joined.values()].map(({ name, unread }) => ({ name, unread }));
  }

  /**
   * The room a line is about, with the default room named.
   *
   * @param line A parsed line.
   * @returns The room's name, or `undefined` for a line about no room.
   */
  roomOfLine(line: ServerLine): string | undefined {
    const room = roomOf(line);
    return room === "" ? this.#defaultRoom : room;
  }

  /**
   * Learns from one server line.
   *
   * @param line A parsed line, as received.
   */
  observe(line: ServerLine): void {
    if (line.kind === "list") this.#remember(line.room);
    if (line.kind === "notice") this.#notice(line);
    const room = this.roomOfLine(line);
    if (room === undefined) return;
    this.#remember(room);
    // Unread counts messages, not presence or history.
    if (line.kind !== "chat" && line.kind !== "action") return;
    const joined = this.#joined.get(roomKey(room));
    if (joined !== undefined && roomKey(room) !== this.#current) joined.unread++;
  }

  #notice(line: ServerLine & { kind: "notice" }): void {
    if (line.room === undefined && (line.code === "joined" || line.code === "parted")) {
      // The default room's own lines carry no name; these notices' texts do.
      const named = roomInText(line.text);
      if (named !== undefined) this.#nameDefaultRoom(named);
    }
    const room = line.room ?? this.#defaultRoom;
    switch (line.code) {
      case "joined":
        return this.#join(room);
      case "parted":
        return this.#part(room);
      case "current": {
        // `#rust is your current room`: the room leads the text.
        const named = roomInText(line.text);
        if (named !== undefined && line.text.startsWith(named)) this.#join(named);
      }
    }
  }

  /**
   * Forgets a room the user was removed from: a `NOTICE kick:` that names
   * them (the server sends no `parted` then, only `current` if it was the
   * current room).
   *
   * @param room The room, `""` for the default room.
   */
  leave(room: string): void {
    this.#part(room === "" ? this.#defaultRoom : room);
  }

  /**
   * The Nth room joined, for Alt-N.
   *
   * @param position From 1.
   * @returns Its name, or `undefined` if the user is in fewer rooms.
   */
  nth(position: number): string | undefined {
    return [...this.#joined.values()][position - 1]?.name;
  }

  /**
   * The room after (or before) the current one in join order, wrapping
   * around, for Ctrl-N and Ctrl-P.
   *
   * @param step 1 for the next room, -1 for the previous one.
   * @returns Its name, or `undefined` if there is no other room to go to.
   */
  neighbour(step: 1 | -1): string | undefined {
    const keys = [...this.#joined.keys()];
    if (keys.length === 0) return undefined;
    const here = this.#current === undefined ? -1 : keys.indexOf(this.#current);
    const index = here === -1
      ? (step === 1 ? 0 : keys.length - 1)
      : (here + step + keys.length) % keys.length;
    return index === here ? undefined : this.#joined.get(keys[index]!)!.name;
  }

  /**
   * Whether a room is the current one.
   *
   * @param room A room name, in any case.
   */
  isCurrent(room: string): boolean {
    return this.#current === roomKey(room);
  }

  /**
   * Whether the user is in a room.
   *
   * @param room A room name, in any case.
   */
  isJoined(room: string): boolean {
    return this.#joined.has(roomKey(room));
  }

  /**
   * Room names that start with a half-typed one, ignoring case: the rooms
   * the user is in, those a `LIST` named and those any line came from.
   *
   * @param word The word so far, starting with `#`.
   * @returns The names, sorted.
   */
  complete(word: string): string[] {
    const prefix = roomKey(word);
    const names = new Map(this.#known);
    for (const [key, { name }] of this.#joined) names.set(key, name);
    return [...names].filter(([key]) => key.startsWith(prefix)).map(([, name]) => name)
      .sort((a, b) => a.localeCompare(b));
  }

  #join(room: string): void {
    const key = roomKey(room);
    const joined = this.#joined.get(key);
    // A room joined again keeps its place, so Alt-N keeps meaning the same room.
    if (joined === undefined) this.#joined.set(key, { name: room, unread: 0 });
    else joined.unread = 0;
    this.#current = key;
    this.#remember(room);
  }

  #part(room: string): void {
    const key = roomKey(room);
    this.#joined.delete(key);
    // As the server does: the room joined most recently of those left, or none.
    if (this.#current === key) this.#current = [...this.#joined.keys()].at(-1);
  }

  /** The default room turns out to have another name than assumed. */
  #nameDefaultRoom(room: string): void {
    const oldKey = roomKey(this.#defaultRoom);
    const newKey = roomKey(room);
    this.#defaultRoom = room;
    if (oldKey === newKey) return;
    this.#joined = new Map(
      [...this.#joined].map(([key, entry]) => key === oldKey ? [newKey, entry] : [key, entry]),
    );
    const entry = this.#joined.get(newKey);
    if (entry !== undefined) entry.name = room;
    if (this.#current === oldKey) this.#current = newKey;
    this.#known.delete(oldKey);
  }

  #remember(room: string): void {
    // Only real room names: completions reach the terminal unsanitised.
    if (roomProblem(room) !== undefined) return;
    const key = roomKey(room);
    this.#known.delete(key); // re-inserted as the newest
    this.#known.set(key, room);
    if (this.#known.size > MAX_KNOWN_ROOMS) this.#known.delete(this.#known.keys().next().value!);
  }
}
