/**
 * What a cluster's nodes share besides the conversation: registered names,
 * bans, mutes, and rooms' topics, owners and operators. Each node keeps a
 * copy in memory (the chat logic reads them synchronously, as it reads the
 * SQLite-backed stores of a server on its own), writes its own changes
 * through to a Redis hash, and learns the others' changes from the one
 * stream, where each write is an entry. See docs/CLUSTER.md.
 *
 * Writes are not awaited by the chat logic: a write that fails is logged,
 * and the copy here stays as the user was told.
 *
 * @module
 */

import { roomKey } from "../../protocol/room_name.ts";
import { nameKey } from "../../protocol/username.ts";
import { type Account, type AccountStore, MemoryAccountStore } from "../accounts/account_store.ts";
import type { NameHolder } from "../hub/name_directory.ts";
import { MemoryRooms } from "../hub/rooms.ts";
import { type Ban, type BanStore, MemoryBanStore } from "../moderation/bans.ts";
import { MemoryMuteStore, type Mute, type MuteStore } from "../moderation/mutes.ts";
import type { SharedTable } from "./stream_fan_out.ts";

/** Writes a row for every node; `undefined` deletes it. Never throws. */
export type RowWriter = (table: SharedTable, key: string, value: string | undefined) => void;

/** Registered names, shared. */
export class SharedAccountStore implements AccountStore {
  readonly #copy = new MemoryAccountStore();
  readonly #write: RowWriter;

  /**
   * Creates the copy.
   *
   * @param rows The table's rows as the snapshot had them.
   * @param write Where local changes go.
   */
  constructor(rows: ReadonlyMap<string, string>, write: RowWriter) {
    this.#write = write;
    for (const value of rows.values()) this.#learn(value);
  }

  find(name: string): Account | undefined {
    return this.#copy.find(name);
  }

  lookalike(name: string): Account | undefined {
    return this.#copy.lookalike(name);
  }

  register(name: string, passwordHash: string): void {
    this.#copy.register(name, passwordHash);
    this.#write("accounts", nameKey(name), JSON.stringify({ name, passwordHash }));
  }

  setPassword(name: string, passwordHash: string): void {
    const found = this.#copy.find(name);
    if (found === undefined) return;
    this.register(found.name, passwordHash);
  }

  remove(name: string): void {
    this.#copy.remove(name);
    this.#write("accounts", nameKey(name), undefined);
  }

  /** Applies another node's change (the key is the name's key). */
  apply(key: string, value: string | undefined): void {
    const held = this.#copy.find(key);
    if (held !== undefined) this.#copy.remove(held.name);
    if (value !== undefined) this.#learn(value);
  }

  #learn(value: string): void {
    const { name, passwordHash } = JSON.parse(value) as Account;
    this.#copy.register(name, passwordHash);
  }
}

/** Bans, shared: `Bans` reads them through this store, and is told of others' changes. */
export class SharedBanStore implements BanStore {
  readonly #copy = new MemoryBanStore();
  readonly #write: RowWriter;

  /**
   * Creates the copy.
   *
   * @param rows The table's rows as the snapshot had them.
   * @param write Where local changes go.
   */
  constructor(rows: ReadonlyMap<string, string>, write: RowWriter) {
    this.#write = write;
    for (const value of rows.values()) this.#copy.save(JSON.parse(value) as Ban);
  }

  all(): Ban[] {
    return this.#copy.all();
  }

  save(ban: Ban): void {
    this.#copy.save(ban);
    this.#write("bans", ban.target, JSON.stringify(ban));
  }

  remove(target: string): void {
    this.#copy.remove(target);
    this.#write("bans", target, undefined);
  }

  /**
   * Applies another node's change.
   *
   * @returns The ban now in force, or `undefined` for a lifted one.
   */
  apply(key: string, value: string | undefined): Ban | undefined {
    if (value === undefined) {
      this.#copy.remove(key);
      return undefined;
    }
    const ban = JSON.parse(value) as Ban;
    this.#copy.save(ban);
    return ban;
  }
}

/** Mutes, shared. */
export class SharedMuteStore implements MuteStore {
  readonly #copy = new MemoryMuteStore();
  readonly #write: RowWriter;

