/**
 * Rooms whose topics survive a restart: the room list is kept in memory as
 * {@linkcode MemoryRooms} keeps it, and every room with a topic is also a
 * row in the database, read back at start. (A room without a topic is
 * forgotten once empty, so it needs no row.)
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { roomKey } from "../../protocol/room_name.ts";
import type { NameHolder } from "../hub/name_directory.ts";
import { MemoryRooms } from "../hub/rooms.ts";

/** {@linkcode MemoryRooms} with topics kept in SQLite. */
export class SqliteRooms<U extends NameHolder> extends MemoryRooms<U> {
  readonly #db: DatabaseSync;

  /**
   * Loads the rooms that have topics.
   *
   * @param db A database opened by `openDatabase()`.
   * @param now The clock for expiry; `Date.now` by default.
   */
  constructor(db: DatabaseSync, now?: () => number) {
    super(now);
    this.#db = db;
    const rows = db.prepare("SELECT name, topic FROM rooms").all() as unknown as {
      name: string;
      topic: string;
    }[];
    for (const { name, topic } of rows) {
      const opened = this.open(name);
      if ("room" in opened) super.setTopic(opened.room, topic);
    }
  }

  override setTopic(room: string, topic: string): void {
    super.setTopic(room, topic);
    const name = this.find(room);
    if (name === undefined) return;
    if (topic === "") {
      this.#db.prepare("DELETE FROM rooms WHERE key = ?").run(roomKey(name));
    } else {
      this.#db.prepare(
        "INSERT INTO rooms (key, name, topic) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET topic = excluded.topic",
      ).run(roomKey(name), name, topic);
    }
  }
}
