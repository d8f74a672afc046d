/**
 * The one room: who is in it under which name, and delivery to them.
 *
 * Delivery is synchronous: `broadcast()` hands the same encoded bytes to
 * every member's non-blocking outbox before it returns. JavaScript runs one
 * task at a time, so every member sees every message in the one order the
 * server accepted them, and no delivery can overtake another.
 *
 * @module
 */

import { nameKey } from "../protocol/username.ts";

/** A logged-in user, as the room needs to know it. */
export interface Member {
  /** The name as the user wrote it. */
  readonly name: string;
  /** Queues bytes for this user; never blocks. */
  send(bytes: Uint8Array): void;
}

/** The set of logged-in users, unique by {@linkcode nameKey}. */
export class ChatRoom<M extends Member = Member> {
  readonly #members = new Map<string, M>();

  /** How many users are in the room. */
  get size(): number {
    return this.#members.size;
  }

  /**
   * Finds who holds a name, ignoring case.
   *
   * @param name Any name.
   * @returns The member online under that name, if any.
   */
  holder(name: string): M | undefined {
    return this.#members.get(nameKey(name));
  }

  /** The names online, sorted case-insensitively. */
  names(): string[] {
    return [...this.#members.values()].map((member) => member.name)
      .sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base" }));
  }

  /**
   * Adds a member unless its name is taken.
   *
   * @param member The user logging in.
   * @returns False, leaving the room unchanged, if the name is taken.
   */
  join(member: M): boolean {
    const key = nameKey(member.name);
    if (this.#members.has(key)) return false;
    this.#members.set(key, member);
    return true;
  }

  /**
   * Removes a member; does nothing if that exact member is not in the room,
   * so a rejected duplicate can never remove the user who holds the name.
   *
   * @param member The user leaving.
   */
  leave(member: M): void {
    const key = nameKey(member.name);
    if (this.#members.get(key) === member) this.#members.delete(key);
  }

  /**
   * Sends bytes to every member except one.
   *
   * @param bytes One encoded line, shared by all recipients.
   * @param except The sender, who gets no echo.
   */
  broadcast(bytes: Uint8Array, except?: M): void {
    for (const member of this.#members.values()) {
      if (member !== except) member.send(bytes);
    }
  }
}
