/**
 * Who holds which name: the one place that decides whether a name is
 * taken. Names are unique by {@linkcode nameKey} (case and compatibility
 * folded), so `Alice`, `alice` and `Ａｌｉｃｅ` are one user.
 *
 * @module
 */

import { nameKey } from "../../protocol/username.ts";

/** Anything that holds a name. */
export interface NameHolder {
  /** The name as the user wrote it. */
  readonly name: string;
}

/** Claims, releases and looks up names; in-memory by default. */
export interface NameDirectory<U extends NameHolder> {
  /** How many names are held. */
  readonly size: number;
  /**
   * Gives `name` to `user` unless someone else holds it.
   *
   * @returns The other holder, leaving everything unchanged; `undefined`
   * once `user` holds the name.
   */
  claim(name: string, user: U): U | undefined;
  /** Frees `name` if `user` holds it; never frees another user's name. */
  release(name: string, user: U): void;
  /** Finds who holds a name, ignoring case. */
  holder(name: string): U | undefined;
}

/** A {@linkcode NameDirectory} in this process's memory. */
export class MemoryNameDirectory<U extends NameHolder> implements NameDirectory<U> {
  readonly #holders = new Map<string, U>();

  get size(): number {
    return this.#holders.size;
  }

  claim(name: string, user: U): U | undefined {
    const key = nameKey(name);
    const holder = this.#holders.get(key);
    if (holder !== undefined && holder !== user) return holder;
    this.#holders.set(key, user);
    return undefined;
  }

  release(name: string, user: U): void {
    const key = nameKey(name);
    if (this.#holders.get(key) === user) this.#holders.delete(key);
  }

  holder(name: string): U | undefined {
    return this.#holders.get(nameKey(name));
  }
}
