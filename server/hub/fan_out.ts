/**
 * Fan-out: gives every published event its place in one global order and
 * hands it to every subscriber in that order. In one process that is a
 * synchronous loop: JavaScript runs one task at a time, so no delivery can
 * overtake another. A cluster implements the same interface over a shared
 * log (a Redis stream), where each node delivers what it reads back.
 *
 * @module
 */

import type { ChatEvent, EventDraft } from "../../protocol/events.ts";

/** Receives each event, in order. */
export type EventListener = (event: ChatEvent) => void;

/** Orders and distributes events; in-memory by default. */
export interface FanOut {
  /** Gives the event its id and time and delivers it to every subscriber. */
  publish(draft: EventDraft): void;
  /** Adds a subscriber; it receives every event published from now on. */
  subscribe(listener: EventListener): void;
}

/** A {@linkcode FanOut} within this process. */
export class MemoryFanOut implements FanOut {
  readonly #listeners: EventListener[] = [];
  readonly #clock: () => number;
  /** Ids stay unique across restarts, whose events share one history. */
  readonly #idPrefix: string;
  #lastId = 0;

  /**
   * Creates a fan-out.
   *
   * @param clock Stamps events, in milliseconds since the epoch.
   */
  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
    this.#idPrefix = `${Date.now().toString(36)}-`;
  }

  publish(draft: EventDraft): void {
    if (draft.silent) return; // only other nodes need those, and there are none
    const { room, kind, from, to, text } = draft;
    const event: ChatEvent = {
      id: this.#idPrefix + ++this.#lastId,
      time: this.#clock(),
      room,
      kind,
      from,
      to,
      text,
    };
    for (const listener of this.#listeners) listener(event);
  }

  subscribe(listener: EventListener): void {
    this.#listeners.push(listener);
  }
}
