/**
 * The fan-out of a cluster: every event goes into one Redis Stream and
 * every node delivers what it reads back, its own events included, so the
 * stream's order is every node's order. See docs/CLUSTER.md.
 *
 * Nothing is delivered that was not read back from Redis: a publish that
 * fails is reported to the caller (`onPublishError`) and never delivered
 * locally, and it is never retried, since a write that timed out may have
 * been stored; if it was, everyone gets it from the stream, once.
 *
 * The script that appends an event also keeps, in the same atomic step,
 * what a node starting later needs (who is online on which node, each
 * user's rooms) and each room's history (a capped stream per room, entries
 * under the same ids), so a snapshot and a stream position always agree.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { ChatEvent, EventDraft, EventKind } from "../../protocol/events.ts";
import { nameKey } from "../../protocol/username.ts";
import type { EventListener, FanOut } from "../hub/fan_out.ts";

/** What the fan-out needs of a Redis client; node-redis 5's client has it. */
export interface StreamClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scriptLoad(script: string): Promise<string>;
  xRead(
    streams: { key: string; id: string }[],
    options: { BLOCK?: number; COUNT?: number },
  ): Promise<unknown>;
}

/** A user coming, going or renamed on some node: never shown, but every replica needs it. */
export interface PresenceRecord {
  readonly kind: "login" | "logout" | "rename";
  /** The name (the old one, for `rename`). */
  readonly name: string;
  /** The new name, for `rename`. */
  readonly to: string;
  /** The node the user is on. */
  readonly node: string;
}

/** A user the online list names: on which node, by which connection, in which rooms. */
export interface ListedUser {
  readonly name: string;
  readonly node: string;
  /** The connection, `node/id`: a departure said for this user holds for it only. */
  readonly owner: string;
  readonly rooms: string[];
}

/** Who was online where, and in which rooms, as of a stream position. */
export interface ClusterSnapshot {
  /** The id of the last event the snapshot includes; read on from it. */
  readonly position: string;
  readonly users: readonly ListedUser[];
  /** The shared tables (accounts, bans, …): each key's JSON value. */
  readonly tables: Readonly<Record<string, ReadonlyMap<string, string>>>;
}

/** The tables whose rows every node keeps a copy of (see `shared_tables.ts`). */
export const SHARED_TABLES = ["accounts", "bans", "mutes", "rooms"] as const;

/** One of {@linkcode SHARED_TABLES}. */
export type SharedTable = typeof SHARED_TABLES[number];

/** Options for {@linkcode StreamFanOut}. */
export interface StreamFanOutOptions {
  /** This node's id, written with each of its events. */
  readonly nodeId: string;
  /** How long a publish may take before it counts as failed, in milliseconds. */
  readonly commandTimeoutMs: number;
  /** How long one blocking read waits for news, in milliseconds. */
  readonly blockMs?: number;
  /** Told about each publish that failed: its sender gets an error; nothing was delivered. */
  readonly onPublishError: (draft: EventDraft, error: unknown) => void;
  /** Told about each read that failed; the reader retries by itself, with backoff. */
  readonly onReadError?: (error: unknown) => void;
  /**
   * Told about every entry from another node, after it is delivered here:
   * events (silent ones too) and presence records, for the replica.
   */
  readonly onRemote?: (entry: ChatEvent | PresenceRecord, node: string) => void;
  /**
   * Told about each request that the connection `owner` (`node-id/connection-id`)
   * give its name up: someone logged in with the name's password elsewhere.
   */
  readonly onReplace?: (owner: string, name: string) => void;
  /**
   * Told, for each of this node's own events read back, how long it took
   * from the append, in milliseconds: the Redis hop.
   */
  readonly onHop?: (ms: number) => void;
  /** Told about each row another node wrote to a shared table; `undefined` for a deletion. */
  readonly onRow?: (table: SharedTable, key: string, value: string | undefined) => void;
  /**
   * Asked of each event before it is shown: true keeps it from the users
   * (a departure announced for someone else, by a reaper or an eviction, in
   * a room over `--presence-max`), though the replicas still apply it.
   */
  readonly quiet?: (event: ChatEvent) => boolean;
  /**
   * Asked before each batch is delivered: a node that may no longer own
   * its users' names (it was paused past its leases) fences itself there,
   * before a single line reaches them. Deliveries resume once it says yes.
   */
  readonly safe?: () => boolean;
  /** Each room's history stream keeps about this many entries. */
  readonly historyLength: number;
  /** ...and entries at most this old, in milliseconds (a quiet room's stream goes entirely). */
  readonly historyMaxAgeMs?: number;
  /** The events stream keeps about this many entries. */
  readonly eventsLength?: number;
  /** Key prefix; `nanochat:` by default. */
  readonly prefix?: string;
}

