/**
 * The server's SQLite database, through Deno's built-in `node:sqlite`: opened
 * in WAL mode, its schema brought forward by numbered migrations, and
 * refused if a newer nanochat wrote it (an older one would misread it).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";

/**
 * The migrations, in order: migration N brings the schema from version N to
 * N + 1. Never edit one that shipped; add the next.
 */
const MIGRATIONS: readonly string[] = [
  // 1: public history, and rooms that outlive their members.
  `CREATE TABLE events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL,
     time INTEGER NOT NULL,
     room TEXT NOT NULL,
     kind TEXT NOT NULL,
     sender TEXT NOT NULL,
     text TEXT NOT NULL
   );
   CREATE INDEX events_by_room ON events (room, seq);
   CREATE TABLE rooms (
     key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     topic TEXT NOT NULL
   );`,
  // 2: registered names.
  `CREATE TABLE accounts (
     key TEXT PRIMARY KEY,
     skeleton TEXT NOT NULL,
     name TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     created INTEGER NOT NULL
   );
   CREATE INDEX accounts_by_skeleton ON accounts (skeleton);`,
  // 3: bans.
  `CREATE TABLE bans (
     target TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     until INTEGER,
     reason TEXT NOT NULL,
     by_name TEXT NOT NULL,
     created INTEGER NOT NULL
   );`,
  // 4: mutes.
  `CREATE TABLE mutes (
     key TEXT NOT NULL,
     room TEXT NOT NULL,
     name TEXT NOT NULL,
     until INTEGER,
     by_name TEXT NOT NULL,
     PRIMARY KEY (key, room)
   );`,
  // 5: room owners and operators.
  `ALTER TABLE rooms ADD COLUMN owner TEXT NOT NULL DEFAULT '';
   CREATE TABLE room_operators (
     room_key TEXT NOT NULL,
     name_key TEXT NOT NULL,
     PRIMARY KEY (room_key, name_key)
   );`,
];

/** The schema version this nanochat writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Opens (creating if needed) and migrates a database.
 *
 * @param path A file, or `:memory:`.
 * @returns The open database.
 * @throws {Error} Naming the file: it cannot be opened, is not a database,
 * or was written by a newer nanochat.
 */
export function openDatabase(path: string): DatabaseSync {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch (error) {
    throw new Error(`cannot open the database ${path}`, { cause: error });
  }
  try {
    db.exec("PRAGMA journal_mode = WAL");
    // In WAL mode NORMAL loses nothing when the process dies, only on power loss.
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const row = db.prepare("SELECT version FROM schema_version").get() as
      | { version: number }
      | undefined;
    const version = row?.version ?? 0;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `the database ${path} was written by a newer nanochat (schema ${version}; this one knows up to ${SCHEMA_VERSION}): upgrade nanochat, or use another --data file`,
      );
    }
    for (let next = version; next < SCHEMA_VERSION; next++) {
      db.exec("BEGIN");
      db.exec(MIGRATIONS[next]!);
      db.exec("DELETE FROM schema_version");
      db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(next + 1);
      db.exec("COMMIT");
    }
    return db;
  } catch (error) {
    db.close();
    if (error instanceof Error && error.message.startsWith("the database ")) throw error;
    throw new Error(`cannot use the database ${path}`, { cause: error });
  }
}
