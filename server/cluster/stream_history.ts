/**
 * A cluster's history: each room's capped stream, which the append script
 * of {@linkcode StreamFanOut} writes under the event's own id, so history
 * and live events never disagree about ids or order, whichever node asks.
 *
 * @module
 */

import type { ChatEvent, EventKind } from "../../protocol/events.ts";
import type { HistoryStore } from "../hub/history_store.ts";

/** What the store needs of a Redis client; node-redis 5's client has it. */
export interface HistoryClient {
  xRevRange(
    key: string,
    end: string,
    start: string,
    options: { COUNT: number },
  ): Promise<{ id: string; message: Record<string, string> }[]>;
}

/** A {@linkcode HistoryStore} over Redis Streams. */
export class StreamHistoryStore implements HistoryStore {
  readonly #client: HistoryClient;
  readonly #keyOf: (room: string) => string;

  /**
   * Creates the store.
   *
   * @param client A connected client.
   * @param keyOf A room's history stream, as the fan-out names it.
   */
  constructor(client: HistoryClient, keyOf: (room: string) => string) {
    this.#client = client;
    this.#keyOf = keyOf;
  }

  /** The append script wrote it already, with the event. */
  append(_event: ChatEvent): void {}

  recent(room: string, limit: number): Promise<readonly ChatEvent[]> {
    return this.#read(room, "+", limit);
  }

  before(room: string, time: number, limit: number): Promise<readonly ChatEvent[]> {
    // Ids are `milliseconds-sequence`: a bare time ends the range at its last entry.
    return time <= 0 ? Promise.resolve([]) : this.#read(room, String(time - 1), limit);
  }

  async #read(room: string, end: string, limit: number): Promise<readonly ChatEvent[]> {
    if (limit <= 0) return [];
    const entries = await this.#client.xRevRange(this.#keyOf(room), end, "-", { COUNT: limit });
    return entries.reverse().map(({ id, message }) => ({
      id,
      time: Number(id.slice(0, id.indexOf("-"))),
      room,
      kind: message.kind as EventKind,
      from: message.from ?? "",
      to: "",
      text: message.text ?? "",
    }));
  }
}
