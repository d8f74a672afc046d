/**
 * Mutes kept in SQLite, so they outlive a restart.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { nameKey } from "../../protocol/username.ts";
import type { Mute, MuteStore } from "../moderation/mutes.ts";

/** A {@linkcode MuteStore} on an open database. */
export class SqliteMuteStore implements MuteStore {
  readonly #db: DatabaseSync;

  /**
   * Uses a database opened by `openDatabase()`.
   *
   * @param db The database.
   */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  all(): Mute[] {
    const rows = this.#db.prepare("SELECT name, room, until, by_name FROM mutes")
      .all() as unknown as {
        name: string;
        room: string;
        until: number | null;
        by_name: string;
      }[];
    return rows.map((row) => ({
      name: row.name,
      room: row.room,
      until: row.until ?? undefined,
      by: row.by_name,
    }));
  }

  save(mute: Mute): void {
    this.#db.prepare(
      `INSERT INTO mutes (key, room, name, until, by_name) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key, room) DO UPDATE SET name = excluded.name, until = excluded.until,
         by_name = excluded.by_name`,
    ).run(nameKey(mute.name), mute.room, mute.name, mute.until ?? null, mute.by);
  }

  remove(name: string, room: string): void {
    this.#db.prepare("DELETE FROM mutes WHERE key = ? AND room = ?").run(nameKey(name), room);
  }
}
