/**
 * The rooms: who is in each, its topic, and when an empty one is forgotten.
 * Rooms are found ignoring case (`#Rust` is `#rust`, named as its creator
 * wrote it), and a new room may not look like an existing one. Each room
 * keeps its members' names sorted as they come and go, so `WHO` costs a
 * copy, never a sort: sorting thousands of names per request let one client
 * take a whole core.
 *
 * @module
 */

import { roomKey, roomSkeleton } from "../../protocol/room_name.ts";
import { nameKey } from "../../protocol/username.ts";
import type { NameHolder } from "./name_directory.ts";
import { SortedNames } from "./sorted_names.ts";

/** A room as `LIST` shows it. */
export interface RoomInfo {
  /** Its name, as created. */
  readonly room: string;
  /** How many users are in it. */
  readonly users: number;
  /** Its topic; empty when it has none. */
  readonly topic: string;
}

/** The answer to {@linkcode Rooms.open}. */
export type RoomOpening =
  /** The room, existing or new, by its name as created. */
  | { readonly room: string }
  /** A new room was refused: it looks like this existing one. */
  | { readonly lookalike: string };

/** Rooms and their members; in-memory by default. */
export interface Rooms<U extends NameHolder> {
  /** How many rooms there are, empty ones included. */
  readonly count: number;
  /** The room's name as created, found ignoring case; `undefined` if there is none. */
  find(room: string): string | undefined;
  /** The existing room a new room's name could pass for, if any. */
  lookalike(room: string): string | undefined;
  /** Finds a room, or creates it unless it looks like an existing one. */
  open(room: string): RoomOpening;
  /** Adds `user` to a room `open` returned; does nothing if already in. */
  join(room: string, user: U): void;
  /** Removes `user` from a room. */
  leave(room: string, user: U): void;
  /** The members of a room, in no particular order. */
  members(room: string): Iterable<U>;
  /** How many users are in a room. */
  size(room: string): number;
  /**
   * The first members' names, sorted ignoring case; a snapshot.
   *
   * @param room The room.
   * @param limit The most names to return.
   */
  names(room: string, limit: number): readonly string[];
  /** A room's topic; empty when it has none. */
  topic(room: string): string;
  /** Sets a room's topic; empty clears it. */
  setTopic(room: string, topic: string): void;
  /** Every room, sorted by name. */
  list(): RoomInfo[];
  /** Who created a room since the server started (a name key); empty if unknown. */
  creator(room: string): string;
  /** Records who created a room. */
  setCreator(room: string, name: string): void;
  /** A room's owner (a registered name); empty if it has none. */
  owner(room: string): string;
  /** Gives a room an owner. */
  setOwner(room: string, name: string): void;
  /** Whether a name is one of a room's operators (its owner is one). */
  isOperator(room: string, name: string): boolean;
  /** Makes a name one of a room's operators, or no longer one. */
  setOperator(room: string, name: string, operator: boolean): void;
  /**
   * Forgets rooms that have been empty for `emptyMs` and have no topic.
   *
   * @param emptyMs How long a room may stay empty.
   * @param keep A room never to forget (the default room); nor are rooms with
   * an owner.
   * @returns The rooms forgotten.
   */
  expire(emptyMs: number, keep: string): string[];
}

/** One room's members, with their names kept sorted. */
class Members<U extends NameHolder> {
  readonly users = new Set<U>();
  readonly names = new SortedNames();

  add(user: U): void {
    this.users.add(user);
    this.names.add(sortKey(user.name), user.name);
  }

  delete(user: U): void {
    this.users.delete(user);
    this.names.delete(sortKey(user.name), user.name);
  }
}

/** Case-insensitive order; ties (never between online users) by the name itself. */
function sortKey(name: string): string {
  return `${nameKey(name)}\u0000${name}`;
}

interface Room<U extends NameHolder> {
  readonly name: string;
  readonly skeleton: string;
  readonly members: Members<U>;
  topic: string;
  /** When the last member left; `undefined` while anyone is in. */
  emptySince: number | undefined;
  /** Who created it since the server started, as a name key. */
  creator: string;
  /** Its owner, a registered name; empty when it has none. */
  owner: string;
  /** Its operators' name keys. */
  readonly operators: Set<string>;
}

