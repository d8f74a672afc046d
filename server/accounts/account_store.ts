/**
 * Registered names and their password hashes. A registered name is the
 * account's even while it is offline: only its password logs in under it,
 * and no one may take a name that could pass for it.
 *
 * @module
 */

import { nameKey, nameSkeleton } from "../../protocol/username.ts";

/** A registered name. */
export interface Account {
  /** The name as registered. */
  readonly name: string;
  /** Its password hash, from `hashPassword()`. */
  readonly passwordHash: string;
}

/** Keeps accounts; in memory by default, in SQLite with a database. */
export interface AccountStore {
  /** The account registered under this name, ignoring case; `undefined` if none. */
  find(name: string): Account | undefined;
  /** Another account this name could pass for (same confusable skeleton); `undefined` if none. */
  lookalike(name: string): Account | undefined;
  /** Registers a name; the caller has checked it is free. */
  register(name: string, passwordHash: string): void;
  /** Replaces an account's password hash. */
  setPassword(name: string, passwordHash: string): void;
  /** Deletes an account. */
  remove(name: string): void;
}

/** An {@linkcode AccountStore} in this process's memory. */
export class MemoryAccountStore implements AccountStore {
  readonly #byKey = new Map<string, Account>();
  readonly #bySkeleton = new Map<string, Account>();

  find(name: string): Account | undefined {
    return this.#byKey.get(nameKey(name));
  }

  lookalike(name: string): Account | undefined {
    const found = this.#bySkeleton.get(nameSkeleton(name));
    return found && nameKey(found.name) !== nameKey(name) ? found : undefined;
  }

  register(name: string, passwordHash: string): void {
    const account = { name, passwordHash };
    this.#byKey.set(nameKey(name), account);
    this.#bySkeleton.set(nameSkeleton(name), account);
  }

  setPassword(name: string, passwordHash: string): void {
    const found = this.find(name);
    if (found) this.register(found.name, passwordHash);
  }

  remove(name: string): void {
    const found = this.find(name);
    if (!found) return;
    this.#byKey.delete(nameKey(found.name));
    this.#bySkeleton.delete(nameSkeleton(found.name));
  }
}
