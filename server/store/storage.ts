/**
 * Where the server keeps what should outlive a connection: in memory only,
 * or in a SQLite file that a restart reads back (history, topics, accounts).
 *
 * @module
 */

import type { HistoryStore } from "../hub/history_store.ts";
import { MemoryHistoryStore } from "../hub/history_store.ts";
import type { NameHolder } from "../hub/name_directory.ts";
import { MemoryRooms } from "../hub/rooms.ts";
import type { Logger } from "../log.ts";
import { type AccountStore, MemoryAccountStore } from "../accounts/account_store.ts";
import { openDatabase } from "./database.ts";
import { SqliteAccountStore } from "./sqlite_accounts.ts";
import { type BanStore, MemoryBanStore } from "../moderation/bans.ts";
import { SqliteBanStore } from "./sqlite_bans.ts";
import { MemoryMuteStore, type MuteStore } from "../moderation/mutes.ts";
import { SqliteMuteStore } from "./sqlite_mutes.ts";
import { SqliteHistoryStore } from "./sqlite_history.ts";
import { SqliteRooms } from "./sqlite_rooms.ts";

/** The hub's parts that keep state, and how to close them. */
export interface Storage<U extends NameHolder> {
  /** Recent public events per room. */
  readonly history: HistoryStore;
  /** Rooms, with their topics. */
  readonly rooms: MemoryRooms<U>;
  /** Registered names. */
  readonly accounts: AccountStore;
  /** Bans of names and addresses. */
  readonly bans: BanStore;
  /** Mutes of names, per room or everywhere. */
  readonly mutes: MuteStore;
  /** Writes what waits and closes the file; once. */
  close(): void;
}

/** What {@linkcode openStorage} needs. */
export interface StorageOptions {
  /** The SQLite file; in memory only when absent. */
  readonly dataPath: string | undefined;
  /** In memory: how many recent events to keep per room. */
  readonly historyLines: number;
  /** In the file: events kept per room. */
  readonly historyKeepPerRoom: number;
  /** In the file: how long events are kept, in milliseconds. */
  readonly historyMaxAgeMs: number;
  /** Where database errors are reported. */
  readonly log: Logger;
}

/**
 * Opens the server's storage.
 *
 * @param options Where and how much.
 * @returns The parts, ready.
 * @throws {Error} Naming the file, when it cannot be opened or used.
 */
export function openStorage<U extends NameHolder>(options: StorageOptions): Storage<U> {
  const { dataPath, log } = options;
  if (dataPath === undefined) {
    return {
      history: new MemoryHistoryStore(options.historyLines),
      rooms: new MemoryRooms(),
      accounts: new MemoryAccountStore(),
      bans: new MemoryBanStore(),
      mutes: new MemoryMuteStore(),
      close() {},
    };
  }
  for (const name of ["read", "write"] as const) {
    if (Deno.permissions.querySync({ name, path: dataPath }).state !== "granted") {
      throw new Error(
        `cannot open the database ${dataPath}: Deno needs read and write permission for it (--allow-read and --allow-write), or run with --in-memory`,
      );
    }
  }
  const db = openDatabase(dataPath);
  const history = new SqliteHistoryStore(db, {
    keepPerRoom: options.historyKeepPerRoom,
    maxAgeMs: options.historyMaxAgeMs,
    onError: (error) => log.event("database-error", { error: String(error) }),
  });
  let closed = false;
  return {
    history,
    rooms: new SqliteRooms(db),
    accounts: new SqliteAccountStore(db),
    bans: new SqliteBanStore(db),
    mutes: new SqliteMuteStore(db),
    close() {
      if (closed) return;
      closed = true;
      history.close();
      db.close();
    },
  };
}