/** {@linkcode Rooms} in this process's memory. */
export class MemoryRooms<U extends NameHolder> implements Rooms<U> {
  readonly #rooms = new Map<string, Room<U>>();
  /** The same rooms by their names as created: what every delivery looks up. */
  readonly #byName = new Map<string, Room<U>>();
  readonly #bySkeleton = new Map<string, Room<U>>();
  readonly #now: () => number;

  /**
   * Creates an empty set of rooms.
   *
   * @param now The clock for expiry, in milliseconds; `Date.now` by default.
   */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get count(): number {
    return this.#rooms.size;
  }

  find(room: string): string | undefined {
    return this.#rooms.get(roomKey(room))?.name;
  }

  lookalike(room: string): string | undefined {
    if (this.#rooms.has(roomKey(room))) return undefined;
    return this.#bySkeleton.get(roomSkeleton(room))?.name;
  }

  open(room: string): RoomOpening {
    const existing = this.#rooms.get(roomKey(room));
    if (existing) return { room: existing.name };
    const skeleton = roomSkeleton(room);
    const lookalike = this.#bySkeleton.get(skeleton);
    if (lookalike) return { lookalike: lookalike.name };
    const created: Room<U> = {
      name: room,
      skeleton,
      members: new Members(),
      topic: "",
      emptySince: this.#now(),
      creator: "",
      owner: "",
      operators: new Set(),
    };
    this.#rooms.set(roomKey(room), created);
    this.#byName.set(room, created);
    this.#bySkeleton.set(skeleton, created);
    return { room };
  }

  join(room: string, user: U): void {
    const found = this.#room(room);
    if (found === undefined || found.members.users.has(user)) return;
    found.members.add(user);
    found.emptySince = undefined;
  }

  leave(room: string, user: U): void {
    const found = this.#room(room);
    if (found === undefined || !found.members.users.has(user)) return;
    found.members.delete(user);
    if (found.members.users.size === 0) found.emptySince = this.#now();
  }

  members(room: string): Iterable<U> {
    return this.#room(room)?.members.users ?? [];
  }

  size(room: string): number {
    return this.#room(room)?.members.users.size ?? 0;
  }

  names(room: string, limit: number): readonly string[] {
    return this.#room(room)?.members.names.first(limit) ?? [];
  }

  topic(room: string): string {
    return this.#room(room)?.topic ?? "";
  }

  setTopic(room: string, topic: string): void {
    const found = this.#room(room);
    if (found) found.topic = topic;
  }

  list(): RoomInfo[] {
    return [...this.#rooms.values()]
      .map(({ name, members, topic }) => ({ room: name, users: members.users.size, topic }))
      .sort((a, b) => roomKey(a.room) < roomKey(b.room) ? -1 : 1);
  }

  expire(emptyMs: number, keep: string): string[] {
    const now = this.#now();
    const keepKey = roomKey(keep);
    const forgotten: string[] = [];
    for (const [key, room] of this.#rooms) {
      if (key === keepKey || room.topic !== "" || room.owner !== "") continue;
      if (room.emptySince === undefined) continue;
      if (now - room.emptySince < emptyMs) continue;
      this.#rooms.delete(key);
      this.#byName.delete(room.name);
      this.#bySkeleton.delete(room.skeleton);
      forgotten.push(room.name);
    }
    return forgotten;
  }

  creator(room: string): string {
    return this.#room(room)?.creator ?? "";
  }

  setCreator(room: string, name: string): void {
    const found = this.#room(room);
    if (found) found.creator = nameKey(name);
  }

  owner(room: string): string {
    return this.#room(room)?.owner ?? "";
  }

  setOwner(room: string, name: string): void {
    const found = this.#room(room);
    if (found) found.owner = name;
  }

  isOperator(room: string, name: string): boolean {
    const found = this.#room(room);
    if (found === undefined) return false;
    const key = nameKey(name);
    return (found.owner !== "" && nameKey(found.owner) === key) || found.operators.has(key);
  }

  setOperator(room: string, name: string, operator: boolean): void {
    const found = this.#room(room);
    if (found === undefined) return;
    if (operator) found.operators.add(nameKey(name));
    else found.operators.delete(nameKey(name));
  }

  /** The room by its name as created, or else ignoring case. */
  #room(room: string): Room<U> | undefined {
    return this.#byName.get(room) ?? this.#rooms.get(roomKey(room));
  }
}
