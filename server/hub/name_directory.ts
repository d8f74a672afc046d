/**
 * Who holds which name: the one place that decides whether a name is
 * taken. A name is taken when another user's name has the same
 * {@linkcode nameKey} (case and compatibility folded: `Alice`, `alice`,
 * `Ａｌｉｃｅ`) or the same {@linkcode nameSkeleton} (confusable letters
 * folded, Unicode TR39: Cyrillic `аlice`, `aIice`).
 *
 * @module
 */

import { nameKey, nameSkeleton } from "../../protocol/username.ts";

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
  /**
   * Moves `user` from `oldName` to `newName` unless someone else holds a
   * name like the new one (its own old name never stands in the way).
   *
   * @returns The other holder, leaving everything unchanged; `undefined`
   * once `user` holds the new name.
   */
  rename(oldName: string, newName: string, user: U): U | undefined;
  /** Finds who holds a name, ignoring case. */
  holder(name: string): U | undefined;
}

/** A {@linkcode NameDirectory} in this process's memory. */
export class MemoryNameDirectory<U extends NameHolder> implements NameDirectory<U> {
  readonly #byKey = new Map<string, U>();
  readonly #bySkeleton = new Map<string, U>();

  get size(): number {
    return this.#byKey.size;
  }

  claim(name: string, user: U): U | undefined {
    const key = nameKey(name);
    const skeleton = nameSkeleton(name);
    for (const holder of [this.#byKey.get(key), this.#bySkeleton.get(skeleton)]) {
      if (holder !== undefined && holder !== user) return holder;
    }
    this.#byKey.set(key, user);
    this.#bySkeleton.set(skeleton, user);
    return undefined;
  }

  release(name: string, user: U): void {
    const key = nameKey(name);
    if (this.#byKey.get(key) !== user) return;
    this.#byKey.delete(key);
    this.#bySkeleton.delete(nameSkeleton(name));
  }

  rename(oldName: string, newName: string, user: U): U | undefined {
    this.release(oldName, user);
    const holder = this.claim(newName, user);
    if (holder !== undefined) this.claim(oldName, user); // put it back: nothing else ran meanwhile
    return holder;
  }

  holder(name: string): U | undefined {
    return this.#byKey.get(nameKey(name));
  }
}
