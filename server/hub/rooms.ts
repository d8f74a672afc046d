/**
 * Who is in which room. Each room keeps its members' names sorted as they
 * come and go, so `WHO` costs a copy, never a sort: sorting thousands of
 * names per request let one client take a whole core.
 *
 * @module
 */

import { nameKey } from "../../protocol/username.ts";
import type { NameHolder } from "./name_directory.ts";

/** Room membership; in-memory by default. */
export interface Rooms<U extends NameHolder> {
  /** Adds `user` to `room`, creating the room; does nothing if already in. */
  join(room: string, user: U): void;
  /** Removes `user` from `room`; an empty room is forgotten. */
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
}

/** One room's members. */
class Members<U extends NameHolder> {
  readonly users = new Set<U>();
  /** Sort keys and names, in the same order. */
  readonly keys: string[] = [];
  readonly names: string[] = [];

  add(user: U): void {
    this.users.add(user);
    const key = sortKey(user.name);
    const at = this.#position(key);
    this.keys.splice(at, 0, key);
    this.names.splice(at, 0, user.name);
  }

  delete(user: U): void {
    this.users.delete(user);
    const key = sortKey(user.name);
    for (let at = this.#position(key); at < this.keys.length && this.keys[at] === key; at++) {
      if (this.names[at] === user.name) {
        this.keys.splice(at, 1);
        this.names.splice(at, 1);
        return;
      }
    }
  }

  /** The first index whose key is not below `key` (binary search). */
  #position(key: string): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.keys[middle]! < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** Case-insensitive order; ties (never between online users) by the name itself. */
function sortKey(name: string): string {
  return `${nameKey(name)}\u0000${name}`;
}

/** {@linkcode Rooms} in this process's memory. */
export class MemoryRooms<U extends NameHolder> implements Rooms<U> {
  readonly #rooms = new Map<string, Members<U>>();

  join(room: string, user: U): void {
    let members = this.#rooms.get(room);
    if (members === undefined) {
      members = new Members();
      this.#rooms.set(room, members);
    }
    if (!members.users.has(user)) members.add(user);
  }

  leave(room: string, user: U): void {
    const members = this.#rooms.get(room);
    if (members === undefined || !members.users.has(user)) return;
    members.delete(user);
    if (members.users.size === 0) this.#rooms.delete(room);
  }

  members(room: string): Iterable<U> {
    return this.#rooms.get(room)?.users ?? [];
  }

  size(room: string): number {
    return this.#rooms.get(room)?.users.size ?? 0;
  }

  names(room: string, limit: number): readonly string[] {
    return this.#rooms.get(room)?.names.slice(0, limit) ?? [];
  }
}
