/**
 * Each room's recent public events, replayed to users who arrive later.
 * The interface is asynchronous because a store on disk or on another
 * machine answers later; appending never waits.
 *
 * @module
 */

import type { ChatEvent } from "../../protocol/events.ts";

/** Remembers public events per room; in-memory by default. */
export interface HistoryStore {
  /** Remembers an event; never blocks the caller. */
  append(event: ChatEvent): void;
  /**
   * The most recent events of a room, oldest first.
   *
   * @param room The room.
   * @param limit The most events to return.
   */
  recent(room: string, limit: number): Promise<readonly ChatEvent[]>;
  /**
   * The newest events of a room from before a time, oldest first.
   *
   * @param room The room.
   * @param time Only events strictly older than this, in milliseconds since the epoch.
   * @param limit The most events to return.
   */
  before(room: string, time: number, limit: number): Promise<readonly ChatEvent[]>;
}

/** A {@linkcode HistoryStore} keeping the last `capacity` events of each room in memory. */
export class MemoryHistoryStore implements HistoryStore {
  readonly #capacity: number;
  readonly #rooms = new Map<string, ChatEvent[]>();

  /**
   * Creates an empty store.
   *
   * @param capacity How many events to keep per room; 0 keeps none.
   */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`History capacity must be a whole number, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  append(event: ChatEvent): void {
    if (this.#capacity === 0) return;
    let events = this.#rooms.get(event.room);
    if (events === undefined) {
      events = [];
      this.#rooms.set(event.room, events);
    }
    events.push(event);
    // Trim in chunks: one shift per append would move the whole array each time.
    if (events.length >= this.#capacity * 2) events.splice(0, events.length - this.#capacity);
  }

  recent(room: string, limit: number): Promise<readonly ChatEvent[]> {
    const events = this.#rooms.get(room) ?? [];
    const count = Math.min(limit, this.#capacity, events.length);
    return Promise.resolve(count === 0 ? [] : events.slice(events.length - count));
  }

  before(room: string, time: number, limit: number): Promise<readonly ChatEvent[]> {
    const events = (this.#rooms.get(room) ?? []).slice(-this.#capacity);
    const older = events.filter((event) => event.time < time);
    return Promise.resolve(limit === 0 ? [] : older.slice(-limit));
  }
}
