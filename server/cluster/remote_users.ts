/**
 * This node's replica of the users on other nodes: small proxies kept in
 * the same name directory and rooms as the local users, so `WHO`, `LIST`,
 * `MSG`'s "no such user" and `KICK`'s checks stay synchronous reads. The
 * replica changes only as entries from other nodes are read from the one
 * stream (or from the snapshot a node starts with), so every node builds
 * it from the same sequence. See docs/CLUSTER.md.
 *
 * @module
 */

import type { ChatEvent } from "../../protocol/events.ts";
import type { HubUser } from "../hub/hub.ts";
import type { NameDirectory } from "../hub/name_directory.ts";
import type { Rooms } from "../hub/rooms.ts";
import type { ListedUser, PresenceRecord } from "./stream_fan_out.ts";

/** A user on another node: a name, its node and its rooms. Events for it are delivered there. */
export class RemoteUser implements HubUser {
  name: string;
  readonly node: string;
  readonly rooms = new Set<string>();

  /**
   * Creates the proxy.
   *
   * @param name The user's name.
   * @param node The node the user is on.
   */
  constructor(name: string, node: string) {
    this.name = name;
    this.node = node;
  }

  /** Another node delivers to this user: nothing to do here. */
  deliver(): void {}

  /** Whether the user is in a room (by its name as created). */
  isIn(room: string): boolean {
    return this.rooms.has(room);
  }
}

/** The directory and rooms the replica keeps proxies in, with the local users. */
export interface ReplicaHub {
  readonly directory: NameDirectory<HubUser>;
  readonly rooms: Rooms<HubUser>;
}

/** Options for {@linkcode RemoteUsers}. */
export interface RemoteUsersOptions {
  /**
   * A local user was kicked from a room by an operator on another node:
   * the local side removes it (it is not a proxy).
   */
  readonly onLocalKick?: (user: HubUser, room: string) => void;
  /** Told when an entry names a local user it should not (a name held twice). */
  readonly onConflict?: (name: string, node: string) => void;
}

/** Applies other nodes' entries to this node's directory and rooms. */
export class RemoteUsers {
  readonly #hub: ReplicaHub;
  readonly #options: RemoteUsersOptions;
  /** Every proxy the directory holds. */
  readonly #known = new Set<RemoteUser>();

  /**
   * Creates the replica over a hub's directory and rooms.
   *
   * @param hub Where the proxies go.
   * @param options What to do about local users named by remote entries.
   */
  constructor(hub: ReplicaHub, options: RemoteUsersOptions = {}) {
    this.#hub = hub;
    this.#options = options;
  }

  /**
   * Loads who was online on other nodes when this node started.
   *
   * @param snapshot From {@linkcode StreamFanOut.start}.
   * @param ownNode This node's id: its own entries (left by an earlier run) are skipped.
   */
  load(
    snapshot: { readonly users: readonly Omit<ListedUser, "owner">[] },
    ownNode: string,
  ): void {
    for (const { name, node, rooms } of snapshot.users) {
      if (node === ownNode) continue;
      const user = this.#login(name, node);
      for (const room of rooms) if (user) this.#join(user, room);
    }
  }

  /**
   * Applies one entry from another node.
   *
   * @param entry The event (silent ones too) or presence record.
   * @param node The node it came from.
   */
  apply(entry: ChatEvent | PresenceRecord, node: string): void {
    switch (entry.kind) {
      case "login":
        this.#login(entry.name, node);
        return;
      case "logout":
        return this.#logout(entry.name);
      case "rename":
        return this.#rename(entry.name, entry.to);
    }
    const event = entry as ChatEvent;
    switch (event.kind) {
      case "join": {
        const user = this.#proxy(event.from) ?? this.#login(event.from, node);
        if (user) this.#join(user, event.room);
        return;
      }
      case "part":
      case "quit":
      case "disconnect": {
        const user = this.#proxy(event.from);
        if (user) this.#leave(user, event.room);
        return;
      }
      case "kick": {
        const target = this.#hub.directory.holder(event.to);
        if (target instanceof RemoteUser) this.#leave(target, event.room);
        else if (target !== undefined) this.#options.onLocalKick?.(target, event.room);
        return;
      }
      default:
        // Chat, actions, private messages and nick notices change no membership;
        // a topic comes as a row of the shared rooms table.
        return;
    }
  }

  /** Forgets every user of a node (one that died): their names and places. */
  forgetNode(node: string): RemoteUser[] {
    const gone: RemoteUser[] = [];
    for (const user of [...this.#known]) {
      if (user.node !== node) continue;
      gone.push(user);
      this.#logout(user.name);
    }
    return gone;
  }

  /** How many users of other nodes are known. */
  get size(): number {
    return this.#known.size;
  }

  #proxy(name: string): RemoteUser | undefined {
    const holder = this.#hub.directory.holder(name);
    return holder instanceof RemoteUser ? holder : undefined;
  }

  #login(name: string, node: string): RemoteUser | undefined {
    const existing = this.#hub.directory.holder(name);
    if (existing instanceof RemoteUser && existing.node === node) return existing;
    // The name moved to another node (its earlier holder was fenced): a new proxy.
    if (existing instanceof RemoteUser) this.#logout(existing.name);
    const user = new RemoteUser(name, node);
    if (this.#hub.directory.claim(name, user) !== undefined) {
      this.#options.onConflict?.(name, node);
      return undefined;
    }
    this.#known.add(user);
    return user;
  }

  #logout(name: string): void {
    const user = this.#proxy(name);
    if (user === undefined) return;
    for (const room of user.rooms) this.#hub.rooms.leave(room, user);
    user.rooms.clear();
    this.#hub.directory.release(user.name, user);
    this.#known.delete(user);
  }

  #rename(oldName: string, newName: string): void {
    const user = this.#proxy(oldName);
    if (user === undefined) return;
    // Rooms keep their members sorted by name: out under the old one, in under the new.
    for (const room of user.rooms) this.#hub.rooms.leave(room, user);
    let holder = this.#hub.directory.rename(oldName, newName, user);
    if (holder instanceof RemoteUser) {
      // A proxy of a user who gave the name up (a dead node's, not reaped
      // yet): the cluster gave it to this one, so it is gone.
      this.#logout(holder.name);
      holder = this.#hub.directory.rename(oldName, newName, user);
    }
    if (holder !== undefined) {
      this.#options.onConflict?.(newName, user.node);
    } else {
      user.name = newName;
    }
    for (const room of user.rooms) this.#hub.rooms.join(room, user);
  }

  #join(user: RemoteUser, room: string): void {
    const rooms = this.#hub.rooms;
    const name = rooms.find(room) ?? (() => {
      const opened = rooms.open(room);
      return "room" in opened ? opened.room : undefined;
    })();
    if (name === undefined || user.rooms.has(name)) return;
    rooms.join(name, user);
    user.rooms.add(name);
  }

  #leave(user: RemoteUser, room: string): void {
    if (!user.rooms.delete(room)) return;
    this.#hub.rooms.leave(room, user);
  }
}
