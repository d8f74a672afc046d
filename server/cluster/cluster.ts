/**
 * One node's membership of a cluster: its Redis connections, the one event
 * stream (fan-out and history), the name leases, and the replica of the
 * other nodes' users. See docs/CLUSTER.md.
 *
 * @module
 */

import { createClient } from "redis";
import type { ChatEvent } from "../../protocol/events.ts";
import { nameKey, nameSkeleton } from "../../protocol/username.ts";
import type { HubUser } from "../hub/hub.ts";
import type { ClusterLink } from "../chat_user.ts";
import type { Logger } from "../log.ts";
import { NameLeases } from "./name_leases.ts";
import { type RemoteUser, RemoteUsers, type ReplicaHub } from "./remote_users.ts";
import {
  type ClusterSnapshot,
  type ListedUser,
  parseListing,
  type PresenceRecord,
  type SharedTable,
  type SilentDraft,
  StreamFanOut,
} from "./stream_fan_out.ts";
import {
  SharedAccountStore,
  SharedBanStore,
  SharedMuteStore,
  SharedRooms,
} from "./shared_tables.ts";
import type { Storage } from "../store/storage.ts";
import type { NameHolder } from "../hub/name_directory.ts";
import type { Ban } from "../moderation/bans.ts";
import type { Mute } from "../moderation/mutes.ts";
import { StreamHistoryStore } from "./stream_history.ts";
import { HopHistogram } from "./hop_histogram.ts";

export { ClusterUnavailableError } from "./name_leases.ts";
export { RemoteUser } from "./remote_users.ts";

/** How a node joins its cluster. */
export interface ClusterOptions {
  /** Such as `redis://127.0.0.1:6379`. */
  readonly url: string;
  /** Unique among the nodes; in logs and in the stream. */
  readonly nodeId: string;
  /** How long a name's lease lives unless renewed, in milliseconds. */
  readonly leaseMs: number;
  /** How long any Redis call may take, in milliseconds. */
  readonly commandTimeoutMs: number;
  /** Each room's history stream keeps about this many events. */
  readonly historyLength: number;
  /** ...for at most this long, in milliseconds. */
  readonly historyMaxAgeMs: number;
  readonly log: Logger;
}

/** What the node does when the cluster needs it to act. */
export interface ClusterHandlers {
  /** An event this node published did not reach Redis. */
  readonly onPublishError: (draft: SilentDraft, error: unknown) => void;
  /** The node can no longer be sure of its names: every local session must end now. */
  readonly onFenced: () => void;
  /** A local user was kicked from a room by an operator on another node. */
  readonly onLocalKick: (user: HubUser, room: string) => void;
  /**
   * Someone logged in with the password of the name that a connection here
   * holds: end that connection as replaced (if it still holds the name).
   */
  readonly onReplace: (connectionId: number, name: string) => void;
  /**
   * Whether an event must not be shown here: a departure a reaper or an
   * eviction announced, in a room too big for presence notices.
   */
  readonly isQuiet: (event: ChatEvent) => boolean;
  /** Whether a user of this name is logged in on this node. */
  readonly isLocal: (name: string) => boolean;
  /** Another node banned someone (`ban`), or lifted the ban of `target`. */
  readonly onBan: (ban: Ban | undefined, target: string) => void;
  /** Another node muted someone, or lifted a mute (only the name and room then). */
  readonly onMute: (mute: Mute | { name: string; room: string }) => void;
}

/** Redis errors are logged once per this many milliseconds at most. */
const ERROR_LOG_INTERVAL_MS = 5000;

/** Users told gone per batch when a node is reaped. */
const REAP_BATCH_USERS = 200;

/** How long a node's reaping is claimed by the node doing it. */
const REAP_LOCK_MS = 60_000;

/** A takeover tries the claim again after this long, doubling up to the next. */
const TAKE_OVER_FIRST_WAIT_MS = 25;
const TAKE_OVER_MAX_WAIT_MS = 500;

