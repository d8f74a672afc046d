/**
 * The fan-out of a cluster: events go into Redis Streams (one per room, one
 * for private messages) and every node delivers what it reads back, its own
 * events included, so the streams' order is every node's order. See
 * docs/CLUSTER.md.
 *
 * Nothing is delivered that was not read back from Redis: a publish that
 * fails is reported to the caller (`onPublishError`) and never delivered
 * locally, and it is never retried, since a write that timed out may have
 * been stored; if it was, everyone gets it from the stream, once.
 *
 * @module
 */

import type { ChatEvent, EventDraft, EventKind } from "../../protocol/events.ts";
import type { EventListener, FanOut } from "../hub/fan_out.ts";

/** What the fan-out needs of a Redis client; node-redis 5's client has it. */
export interface StreamClient {
  xAdd(
    key: string,
    id: string,
    message: Record<string, string>,
    options?: { TRIM: { strategy: "MAXLEN"; strategyModifier: "~"; threshold: number } },
  ): Promise<string>;
  xRead(
    streams: { key: string; id: string }[],
    options: { BLOCK?: number; COUNT?: number },
  ): Promise<unknown>;
  xRevRange(
    key: string,
    end: string,
    start: string,
    options: { COUNT: number },
  ): Promise<{ id: string }[]>;
}

/** Options for {@linkcode StreamFanOut}. */
export interface StreamFanOutOptions {
  /** This node's id: its wake-up stream is named after it. */
  readonly nodeId: string;
  /** How long a publish may take before it counts as failed, in milliseconds. */
  readonly commandTimeoutMs: number;
  /** How long one blocking read waits for news, in milliseconds. */
  readonly blockMs?: number;
  /** Told about each publish that failed: its sender gets an error; nothing was delivered. */
  readonly onPublishError: (draft: EventDraft, error: unknown) => void;
  /** Told about each read that failed; the reader retries by itself, with backoff. */
  readonly onReadError?: (error: unknown) => void;
  /** Each stream keeps about this many entries (`MAXLEN ~`); 0 keeps all. */
  readonly maxLength?: number;
  /** Key prefix; `nanochat:` by default. */
  readonly prefix?: string;
}

/** The stream of private messages, within the prefix. */
const DIRECT = "direct";

/** Reads return at most this many entries per stream. */
const READ_COUNT = 1000;

/** Waits between failed reads: from 100 ms, doubling, to 5 s. */
const BACKOFF_MS = [100, 200, 400, 800, 1600, 3200, 5000];

/** The wake-up stream only needs its newest entries. */
const WAKE_MAX_LENGTH = 16;

/** An entry as node-redis 5 returns it from XREAD. */
interface StreamEntries {
  readonly name: string;
  readonly messages: readonly { readonly id: string; readonly message: Record<string, string> }[];
}

/** A {@linkcode FanOut} over Redis Streams. */
export class StreamFanOut implements FanOut {
  readonly #publisher: StreamClient;
  readonly #reader: StreamClient;
  readonly #options: StreamFanOutOptions;
  readonly #prefix: string;
  readonly #listeners: EventListener[] = [];
  /** The streams read, by key, with the id of the last entry delivered from each. */
  readonly #positions = new Map<string, string>();
  /** Streams being added: their position is being looked up. */
  readonly #following = new Map<string, Promise<void>>();
  readonly #wakeKey: string;
  #reading: Promise<void> | undefined;
  #closed = false;

  /**
   * Creates the fan-out; it reads nothing until {@linkcode StreamFanOut.start}.
   *
   * @param publisher A client for `XADD` and lookups.
   * @param reader A client of its own for the blocking reads (a blocked connection does nothing else).
   * @param options Timeouts and where failures go.
   */
  constructor(publisher: StreamClient, reader: StreamClient, options: StreamFanOutOptions) {
    this.#publisher = publisher;
    this.#reader = reader;
    this.#options = options;
    this.#prefix = options.prefix ?? "nanochat:";
    this.#wakeKey = `${this.#prefix}wake:${options.nodeId}`;
  }

  /** The stream a room's events (or, for `""`, private messages) go into. */
  streamKey(room: string): string {
    return room === "" ? `${this.#prefix}${DIRECT}` : `${this.#prefix}room:${room}`;
  }

