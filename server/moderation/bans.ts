/**
 * Bans: of a name (the account or whoever would use it) or of an address or
 * CIDR range, each until a time or for good. A banned address is refused at
 * connect; a banned name at login. Bans are kept by a {@linkcode BanStore}
 * (SQLite with a database) and expire by themselves.
 *
 * @module
 */

import { type ProtocolError, ServerError } from "../../protocol/errors.ts";
import { utcTime } from "../../protocol/line_codec.ts";
import { nameKey } from "../../protocol/username.ts";
import { AddressList } from "../connection_limits.ts";

/** One ban. */
export interface Ban {
  /** A name, or an address or CIDR range, as given. */
  readonly target: string;
  /** What the target is. */
  readonly kind: "name" | "address";
  /** When it ends, in milliseconds since the epoch; `undefined` for good. */
  readonly until: number | undefined;
  /** Why, as the operator said; may be empty. */
  readonly reason: string;
  /** The operator who banned. */
  readonly by: string;
}

/** Keeps bans; in memory by default. */
export interface BanStore {
  /** Every ban kept. */
  all(): Ban[];
  /** Keeps a ban, replacing one of the same target. */
  save(ban: Ban): void;
  /** Forgets the ban of a target. */
  remove(target: string): void;
}

/** A {@linkcode BanStore} in this process's memory. */
export class MemoryBanStore implements BanStore {
  readonly #bans = new Map<string, Ban>();
  all(): Ban[] {
    return [...this.#bans.values()];
  }
  save(ban: Ban): void {
    this.#bans.set(ban.target, ban);
  }
  remove(target: string): void {
    this.#bans.delete(target);
  }
}

/**
 * Whether a ban target is an address or range, or else a name.
 *
 * @param target What the operator wrote.
 * @returns `address` when it parses as one.
 */
export function banKind(target: string): "name" | "address" {
  try {
    new AddressList(target);
    return "address";
  } catch {
    return "name";
  }
}

/** The bans in force. */
export class Bans {
  readonly #store: BanStore;
  readonly #now: () => number;
  #bans: { ban: Ban; key: string; addresses?: AddressList }[] = [];

  /**
   * Loads the bans a store keeps.
   *
   * @param store Where bans are kept.
   * @param now The clock for expiry; `Date.now` by default.
   */
  constructor(store: BanStore, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
    for (const ban of store.all()) this.#index(ban);
  }

  /** Bans a target, replacing an earlier ban of it. */
  add(ban: Ban): void {
    this.#drop(ban.target);
    this.#store.save(ban);
    this.#index(ban);
  }

  /**
   * Lifts the ban of a target.
   *
   * @returns Whether there was one.
   */
  remove(target: string): boolean {
    const found = this.#find(target);
    if (found === undefined) return false;
    this.#drop(found.ban.target);
    this.#store.remove(found.ban.target);
    return true;
  }

  /** Takes a ban another node of a cluster added (its store has it already). */
  learn(ban: Ban): void {
    this.#drop(ban.target);
    this.#index(ban);
  }

  /** Forgets a ban another node of a cluster lifted. */
  forget(target: string): void {
    this.#drop(target);
  }

  /** The bans in force, oldest first. */
  list(): Ban[] {
    this.#expire();
    return this.#bans.map((entry) => entry.ban);
  }

  /** The ban in force on a name, if any. */
  forName(name: string): Ban | undefined {
    this.#expire();
    const key = nameKey(name);
    return this.#bans.find((entry) => entry.ban.kind === "name" && entry.key === key)?.ban;
  }

  /** The ban in force on an address, if any. */
  forAddress(ip: string): Ban | undefined {
    this.#expire();
    return this.#bans.find((entry) => entry.addresses?.includes(ip))?.ban;
  }

  #index(ban: Ban): void {
    const entry = ban.kind === "address"
      ? { ban, key: ban.target, addresses: new AddressList(ban.target) }
      : { ban, key: nameKey(ban.target) };
    this.#bans.push(entry);
  }

  #find(target: string) {
    const key = banKind(target) === "name" ? nameKey(target) : target;
    return this.#bans.find((entry) => entry.key === key);
  }

  #drop(target: string): void {
    const found = this.#find(target);
    if (found) this.#bans = this.#bans.filter((entry) => entry !== found);
  }

  #expire(): void {
    const now = this.#now();
    const expired = this.#bans.filter(({ ban }) => ban.until !== undefined && ban.until <= now);
    if (expired.length === 0) return;
    for (const { ban } of expired) this.#store.remove(ban.target);
    this.#bans = this.#bans.filter((entry) => !expired.includes(entry));
  }
}

/** What a banned name or address is told, such as `Your address is banned until …`. */
export function banError(what: string, ban: Ban): ProtocolError {
  return ServerError.banned(what, ban.until === undefined ? "" : utcTime(ban.until), ban.reason);
}
