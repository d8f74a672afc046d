/**
 * The hub: the four parts every front-end shares (names, rooms, history,
 * fan-out) and the one path an event takes through them. A handler
 * publishes an event; the fan-out orders it; the hub remembers it if it is
 * public chat and hands it, encoded once per codec, to every local
 * recipient. ARCHITECTURE.md draws the path.
 *
 * @module
 */

import { type ChatEvent, ECHOED, EncodedEvent, type EventDraft } from "../../protocol/events.ts";
import { type FanOut, MemoryFanOut } from "./fan_out.ts";
import { type HistoryStore, MemoryHistoryStore } from "./history_store.ts";
import { MemoryNameDirectory, type NameDirectory, type NameHolder } from "./name_directory.ts";
import { MemoryRooms, type Rooms } from "./rooms.ts";

/** A logged-in user, as the hub needs to know it. */
export interface HubUser extends NameHolder {
  /**
   * Queues an event for this user; never blocks.
   *
   * @param event The event, with its encodings shared among recipients.
   * @param toSender Whether this user is the one the event is from.
   */
  deliver(event: EncodedEvent, toSender: boolean): void;
}

/** The hub's parts; each defaults to its in-memory implementation. */
export interface HubParts<U extends HubUser> {
  /** Who holds which name. */
  directory?: NameDirectory<U>;
  /** Who is in which room. */
  rooms?: Rooms<U>;
  /** Recent public events per room. */
  history?: HistoryStore;
  /** One order for all events. */
  fanOut?: FanOut;
}

/** Events worth replaying to latecomers: what people said, not who came and went. */
const REMEMBERED = new Set<ChatEvent["kind"]>(["message", "action"]);

/** Names, rooms, history and fan-out, wired together. */
export class Hub<U extends HubUser> {
  /** Who holds which name. */
  readonly directory: NameDirectory<U>;
  /** Who is in which room. */
  readonly rooms: Rooms<U>;
  /** Recent public events per room. */
  readonly history: HistoryStore;
  readonly #fanOut: FanOut;

  /**
   * Wires the parts together.
   *
   * @param parts Any part not given is the in-memory one (history: none kept).
   */
  constructor(parts: HubParts<U> = {}) {
    this.directory = parts.directory ?? new MemoryNameDirectory();
    this.rooms = parts.rooms ?? new MemoryRooms();
    this.history = parts.history ?? new MemoryHistoryStore(0);
    this.#fanOut = parts.fanOut ?? new MemoryFanOut();
    this.#fanOut.subscribe((event) => this.#deliver(event));
  }

  /**
   * Publishes an event to everyone it concerns, in the one global order.
   *
   * @param draft The event without its id and time.
   */
  publish(draft: EventDraft): void {
    this.#fanOut.publish(draft);
  }

  #deliver(event: ChatEvent): void {
    const encoded = new EncodedEvent(event);
    if (event.room === "") {
      // A private message: its recipient, and its sender as confirmation.
      this.directory.holder(event.to)?.deliver(encoded, false);
      this.directory.holder(event.from)?.deliver(encoded, true);
      return;
    }
    if (REMEMBERED.has(event.kind)) this.history.append(event);
    const skip = ECHOED[event.kind] ? undefined : this.directory.holder(event.from);
    for (const member of this.rooms.members(event.room)) {
      if (member !== skip) member.deliver(encoded, false);
    }
  }
}