/** What the others are told about the users of a node that died. */
const DEAD_NODE_NOTICE = "their server stopped";

/** What they are told about a user whose departure did not reach Redis at the time. */
const LOST_NOTICE = "connection lost";

/** The nodes that have users online but no heartbeat. */
const DEAD_NODES = `
local online = redis.call('HVALS', KEYS[1])
local seen, dead = {}, {}
for _, value in ipairs(online) do
  local node = string.match(value, '^([^\\n/]*)')
  if not seen[node] then
    seen[node] = true
    if redis.call('EXISTS', ARGV[1] .. node) == 0 then table.insert(dead, node) end
  end
end
return dead
`;

/** A node's users, each as its online list value and its rooms. */
const USERS_OF = `
local online = redis.call('HGETALL', KEYS[1])
local users = {}
for i = 1, #online, 2 do
  if string.match(online[i + 1], '^([^\\n/]*)') == ARGV[1] then
    table.insert(users, {online[i + 1], redis.call('SMEMBERS', ARGV[2] .. online[i])})
  end
end
return users
`;

/** The node's copies of the shared tables. */
interface SharedStores {
  readonly accounts: SharedAccountStore;
  readonly bans: SharedBanStore;
  readonly mutes: SharedMuteStore;
  readonly rooms: SharedRooms<NameHolder>;
}

/** A node in a cluster. */
export class Cluster implements ClusterLink {
  readonly nodeId: string;
  readonly fanOut: StreamFanOut;
  readonly history: StreamHistoryStore;
  /** How long this node's own events take to come back from Redis. */
  readonly hops = new HopHistogram();
  readonly #options: ClusterOptions;
  readonly #clients: ReturnType<typeof createClient>[];
  readonly #leases: NameLeases;
  #handlers: ClusterHandlers | undefined;
  #replica: RemoteUsers | undefined;
  #lastErrorLog = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #reaping: Promise<void> | undefined;
  /** Taken when connecting: the shared tables and who is where, at one position. */
  #snapshot: ClusterSnapshot | undefined;
  #shared: SharedStores | undefined;