/** An event that may be silent: applied to replicas but shown to nobody (throttled presence). */
export type SilentDraft = EventDraft;

/**
 * Appends one entry and keeps the bookkeeping with it.
 * KEYS: events, history of the room, online hash, rooms of `from`, rooms of `to`.
 * ARGV: kind, room, from, to, text, node, silent, history length, events
 * length, `from`'s name key, `to`'s name key, for a departure the node or
 * the connection (`node/id`) that must still hold the user (else nothing
 * is appended: the name is someone else's now), the history's longest age
 * in milliseconds, the oldest id it keeps, for a login the connection
 * (`node/id`) the user is listed under, and when the node appended it (its
 * own clock, in milliseconds: only that node reads it, to time the hop). A login's or a rename's text is
 * what the others are told of whoever was still listed under the name it
 * takes, who leaves first.
 *
 * The online hash maps each name key to `node/id LF name`.
 */
const PUBLISH = `
local kind, room, from, to = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if ARGV[12] ~= '' then
  local held = redis.call('HGET', KEYS[3], ARGV[10])
  local holder = held and string.match(held, '^([^\\n]*)\\n')
  if not holder or (holder ~= ARGV[12] and string.sub(holder, 1, #ARGV[12] + 1) ~= ARGV[12] .. '/') then
    return false
  end
end
-- A login, or a rename to another name, evicts whoever is still listed
-- under the name it takes (a dead node's user not reaped yet, a replaced
-- session whose departure is on its way): they leave each room first, once,
-- told why by the entry's text.
if kind == 'login' or (kind == 'rename' and ARGV[11] ~= ARGV[10]) then
  local key, roomsKey, name = ARGV[10], KEYS[4], from
  if kind == 'rename' then key, roomsKey, name = ARGV[11], KEYS[5], to end
  local stale = redis.call('HGET', KEYS[3], key)
  if stale then
    local staleName = string.match(stale, '\\n(.*)$') or name
    for _, staleRoom in ipairs(redis.call('SMEMBERS', roomsKey)) do
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[9], '*',
        'kind', 'disconnect', 'room', staleRoom, 'from', staleName, 'to', '', 'text', ARGV[5],
        'node', ARGV[6], 'silent', '')
    end
    redis.call('DEL', roomsKey)
  end
end
-- A departure from a room is appended once: only by whoever removes it from the user's rooms.
if kind == 'part' or kind == 'quit' or kind == 'disconnect' then
  if redis.call('SREM', KEYS[4], room) == 0 then return false end
elseif kind == 'kick' then
  if redis.call('SREM', KEYS[5], room) == 0 then return false end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[9], '*',
  'kind', kind, 'room', room, 'from', from, 'to', to, 'text', ARGV[5],
  'node', ARGV[6], 'silent', ARGV[7], 'sent', ARGV[16])
if kind == 'message' or kind == 'action' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], id,
    'kind', kind, 'from', from, 'text', ARGV[5])
  -- Old lines go after --history-max-age; a room nobody speaks in, entirely.
  redis.call('XTRIM', KEYS[2], 'MINID', '~', ARGV[14])
  redis.call('PEXPIRE', KEYS[2], ARGV[13])
elseif kind == 'join' then
  redis.call('SADD', KEYS[4], room)
elseif kind == 'login' then
  redis.call('HSET', KEYS[3], ARGV[10], ARGV[15] .. '\\n' .. from)
  redis.call('DEL', KEYS[4])
elseif kind == 'logout' then
  redis.call('HDEL', KEYS[3], ARGV[10])
  redis.call('DEL', KEYS[4])
elseif kind == 'rename' then
  local held = redis.call('HGET', KEYS[3], ARGV[10])
  local holder = held and string.match(held, '^([^\\n]*)\\n') or ARGV[6]
  redis.call('HDEL', KEYS[3], ARGV[10])
  redis.call('HSET', KEYS[3], ARGV[11], holder .. '\\n' .. to)
  if KEYS[4] ~= KEYS[5] and redis.call('EXISTS', KEYS[4]) == 1 then
    redis.call('RENAME', KEYS[4], KEYS[5])
  end
end
return id
`;

const PUBLISH_SHA = createHash("sha1").update(PUBLISH).digest("hex");

/** The last id of the events stream, and every online user with their node and rooms. */
const SNAPSHOT = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local position = '0-0'
if #last > 0 then position = last[1][1] end
local online = redis.call('HGETALL', KEYS[2])
local users = {}
for i = 1, #online, 2 do
  local rooms = redis.call('SMEMBERS', ARGV[1] .. online[i])
  table.insert(users, {online[i], online[i + 1], rooms})
