/**
 * Mutes: a name may not speak in one room, or anywhere, until a time or
 * for good. Kept by a {@linkcode MuteStore} (SQLite with a database) and
 * ending on time by themselves.
 *
 * @module
 */

import { nameKey } from "../../protocol/username.ts";

/** One mute. */
export interface Mute {
  /** The muted name, as given. */
  readonly name: string;
  /** The room it applies to; empty for every room. */
  readonly room: string;
  /** When it ends, in milliseconds since the epoch; `undefined` for good. */
  readonly until: number | undefined;
  /** The operator who muted. */
  readonly by: string;
}

/** Keeps mutes; in memory by default. */
export interface MuteStore {
  /** Every mute kept. */
  all(): Mute[];
  /** Keeps a mute, replacing one of the same name and room. */
  save(mute: Mute): void;
  /** Forgets a mute. */
  remove(name: string, room: string): void;
}

/** A {@linkcode MuteStore} in this process's memory. */
export class MemoryMuteStore implements MuteStore {
  readonly #mutes = new Map<string, Mute>();
  all(): Mute[] {
    return [...this.#mutes.values()];
  }
  save(mute: Mute): void {
    this.#mutes.set(`${nameKey(mute.name)} ${mute.room}`, mute);
  }
  remove(name: string, room: string): void {
    this.#mutes.delete(`${nameKey(name)} ${room}`);
  }
}

/** The mutes in force. */
export class Mutes {
  readonly #store: MuteStore;
  readonly #now: () => number;
  #mutes: Mute[];

  /**
   * Loads the mutes a store keeps.
   *
   * @param store Where mutes are kept.
   * @param now The clock for expiry; `Date.now` by default.
   */
  constructor(store: MuteStore, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
    this.#mutes = store.all();
  }

  /** Mutes a name in a room (empty: everywhere), replacing an earlier mute there. */
  add(mute: Mute): void {
    this.#forget(mute.name, mute.room);
    this.#store.save(mute);
    this.#mutes.push(mute);
  }

  /**
   * Lifts a mute.
   *
   * @returns Whether there was one.
   */
  remove(name: string, room: string): boolean {
    const found = this.#forget(name, room);
    if (found) this.#store.remove(name, room);
    return found;
  }

  /** Takes a mute another node of a cluster added (its store has it already). */
  learn(mute: Mute): void {
    this.#forget(mute.name, mute.room);
    this.#mutes.push(mute);
  }

  /** Forgets a mute another node of a cluster lifted. */
  forget(name: string, room: string): void {
    this.#forget(name, room);
  }

  /** The mute that keeps a name from speaking in a room, if any. */
  forSpeaker(name: string, room: string): Mute | undefined {
    this.#expire();
    const key = nameKey(name);
    return this.#mutes.find((mute) =>
      nameKey(mute.name) === key && (mute.room === "" || mute.room === room)
    );
  }

  #forget(name: string, room: string): boolean {
    const key = nameKey(name);
    const before = this.#mutes.length;
    this.#mutes = this.#mutes.filter((mute) => !(nameKey(mute.name) === key && mute.room === room));
    return this.#mutes.length < before;
  }

  #expire(): void {
    const now = this.#now();
    for (const mute of this.#mutes) {
      if (mute.until !== undefined && mute.until <= now) this.#store.remove(mute.name, mute.room);
    }
    this.#mutes = this.#mutes.filter((mute) => mute.until === undefined || mute.until > now);
  }
}
