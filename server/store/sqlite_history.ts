/**
 * Public history kept in SQLite, so it outlives a restart. Appending never
 * touches the database: events wait in a bounded queue and are written in
 * one transaction per batch, off the delivery path. What a crash can lose is
 * what waited: at most one batch interval's worth (50 ms by default), and
 * WAL mode keeps the file itself consistent whatever happens to the process.
 * A database that fails (a full disk) is reported, never thrown at the chat:
 * the batch waits for the next try, and past the queue's bound the oldest
 * waiting events are dropped.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { ChatEvent } from "../../protocol/events.ts";
import type { HistoryStore } from "../hub/history_store.ts";

/** Options for {@linkcode SqliteHistoryStore}. */
export interface SqliteHistoryOptions {
  /** Events kept per room; older ones are deleted. */
  readonly keepPerRoom: number;
  /** Events older than this are deleted, in milliseconds. */
  readonly maxAgeMs: number;
  /**
   * How long an event may wait before its batch is written, in milliseconds.
   *
   * @default {50}
   */
  readonly batchMs?: number;
  /**
   * Events that may wait at once; past it the oldest are dropped (reported).
   *
   * @default {100000}
   */
  readonly maxQueued?: number;
  /** Told when the database fails, or waiting events are dropped. */
  readonly onError?: (error: unknown) => void;
  /**
   * How often old events are deleted, in milliseconds.
   *
   * @default {60000}
   */
  readonly pruneEveryMs?: number;
  /** The clock for `maxAgeMs`; `Date.now` by default. */
  readonly now?: () => number;
}

interface EventRow {
  id: string;
  time: number;
  room: string;
  kind: ChatEvent["kind"];
  sender: string;
  text: string;
}

/** A {@linkcode HistoryStore} on an open database. */
export class SqliteHistoryStore implements HistoryStore {
  readonly #db: DatabaseSync;
  readonly #options: Required<Omit<SqliteHistoryOptions, "now" | "onError">>;
  readonly #onError: (error: unknown) => void;
  readonly #now: () => number;
  readonly #insert: StatementSync;
  readonly #recent: StatementSync;
  readonly #before: StatementSync;
  #queue: ChatEvent[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #pruneTimer: ReturnType<typeof setInterval>;
  /** Rooms appended to since the last prune. */
  readonly #touched = new Set<string>();

  /**
   * Uses a database opened by `openDatabase()`.
   *
   * @param db The database; the caller closes it after {@linkcode close}.
   * @param options Retention and batching.
   */
  constructor(db: DatabaseSync, options: SqliteHistoryOptions) {
    this.#db = db;
    const { now, onError, ...rest } = options;
    this.#options = { batchMs: 50, maxQueued: 100_000, pruneEveryMs: 60_000, ...rest };
    this.#now = now ?? Date.now;
    this.#onError = onError ?? (() => {});
    this.#insert = db.prepare(
      "INSERT INTO events (id, time, room, kind, sender, text) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.#recent = db.prepare(
      "SELECT id, time, room, kind, sender, text FROM events WHERE room = ? ORDER BY seq DESC LIMIT ?",
    );
    this.#before = db.prepare(
      "SELECT id, time, room, kind, sender, text FROM events WHERE room = ? AND time < ? ORDER BY seq DESC LIMIT ?",
    );
    this.#pruneTimer = setInterval(
      () => this.#safely(() => this.prune()),
      this.#options.pruneEveryMs,
    );
    Deno.unrefTimer(this.#pruneTimer);
  }

  append(event: ChatEvent): void {
    this.#queue.push(event);
    this.#touched.add(event.room);
    if (this.#queue.length > this.#options.maxQueued) {
      const dropped = this.#queue.splice(0, this.#queue.length - this.#options.maxQueued);
      this.#onError(new Error(`history queue full: ${dropped.length} event(s) not stored`));
    }
    this.#flushTimer ??= setTimeout(() => this.#safely(() => this.flush()), this.#options.batchMs);
  }

  recent(room: string, limit: number): Promise<readonly ChatEvent[]> {
    return this.#query(this.#recent, room, limit);
  }

  before(room: string, time: number, limit: number): Promise<readonly ChatEvent[]> {
    return this.#query(this.#before, room, time, limit);
  }

  #query(statement: StatementSync, ...params: (string | number)[]): Promise<readonly ChatEvent[]> {
    this.#safely(() => this.flush()); // so what was just said is there too
    try {
      const rows = statement.all(...params) as unknown as EventRow[];
      return Promise.resolve(
        rows.reverse().map(({ sender, ...row }) => ({
          ...row,
          from: sender,
          to: "",
        })),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Writes what waits, in one transaction. */
  flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    try {
      this.#db.exec("BEGIN");
      for (const { id, time, room, kind, from, text } of batch) {
        this.#insert.run(id, time, room, kind, from, text);
      }
      this.#db.exec("COMMIT");
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      this.#queue = [...batch, ...this.#queue]; // tried again with the next batch
      throw error;
    }
  }

  #safely(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#onError(error);
    }
  }

  /** Deletes events past the age limit, and past the count limit in rooms appended to. */
  prune(): void {
    this.flush();
    const { keepPerRoom, maxAgeMs } = this.#options;
    this.#db.prepare("DELETE FROM events WHERE time < ?").run(this.#now() - maxAgeMs);
    const cut = this.#db.prepare(
      `DELETE FROM events WHERE room = ?1 AND seq <=
         (SELECT seq FROM events WHERE room = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)`,
    );
    for (const room of this.#touched) cut.run(room, keepPerRoom);
    this.#touched.clear();
  }

  /** Writes what waits and stops the timers. */
  close(): void {
    clearInterval(this.#pruneTimer);
    this.#safely(() => this.flush());
  }
}