  private constructor(options: ClusterOptions, clients: ReturnType<typeof createClient>[]) {
    this.#options = options;
    this.nodeId = options.nodeId;
    this.#clients = clients;
    // Three connections: events out, events in (a blocked XREAD holds its
    // connection), and leases and heartbeats, which must never wait behind a
    // burst of events.
    const [publisher, reader, control] = clients as [
      ReturnType<typeof createClient>,
      ReturnType<typeof createClient>,
      ReturnType<typeof createClient>,
    ];
    this.fanOut = new StreamFanOut(publisher, reader, {
      nodeId: options.nodeId,
      commandTimeoutMs: options.commandTimeoutMs,
      historyLength: options.historyLength,
      historyMaxAgeMs: options.historyMaxAgeMs,
      onPublishError: (draft, error) => {
        this.#logError("publish", error);
        this.#handlers?.onPublishError(draft, error);
      },
      onReadError: (error) => this.#logError("read", error),
      onRemote: (entry, node) => this.#applyRemote(entry, node),
      onRow: (table, key, value) => this.#applyRow(table, key, value),
      quiet: (event) => this.#handlers?.isQuiet(event) ?? false,
      onHop: (ms) => this.hops.observe(ms),
      onReplace: (owner, name) => {
        const mine = `${this.nodeId}/`;
        if (!owner.startsWith(mine)) return;
        this.#handlers?.onReplace(Number(owner.slice(mine.length)), name);
      },
      safe: () => this.#leases.safe(),
    });
    this.history = new StreamHistoryStore(publisher, (room) => this.fanOut.historyKey(room));
    this.#leases = new NameLeases(control, {
      leaseMs: options.leaseMs,
      commandTimeoutMs: options.commandTimeoutMs,
      onFenced: () => {
        options.log.event("cluster-fenced", { node: this.nodeId });
        this.#handlers?.onFenced();
      },
      onLost: (owners) => options.log.event("cluster-names-lost", { owners: owners.join(",") }),
    });
  }

  /**
   * Connects to Redis.
   *
   * @param options Where, and the node's settings.
   * @returns The node, connected but not started.
   * @throws {Error} Naming the URL, when Redis cannot be reached.
   */
  static async connect(options: ClusterOptions): Promise<Cluster> {
    const clients = [0, 1, 2].map(() =>
      createClient({
        url: options.url,
        // A command issued while disconnected fails at once rather than being replayed later.
        disableOfflineQueue: true,
        socket: {
          connectTimeout: options.commandTimeoutMs,
          reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000),
        },
      })
    );
    const cluster = new Cluster(options, clients);
    for (const client of clients) client.on("error", (error) => cluster.#logError("client", error));
    try {
      await Promise.all(clients.map((client) => client.connect()));
      cluster.#snapshot = await cluster.fanOut.snapshot();
    } catch (error) {
      await Promise.all(clients.map((client) => client.destroy()));
      throw new Error(`cannot reach Redis at ${options.url}`, { cause: error });
    }
    return cluster;
  }

  /**
   * The node's storage: history from Redis, and copies of the shared
   * tables as they were when it connected; nothing on disk.
   */
  storage<U extends NameHolder>(): Storage<U> {
    const tables = this.#snapshot!.tables;
    const write = (table: SharedTable, key: string, value: string | undefined) =>
      this.fanOut.writeRow(table, key, value).catch((error) => this.#logError("write", error));
    const shared = {
      accounts: new SharedAccountStore(tables.accounts ?? new Map(), write),
      bans: new SharedBanStore(tables.bans ?? new Map(), write),
      mutes: new SharedMuteStore(tables.mutes ?? new Map(), write),
      rooms: new SharedRooms<U>(tables.rooms ?? new Map(), write),
    };
    this.#shared = shared as unknown as SharedStores;
    return { ...shared, history: this.history, close: () => {} };
  }

  /**
   * Loads who is online on the other nodes into the hub, starts reading
   * the stream right after that snapshot, and starts renewing leases.
   *
   * @param hub The local hub's directory and rooms.
   * @param handlers What to do when the cluster needs the node to act.
   */
  async start(hub: ReplicaHub, handlers: ClusterHandlers): Promise<void> {
    this.#handlers = handlers;
    this.#replica = new RemoteUsers(hub, {
      onLocalKick: handlers.onLocalKick,
      onConflict: (name, node) =>
        this.#options.log.event("cluster-conflict", { name, node, here: this.nodeId }),
    });
    await this.#beat();
    const snapshot = this.#snapshot!;
    this.#replica.load(snapshot, this.nodeId);
    this.fanOut.startFrom(snapshot.position);
    this.#leases.start();
    // Users an earlier run of this node left behind (it was killed): they are gone.
    const leftBehind = snapshot.users.filter((user) => user.node === this.nodeId);
    await this.#sayGone(leftBehind, DEAD_NODE_NOTICE);
    // The heartbeat never waits behind a reap, however long that takes.
    this.#heartbeat = setInterval(() => {
      this.#beat().catch((error) => this.#logError("heartbeat", error));
      this.#reaping ??= this.#reap().finally(() => this.#reaping = undefined);
    }, Math.max(100, Math.floor(this.#options.leaseMs / 3)));
  }

  /**
   * Claims a name for one of this node's connections. With `takeOver` (the
   * password was right), a connection holding the same name elsewhere is
   * asked to give it up, and the claim is tried again until the name is
   * free: within the lease even if the holder's node is dead.
   *
   * @param signal Aborted when the connection is gone: a takeover stops waiting.
   * @returns `undefined` once claimed, or the name its holder wrote.
   * @throws {ClusterUnavailableError} When Redis does not answer in time, or the node is fenced.
   */
  async claimName(
    connectionId: number,
    name: string,
    takeOver = false,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const owner = this.#owner(connectionId);
    const deadline = performance.now() + this.#options.leaseMs + this.#leases.marginMs;
    let asked = "";
    for (let wait = TAKE_OVER_FIRST_WAIT_MS;; wait = Math.min(2 * wait, TAKE_OVER_MAX_WAIT_MS)) {
      const holder = await this.#leases.claim(owner, name, nameKey(name), nameSkeleton(name));
      // A look-alike (another name, the same skeleton) is not this account's to replace.
      if (holder === undefined || !takeOver || nameKey(holder.name) !== nameKey(name)) {
        return holder?.name;
      }
      // Nobody is waiting any more (the client left, the node shuts down).
      if (signal?.aborted) return holder.name;
      if (holder.owner !== asked) {
        asked = holder.owner;
        await this.fanOut.askToReplace(holder.owner, holder.name);
      }
      if (performance.now() + wait > deadline) return holder.name;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, wait);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** Gives a connection's name up; failures only log (the lease runs out anyway). */
  releaseName(connectionId: number, name: string): void {
    this.#leases.release(this.#owner(connectionId), nameKey(name), nameSkeleton(name))
      .catch((error) => this.#logError("release", error));
  }

  /** Forgets a proxy whose name this node was given: its logout is still on its way. */
  forgetStale(user: RemoteUser): void {
    this.#replica?.apply({ kind: "logout", name: user.name, to: "", node: user.node }, user.node);
  }

  /** Whether this node's names are still certainly its own (see {@linkcode NameLeases.safe}). */
  safe(): boolean {
    return this.#leases.safe();
  }

  /**
   * Tells the other nodes a connection here logged in; whoever was still
   * listed under the name leaves first, told why by `staleNotice`. Failures
   * only log.
   */
  announceLogin(connectionId: number, name: string, staleNotice = LOST_NOTICE): void {
    this.fanOut.announce("login", name, "", this.#owner(connectionId), staleNotice)
      .catch((error) => this.#logError("announce", error));
  }

  /**
   * Tells the other nodes a user here logged out or was renamed (whoever
   * was still listed under the new name leaves first); failures only log.
   */
  announce(kind: "logout" | "rename", name: string, to = ""): Promise<void> {
    const staleNotice = kind === "rename" ? LOST_NOTICE : "";
    return this.fanOut.announce(kind, name, to, this.nodeId, staleNotice)
      .catch((error) => this.#logError("announce", error));
  }

  /** A proxy left a room because a local operator kicked it: the replica changes here too. */
  kickedHere(target: RemoteUser, room: string, by: string): void {
    this.#replica?.apply({
      id: "",
      time: 0,
      room,
      kind: "kick",
      from: by,
      to: target.name,
      text: "",
    }, this.nodeId);
  }

  /** Stops renewing and reading, and disconnects. */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.#reaping;
    this.#leases.close();
    await this.fanOut.close();
    await Promise.all(this.#clients.map(async (client) => {
      // QUIT waits for a reconnection that may never come: only a connected
      // client says goodbye, within the command timeout; the rest are cut.
      if (client.isReady) {
        try {
          await this.#run(() => client.quit());
          return;
        } catch {
          // Redis went away meanwhile, or did not answer in time.
        }
      }
      if (client.isOpen) client.destroy();
    }));
  }

  /** A claim's owner: the connection (its renames re-claim under the same owner). */
  #owner(connectionId: number): string {
    return `${this.nodeId}/${connectionId}`;
  }

  /** Says this node is alive for one more lease. */
  async #beat(): Promise<void> {
    await this.#run(
      (client) => client.set(this.#key(`node:${this.nodeId}`), "1", { PX: this.#options.leaseMs }),
      "control",
    );
  }

  /**
   * Reaps nodes whose heartbeat ran out while their users are still
   * listed: the first node to claim the reaping tells everyone that each of
   * those users left, once.
   */
  async #reap(): Promise<void> {
    try {
      // Users listed as this node's who are not here (their departure did not
      // reach Redis, say while it was down): they are gone.
      const listed = await this.#usersOf(this.nodeId);
      const stale = listed.filter(({ name }) => !this.#handlers?.isLocal(name));
      if (stale.length > 0) await this.#sayGone(stale, LOST_NOTICE);
      const dead = await this.#run((client) =>
        client.eval(DEAD_NODES, { keys: [this.#key("online")], arguments: [this.#key("node:")] })
      ) as string[];
      for (const node of dead) {
        if (node === this.nodeId) continue;
        const won = await this.#run((client) =>
          client.set(this.#key(`reaped:${node}`), this.nodeId, {
            NX: true,
            PX: Math.max(REAP_LOCK_MS, this.#options.leaseMs * 4),
          })
        );
        if (won !== "OK") continue;
        const users = await this.#usersOf(node);
        this.#options.log.event("cluster-reap", { node, users: users.length });
        await this.#sayGone(users, DEAD_NODE_NOTICE);
        this.#replica?.forgetNode(node);
      }
    } catch (error) {
      this.#logError("heartbeat", error);
    }
  }

  /** The users the online list gives to a node, with their connections and rooms. */
  async #usersOf(node: string): Promise<ListedUser[]> {
    const rows = await this.#run((client) =>
      client.eval(USERS_OF, { keys: [this.#key("online")], arguments: [node, this.#key("rooms:")] })
    ) as [string, string[]][];
    return rows.map(([value, rooms]) => ({ ...parseListing(value, ""), rooms }));
  }

  /**
   * Tells every room of each user that it left, then every node that it
   * logged out; each only while the same connection is still listed under
   * the name (someone who logged in since, even on the same node, stays).
   */
  async #sayGone(users: readonly ListedUser[], notice: string): Promise<void> {
    // Sent all at once, in order (one connection keeps it): each user's
    // departures, then its logout. Each departure is appended once at most.
    // A few hundred users at a time, so the connection's queue stays short.
    for (let first = 0; first < users.length; first += REAP_BATCH_USERS) {
      const sent: Promise<void>[] = [];
      for (const { name, rooms, owner } of users.slice(first, first + REAP_BATCH_USERS)) {
        for (const room of [...rooms].sort()) {
          const draft = { room, kind: "disconnect", from: name, to: "", text: notice } as const;
          sent.push(this.fanOut.publishAs(draft, owner));
        }
        sent.push(this.fanOut.announce("logout", name, "", owner));
      }
      await Promise.all(sent);
    }
  }

  /** Runs a command on the publishing client within the command timeout. */
  #run<T>(
    command: (client: ReturnType<typeof createClient>) => Promise<T>,
    on: "publisher" | "control" = "publisher",
  ): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("Redis did not answer in time")),
        this.#options.commandTimeoutMs,
      );
    });
    const client = this.#clients[on === "control" ? 2 : 0]!;
    return Promise.race([command(client), timeout]).finally(() => clearTimeout(timer));
  }

  #key(name: string): string {
    return `nanochat:${name}`;
  }

  #applyRow(table: SharedTable, key: string, value: string | undefined): void {
    const shared = this.#shared;
    if (shared === undefined) return;
    switch (table) {
      case "accounts":
        return shared.accounts.apply(key, value);
      case "bans":
        return this.#handlers?.onBan(shared.bans.apply(key, value), key);
      case "mutes":
        return this.#handlers?.onMute(shared.mutes.apply(key, value));
      case "rooms":
        return shared.rooms.apply(key, value);
    }
  }

  #applyRemote(entry: ChatEvent | PresenceRecord, node: string): void {
    this.#replica?.apply(entry, node);
  }

  #logError(what: string, error: unknown): void {
    const now = performance.now();
    if (now - this.#lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.#lastErrorLog = now;
    this.#options.log.event("cluster-error", { what, error: String(error) });
  }
}
