/**
 * Accounts kept in SQLite: they outlive a restart, as a registered name must.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { nameKey, nameSkeleton } from "../../protocol/username.ts";
import type { Account, AccountStore } from "../accounts/account_store.ts";

/** An {@linkcode AccountStore} on an open database. */
export class SqliteAccountStore implements AccountStore {
  readonly #db: DatabaseSync;

  /**
   * Uses a database opened by `openDatabase()`.
   *
   * @param db The database.
   */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  find(name: string): Account | undefined {
    return this.#one("SELECT name, password_hash FROM accounts WHERE key = ?", nameKey(name));
  }

  lookalike(name: string): Account | undefined {
    return this.#one(
      "SELECT name, password_hash FROM accounts WHERE skeleton = ? AND key <> ?",
      nameSkeleton(name),
      nameKey(name),
    );
  }

  register(name: string, passwordHash: string): void {
    this.#db.prepare(
      "INSERT INTO accounts (key, skeleton, name, password_hash, created) VALUES (?, ?, ?, ?, ?)",
    ).run(nameKey(name), nameSkeleton(name), name, passwordHash, Date.now());
  }

  setPassword(name: string, passwordHash: string): void {
    this.#db.prepare("UPDATE accounts SET password_hash = ? WHERE key = ?").run(
      passwordHash,
      nameKey(name),
    );
  }

  remove(name: string): void {
    this.#db.prepare("DELETE FROM accounts WHERE key = ?").run(nameKey(name));
  }

  #one(sql: string, ...params: string[]): Account | undefined {
    const row = this.#db.prepare(sql).get(...params) as
      | { name: string; password_hash: string }
      | undefined;
    return row && { name: row.name, passwordHash: row.password_hash };
  }
}
