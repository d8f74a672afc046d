/**
 * Bans kept in SQLite, so they outlive a restart.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import type { Ban, BanStore } from "../moderation/bans.ts";

/** A {@linkcode BanStore} on an open database. */
export class SqliteBanStore implements BanStore {
  readonly #db: DatabaseSync;

  /**
   * Uses a database opened by `openDatabase()`.
   *
   * @param db The database.
   */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  all(): Ban[] {
    const rows = this.#db.prepare(
      "SELECT target, kind, until, reason, by_name FROM bans ORDER BY created",
    )
      .all() as unknown as {
        target: string;
        kind: Ban["kind"];
        until: number | null;
        reason: string;
        by_name: string;
      }[];
    return rows.map((row) => ({
      target: row.target,
      kind: row.kind,
      until: row.until ?? undefined,
      reason: row.reason,
      by: row.by_name,
    }));
  }

  save(ban: Ban): void {
    this.#db.prepare(
      `INSERT INTO bans (target, kind, until, reason, by_name, created) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (target) DO UPDATE SET kind = excluded.kind, until = excluded.until,
         reason = excluded.reason, by_name = excluded.by_name, created = excluded.created`,
    ).run(ban.target, ban.kind, ban.until ?? null, ban.reason, ban.by, Date.now());
  }

  remove(target: string): void {
    this.#db.prepare("DELETE FROM bans WHERE target = ?").run(target);
  }
}