end
local tables = {}
for i = 3, #KEYS do table.insert(tables, redis.call('HGETALL', KEYS[i])) end
return {position, users, tables}
`;

/**
 * Writes one row of a shared table (deletes it for an empty value) and
 * tells every node, in the same step. KEYS: the table, events. ARGV:
 * table, key, value, node, events length.
 */
const WRITE_ROW = `
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[2])
else redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) end
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*',
  'kind', 'row', 'table', ARGV[1], 'key', ARGV[2], 'value', ARGV[3], 'node', ARGV[4])
`;

/**
 * Asks the holder of a name to give it up. KEYS: events. ARGV: the name,
 * the holder's owner, node, events length.
 */
const REPLACE = `
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*',
  'kind', 'replace', 'from', ARGV[1], 'to', ARGV[2], 'node', ARGV[3])
`;

/** How long history is kept when not told: 90 days, as `--history-max-age`. */
const DEFAULT_HISTORY_MAX_AGE_MS = 90 * 24 * 3600 * 1000;

/** Events that say a user left: appended only while the user is still the sender's. */
const DEPARTURES = new Set(["quit", "disconnect"]);

/** A hop longer than this is not one (an entry read again after a restart): not counted. */
const MAX_HOP_MS = 60_000;

/** Reads return at most this many entries. */
const READ_COUNT = 1000;

/** Waits between failed reads: from 100 ms, doubling, to 5 s. */
const BACKOFF_MS = [100, 200, 400, 800, 1600, 3200, 5000];

/** What the append script is given (see `PUBLISH`). */
interface AppendedEntry {
  readonly kind: string;
  readonly room: string;
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly silent: boolean;
  /** For a departure: the node or connection that must still hold the user; else empty. */
  readonly owner: string;
  /** For a login: the connection (`node/id`) the user is listed under. */
  readonly listedAs?: string;
}

/** An entry as node-redis 5 returns it from XREAD. */
interface StreamEntries {
  readonly name: string;
  readonly messages: readonly { readonly id: string; readonly message: Record<string, string> }[];
}

/** A {@linkcode FanOut} over one Redis Stream. */
export class StreamFanOut implements FanOut {
  readonly #publisher: StreamClient;
  readonly #reader: StreamClient;
  readonly #options: StreamFanOutOptions;
  readonly #prefix: string;
  readonly #eventsKey: string;
  readonly #listeners: EventListener[] = [];
  /** The id of the last entry read. */
  #position = "$";
  #reading: Promise<void> | undefined;
  #closed = false;
  #wakeBackoff: (() => void) | undefined;

  /**
   * Creates the fan-out; it reads nothing until {@linkcode StreamFanOut.start}.
   *
   * @param publisher A client for appending and lookups.
   * @param reader A client of its own for the blocking reads (a blocked connection does nothing else).
   * @param options Timeouts, lengths and where failures and remote entries go.
   */
  constructor(publisher: StreamClient, reader: StreamClient, options: StreamFanOutOptions) {
    this.#publisher = publisher;
    this.#reader = reader;
    this.#options = options;
    this.#prefix = options.prefix ?? "nanochat:";
    this.#eventsKey = `${this.#prefix}events`;
  }

  /** The key of a room's history stream. */
  historyKey(room: string): string {
    return `${this.#prefix}history:${room}`;
  }

  /**
   * Reads who is online where, and starts reading the stream right after
   * that snapshot, so nothing falls between the two.
   *
   * @returns The snapshot, for the replica.
   */
  async start(): Promise<ClusterSnapshot> {
    const snapshot = await this.snapshot();
    this.startFrom(snapshot.position);
    return snapshot;
  }

  /**
   * Reads, in one step, the stream's last id, who is online where and the
   * shared tables.
   */
  async snapshot(): Promise<ClusterSnapshot> {
    // Loaded once here, so appends can name it by its hash.
    await withTimeout(this.#publisher.scriptLoad(PUBLISH), this.#options.commandTimeoutMs);
    const [position, rows, tables] = await withTimeout(
      this.#publisher.eval(SNAPSHOT, {
        keys: [
          this.#eventsKey,
          `${this.#prefix}online`,
          ...SHARED_TABLES.map((table) => this.#tableKey(table)),
        ],
        arguments: [`${this.#prefix}rooms:`],
      }),
      this.#options.commandTimeoutMs,
    ) as [string, [string, string, string[]][], string[][]];
    const rowsOf = (flat: string[] = []) => {
      const map = new Map<string, string>();
      for (let index = 0; index + 1 < flat.length; index += 2) {
        map.set(flat[index]!, flat[index + 1]!);
      }
      return map;
    };
    return {
      position,
      users: rows.map(([key, value, rooms]) => ({
        ...parseListing(value, key),
        rooms: [...rooms].sort(),
      })),
      tables: Object.fromEntries(
        SHARED_TABLES.map((table, index) => [table, rowsOf(tables[index])]),
      ),
    };
  }

  /** Starts reading the stream after `position` (from {@linkcode StreamFanOut.snapshot}). */
  startFrom(position: string): void {
    this.#position = position;
    this.#reading ??= this.#readLoop();
  }

  /**
   * Writes one row of a shared table, or deletes it (`undefined`), and
   * tells every node in the same step.
   *
   * @throws The failure, when Redis did not take it.
   */
  async writeRow(table: SharedTable, key: string, value: string | undefined): Promise<void> {
    await withTimeout(
      this.#publisher.eval(WRITE_ROW, {
        keys: [this.#tableKey(table), this.#eventsKey],
        arguments: [
          table,
          key,
          value ?? "",
          this.#options.nodeId,
          String(this.#options.eventsLength ?? 100_000),
        ],
      }),
      this.#options.commandTimeoutMs,
    );
  }

  /**
   * Asks the node holding a name for one of its connections to end that
   * connection (as replaced), which gives the name up. Never shown to users.
   *
   * @param owner The holder, `node-id/connection-id`.
   * @param name The name.
   * @throws The failure, when Redis did not take it.
   */
  async askToReplace(owner: string, name: string): Promise<void> {
    await withTimeout(
      this.#publisher.eval(REPLACE, {
        keys: [this.#eventsKey],
        arguments: [
          name,
          owner,
          this.#options.nodeId,
          String(this.#options.eventsLength ?? 100_000),
        ],
      }),
      this.#options.commandTimeoutMs,
    );
  }

  #tableKey(table: SharedTable): string {
    return `${this.#prefix}table:${table}`;
  }

  publish(draft: SilentDraft): void {
    if (this.#options.safe?.() === false) {
      // A fenced node speaks for nobody: its users' names may be someone else's by now.
      return this.#options.onPublishError(draft, new Error("this node is fenced"));
    }
    const owner = DEPARTURES.has(draft.kind) ? this.#options.nodeId : "";
    this.publishAs(draft, owner).catch((error) => this.#options.onPublishError(draft, error));
  }

  /**
   * Appends an event; a departure only while `owner` still holds the user
   * (a node fenced meanwhile, or a dead node's reaper, cannot make someone
   * who took the name since look as if they left).
   *
   * @throws The failure, when Redis did not take it.
   */
  async publishAs(draft: SilentDraft, owner: string): Promise<void> {
    const { kind, room, from, to, text } = draft;
    await this.#append({ kind, room, from, to, text, silent: draft.silent ?? false, owner });
  }

  /**
   * Tells every node that a user of this node logged in, out, or was
   * renamed. Awaited, unlike events: a login is not done until it is known.
   * A login's `text` is what the others are told of whoever was still
   * listed under the name, who leaves first.
   *
   * @param owner For a logout, the node or connection (`node/id`) that
   * must still hold the user; for a login, the connection it is listed under.
   * @throws The failure, when Redis did not take it.
   */
  async announce(
    kind: PresenceRecord["kind"],
    name: string,
    to = "",
    owner = this.#options.nodeId,
    text = "",
  ): Promise<void> {
    await this.#append({
      kind,
      room: "",
      from: name,
      to,
      text,
      silent: true,
      owner: kind === "logout" ? owner : "",
      listedAs: kind === "login" ? owner : "",
    });
  }

  subscribe(listener: EventListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Stops reading; the blocked read ends within `blockMs`. A Redis that
   * does not answer at all (stopped, cut off without a reset) is waited for
   * no longer than that and the command timeout: closing the client ends it.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeBackoff?.();
    if (this.#reading === undefined) return;
    const { blockMs = 1000, commandTimeoutMs } = this.#options;
    await withTimeout(this.#reading, blockMs + commandTimeoutMs).catch(() => {});
  }

  #append(entry: AppendedEntry): Promise<unknown> {
    const { kind, room, from, to, text, silent, owner } = entry;
    const { nodeId, historyLength, eventsLength, commandTimeoutMs } = this.#options;
    const fromKey = from === "" ? "" : nameKey(from);
    const toKey = to === "" ? "" : nameKey(to);
    return withTimeout(
      this.#evalPublish({
        keys: [
          this.#eventsKey,
          this.historyKey(room),
          `${this.#prefix}online`,
          `${this.#prefix}rooms:${fromKey}`,
          `${this.#prefix}rooms:${toKey}`,
        ],
        arguments: [
          kind,
          room,
          from,
          to,
          text,
          nodeId,
          silent ? "1" : "",
          String(historyLength),
          String(eventsLength ?? 100_000),
          fromKey,
          toKey,
          owner,
          String(this.#options.historyMaxAgeMs ?? DEFAULT_HISTORY_MAX_AGE_MS),
          String(
            Math.max(0, Date.now() - (this.#options.historyMaxAgeMs ?? DEFAULT_HISTORY_MAX_AGE_MS)),
          ),
          entry.listedAs || nodeId,
          performance.now().toFixed(3),
        ],
      }),
      commandTimeoutMs,
    );
  }

  /**
   * Runs the append script by its hash (the script itself, 2 KB, would
   * travel with every event), loading it first when Redis does not have it
   * (after a restart).
   */
  async #evalPublish(options: { keys: string[]; arguments: string[] }): Promise<unknown> {
    try {
      return await this.#publisher.evalSha(PUBLISH_SHA, options);
    } catch (error) {
      if (!String(error).includes("NOSCRIPT")) throw error;
      return await this.#publisher.eval(PUBLISH, options);
    }
  }

  async #readLoop(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      let result: unknown;
      try {
        result = await this.#reader.xRead([{ key: this.#eventsKey, id: this.#position }], {
          BLOCK: this.#options.blockMs ?? 1000,
          COUNT: READ_COUNT,
        });
        failures = 0;
      } catch (error) {
        if (this.#closed) return;
        this.#options.onReadError?.(error);
        const wait = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]!;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait * (0.5 + Math.random() / 2));
          // Shutdown does not wait the backoff out.
          this.#wakeBackoff = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wakeBackoff = undefined;
        continue;
      }
      const deliver = this.#options.safe?.() ?? true;
      for (const { messages } of (result ?? []) as StreamEntries[]) {
        for (const { id, message } of messages) {
          this.#position = id;
          try {
            this.#take(id, message, deliver);
          } catch (error) {
            // A malformed entry (written by hand, or by another version) is skipped, not fatal.
            this.#options.onReadError?.(new Error(`entry ${id} skipped: ${String(error)}`));
          }
        }
      }
    }
  }

  /** Hands one entry to the replica (when it is another node's) and to the subscribers. */
  #take(id: string, fields: Record<string, string>, deliver: boolean): void {
    const node = fields.node ?? "";
    const own = node === this.#options.nodeId;
    const kind = fields.kind ?? "";
    if (kind === "row") {
      const value = fields.value === "" ? undefined : fields.value;
      if (!own) this.#options.onRow?.(fields.table as SharedTable, fields.key ?? "", value);
      return;
    }
    if (kind === "replace") {
      this.#options.onReplace?.(fields.to ?? "", fields.from ?? "");
      return;
    }
    if (kind === "login" || kind === "logout" || kind === "rename") {
      if (!own) {
        this.#options.onRemote?.(
          { kind, name: fields.from ?? "", to: fields.to ?? "", node },
          node,
        );
      }
      return;
    }
    if (own && fields.sent !== undefined) {
      const hop = performance.now() - Number(fields.sent);
      if (hop >= 0 && hop < MAX_HOP_MS) this.#options.onHop?.(hop);
    }
    const event: ChatEvent = {
      id,
      time: Number(id.slice(0, id.indexOf("-"))),
      room: fields.room ?? "",
      kind: kind as EventKind,
      from: fields.from ?? "",
      to: fields.to ?? "",
      text: fields.text ?? "",
    };
    if (fields.silent !== "1" && deliver && !(this.#options.quiet?.(event) ?? false)) {
      for (const listener of this.#listeners) listener(event);
    }
    // After the delivery: a user kicked here sees the kick, as on a server on its own.
    if (!own) this.#options.onRemote?.(event, node);
  }
}

/**
 * Reads an online list value, `node/id LF name` (`node LF name` as written
 * before connections were listed).
 */
export function parseListing(value: string, fallbackName: string): Omit<ListedUser, "rooms"> {
  const newline = value.indexOf("\n");
  const owner = newline === -1 ? value : value.slice(0, newline);
  const name = newline === -1 ? fallbackName : value.slice(newline + 1);
  const slash = owner.indexOf("/");
  return { name, owner, node: slash === -1 ? owner : owner.slice(0, slash) };
}

/** The promise, or a rejection after `ms` milliseconds. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