  /**
   * Creates the copy.
   *
   * @param rows The table's rows as the snapshot had them.
   * @param write Where local changes go.
   */
  constructor(rows: ReadonlyMap<string, string>, write: RowWriter) {
    this.#write = write;
    for (const value of rows.values()) this.#copy.save(JSON.parse(value) as Mute);
  }

  all(): Mute[] {
    return this.#copy.all();
  }

  save(mute: Mute): void {
    this.#copy.save(mute);
    this.#write("mutes", muteKey(mute.name, mute.room), JSON.stringify(mute));
  }

  remove(name: string, room: string): void {
    this.#copy.remove(name, room);
    this.#write("mutes", muteKey(name, room), undefined);
  }

  /**
   * Applies another node's change.
   *
   * @returns The mute now in force, or the key's parts for a lifted one.
   */
  apply(key: string, value: string | undefined): Mute | { name: string; room: string } {
    if (value !== undefined) {
      const mute = JSON.parse(value) as Mute;
      this.#copy.save(mute);
      return mute;
    }
    const [name = "", room = ""] = key.split(" ");
    this.#copy.remove(name, room);
    return { name, room };
  }
}

/** A room's shared settings. */
interface RoomRow {
  readonly name: string;
  readonly topic: string;
  readonly owner: string;
  readonly creator: string;
  readonly operators: readonly string[];
}

/** {@linkcode MemoryRooms} whose topics, owners, creators and operators every node shares. */
export class SharedRooms<U extends NameHolder> extends MemoryRooms<U> {
  readonly #write: RowWriter;
  readonly #operators = new Map<string, Set<string>>();

  /**
   * Creates the rooms with the settings the snapshot had.
   *
   * @param rows The table's rows.
   * @param write Where local changes go.
   * @param now The clock for expiry; `Date.now` by default.
   */
  constructor(rows: ReadonlyMap<string, string>, write: RowWriter, now?: () => number) {
    super(now);
    this.#write = write;
    for (const value of rows.values()) this.#learn(JSON.parse(value) as RoomRow);
  }

  override setTopic(room: string, topic: string): void {
    super.setTopic(room, topic);
    this.#save(room);
  }

  override setOwner(room: string, name: string): void {
    super.setOwner(room, name);
    this.#save(room);
  }

  override setCreator(room: string, name: string): void {
    super.setCreator(room, name);
    this.#save(room);
  }

  override setOperator(room: string, name: string, operator: boolean): void {
    super.setOperator(room, name, operator);
    const found = this.find(room);
    if (found === undefined) return;
    const operators = this.#operators.get(roomKey(found)) ?? new Set<string>();
    if (operator) operators.add(nameKey(name));
    else operators.delete(nameKey(name));
    this.#operators.set(roomKey(found), operators);
    this.#save(found);
  }

  /** Applies another node's change. */
  apply(_key: string, value: string | undefined): void {
    if (value !== undefined) this.#learn(JSON.parse(value) as RoomRow);
  }

  #learn(row: RoomRow): void {
    const opened = this.open(row.name);
    if (!("room" in opened)) return;
    const room = opened.room;
    super.setTopic(room, row.topic);
    super.setOwner(room, row.owner);
    if (row.creator !== "") super.setCreator(room, row.creator);
    const before = this.#operators.get(roomKey(room)) ?? new Set<string>();
    const after = new Set(row.operators);
    for (const name of before) if (!after.has(name)) super.setOperator(room, name, false);
    for (const name of after) super.setOperator(room, name, true);
    this.#operators.set(roomKey(room), after);
  }

  #save(room: string): void {
    const name = this.find(room);
    if (name === undefined) return;
    const row: RoomRow = {
      name,
      topic: this.topic(name),
      owner: this.owner(name),
      creator: this.creator(name),
      operators: [...(this.#operators.get(roomKey(name)) ?? [])],
    };
    this.#write("rooms", roomKey(name), JSON.stringify(row));
  }
}

/** The key of a mute row: the name's key and the room (empty: everywhere). */
function muteKey(name: string, room: string): string {
  return `${nameKey(name)} ${room}`;
}
