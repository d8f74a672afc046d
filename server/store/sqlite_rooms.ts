/**
 * Rooms whose topics, owners and operators survive a restart: the room list
 * is kept in memory as {@linkcode MemoryRooms} keeps it, and every room with
 * a topic or an owner is also a row in the database, read back at start. (A
 * room with neither is forgotten once empty, so it needs no row.)
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { roomKey } from "../../protocol/room_name.ts";
import { nameKey } from "../../protocol/username.ts";
import type { NameHolder } from "../hub/name_directory.ts";
import { MemoryRooms } from "../hub/rooms.ts";

/** {@linkcode MemoryRooms} with topics, owners and operators kept in SQLite. */
export class SqliteRooms<U extends NameHolder> extends MemoryRooms<U> {
  readonly #db: DatabaseSync;

  /**
   * Loads the rooms that have topics or owners.
   *
   * @param db A database opened by `openDatabase()`.
   * @param now The clock for expiry; `Date.now` by default.
   */
  constructor(db: DatabaseSync, now?: () => number) {
    super(now);
    this.#db = db;
    const rows = db.prepare("SELECT key, name, topic, owner FROM rooms").all() as unknown as {
      key: string;
      name: string;
      topic: string;
      owner: string;
    }[];
    const operators = db.prepare("SELECT name_key FROM room_operators WHERE room_key = ?");
    for (const { key, name, topic, owner } of rows) {
      const opened = this.open(name);
      if (!("room" in opened)) continue;
      super.setTopic(opened.room, topic);
      super.setOwner(opened.room, owner);
      for (const row of operators.all(key) as unknown as { name_key: string }[]) {
        super.setOperator(opened.room, row.name_key, true);
      }
    }
  }

  override setTopic(room: string, topic: string): void {
    super.setTopic(room, topic);
    this.#save(room);
  }

  override setOwner(room: string, name: string): void {
    super.setOwner(room, name);
    this.#save(room);
  }

  override setOperator(room: string, name: string, operator: boolean): void {
    super.setOperator(room, name, operator);
    const found = this.find(room);
    if (found === undefined) return;
    const statement = operator
      ? "INSERT OR IGNORE INTO room_operators (room_key, name_key) VALUES (?, ?)"
      : "DELETE FROM room_operators WHERE room_key = ? AND name_key = ?";
    this.#db.prepare(statement).run(roomKey(found), nameKey(name));
  }

  /** Keeps the room's row while it has a topic or an owner, and drops it after. */
  #save(room: string): void {
    const name = this.find(room);
    if (name === undefined) return;
    const topic = this.topic(name);
    const owner = this.owner(name);
    if (topic === "" && owner === "") {
      this.#db.prepare("DELETE FROM rooms WHERE key = ?").run(roomKey(name));
      return;
    }
    this.#db.prepare(
      `INSERT INTO rooms (key, name, topic, owner) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET topic = excluded.topic, owner = excluded.owner`,
    ).run(roomKey(name), name, topic, owner);
  }
}