  /**
   * Starts reading the private messages and the given rooms, from their
   * current ends.
   *
   * @param rooms Rooms to follow from the start.
   */
  async start(rooms: readonly string[] = []): Promise<void> {
    await this.#wake(); // so the wake stream exists and has a last id
    this.#positions.set(this.#wakeKey, await this.#lastId(this.#wakeKey));
    await Promise.all(["", ...rooms].map((room) => this.follow(room)));
    this.#reading ??= this.#readLoop();
  }

  /**
   * Starts reading a room's stream from its current end (nothing before
   * now is delivered; the history is read separately).
   *
   * @param room The room.
   * @returns Once the room is read; events published after that are delivered.
   */
  follow(room: string): Promise<void> {
    const key = this.streamKey(room);
    if (this.#positions.has(key)) return Promise.resolve();
    let following = this.#following.get(key);
    if (following === undefined) {
      following = this.#lastId(key).then(async (id) => {
        this.#positions.set(key, id);
        await this.#wake();
      }).finally(() => this.#following.delete(key));
      this.#following.set(key, following);
    }
    return following;
  }

  publish(draft: EventDraft): void {
    const fields: Record<string, string> = {
      kind: draft.kind,
      from: draft.from,
      to: draft.to,
      text: draft.text,
    };
    const maxLength = this.#options.maxLength ?? 0;
    const adding = maxLength > 0
      ? this.#publisher.xAdd(this.streamKey(draft.room), "*", fields, trim(maxLength))
      : this.#publisher.xAdd(this.streamKey(draft.room), "*", fields);
    withTimeout(adding, this.#options.commandTimeoutMs).catch((error) =>
      this.#options.onPublishError(draft, error)
    );
  }

  subscribe(listener: EventListener): void {
    this.#listeners.push(listener);
  }

  /** Stops reading; the blocked read ends within `blockMs`. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#wake().catch(() => {});
    await this.#reading;
  }

  async #readLoop(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      const streams = [...this.#positions].map(([key, id]) => ({ key, id }));
      let result: unknown;
      try {
        result = await this.#reader.xRead(streams, {
          BLOCK: this.#options.blockMs ?? 5000,
          COUNT: READ_COUNT,
        });
        failures = 0;
      } catch (error) {
        if (this.#closed) return;
        this.#options.onReadError?.(error);
        const wait = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]!;
        await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random() / 2)));
        continue;
      }
      for (const { name, messages } of (result ?? []) as StreamEntries[]) {
        for (const { id, message } of messages) {
          this.#positions.set(name, id);
          if (name !== this.#wakeKey) this.#deliver(name, id, message);
        }
      }
    }
  }

  #deliver(key: string, streamId: string, fields: Record<string, string>): void {
    const room = key === `${this.#prefix}${DIRECT}` ? "" : key.slice(`${this.#prefix}room:`.length);
    const event: ChatEvent = {
      // Unique across streams: the same stream id can be in two rooms.
      id: `${streamId}${room === "" ? "@" : room}`,
      time: Number(streamId.slice(0, streamId.indexOf("-"))),
      room,
      kind: fields.kind as EventKind,
      from: fields.from ?? "",
      to: fields.to ?? "",
      text: fields.text ?? "",
    };
    for (const listener of this.#listeners) listener(event);
  }

  /** The id of a stream's last entry, or `0-0` when it has none. */
  async #lastId(key: string): Promise<string> {
    const last = await withTimeout(
      this.#publisher.xRevRange(key, "+", "-", { COUNT: 1 }),
      this.#options.commandTimeoutMs,
    );
    return last[0]?.id ?? "0-0";
  }

  /** Ends the blocked read at once, so the next one reads the streams as they are now. */
  async #wake(): Promise<void> {
    await withTimeout(
      this.#publisher.xAdd(this.#wakeKey, "*", { wake: "1" }, trim(WAKE_MAX_LENGTH)),
      this.#options.commandTimeoutMs,
    );
  }
}

/** XADD's option that keeps a stream at about `threshold` entries. */
function trim(threshold: number) {
  return { TRIM: { strategy: "MAXLEN", strategyModifier: "~", threshold } } as const;
}

/** The promise, or a rejection after `ms` milliseconds. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
