/**
 * What happens in a chat, as data: every user-visible thing that happens is
 * a {@linkcode ChatEvent}, published once to the hub and delivered to
 * everyone concerned; what the server says to one user alone (a WHO list, an
 * error, the welcome) is a {@linkcode Reply}. A front-end's
 * {@linkcode Codec} turns both into its own bytes at the edge: lines for
 * TCP today, JSON for the web page later.
 *
 * @module
 */

import type { ProtocolError } from "./errors.ts";

/** The kinds of event, each with the fields it uses. */
export type EventKind =
  /** `from` said `text` in `room`. */
  | "message"
  /** `from` acted (`ME`): `text` is the action. */
  | "action"
  /** `from` sent `text` to `to` alone; `room` is empty. */
  | "private"
  /** `from` arrived in `room`. */
  | "join"
  /** `from` left `room` with PART; `text` is the reason, possibly empty. */
  | "part"
  /** `from` set `room`'s topic to `text` (empty: cleared it). */
  | "topic"
  /** `from`, an operator, removed `to` from `room`; `text` is the reason. */
  | "kick"
  /** `from` left with QUIT; `text` is the reason, possibly empty. */
  | "quit"
  /** `from`'s connection ended without QUIT; `text` says why. */
  | "disconnect"
  /** `from` is now called `to`. */
  | "nick";

/** One thing that happened, as every front-end and store sees it. */
export interface ChatEvent {
  /**
   * Unique and assigned in delivery order by the fan-out; a client that
   * reconnects uses it to skip what it already has.
   */
  readonly id: string;
  /** When the server accepted it, in milliseconds since the epoch. */
  readonly time: number;
  /** Where it happened, such as `#lobby`; empty for a private message. */
  readonly room: string;
  /** What happened. */
  readonly kind: EventKind;
  /** Who did it, by the name they had then. */
  readonly from: string;
  /** The recipient of a private message, or the new name after `nick`; else empty. */
  readonly to: string;
  /** The message, action, reason or cause; may be empty. */
  readonly text: string;
}

/**
 * An event before the fan-out gives it its place in the order. A silent
 * one (a throttled presence notice, in a cluster) is shown to nobody but
 * still tells the other nodes who is where.
 */
export type EventDraft = Omit<ChatEvent, "id" | "time"> & { readonly silent?: boolean };

/**
 * Whether the user an event is from receives it too. Chat and actions are
 * never echoed (the seed protocol); presence is about someone who is not
 * there to see it; a private message comes back to its sender as the
 * confirmation; a rename is news to the renamed user as well.
 */
export const ECHOED: Readonly<Record<EventKind, boolean>> = {
  message: false,
  action: false,
  private: true,
  join: false,
  part: false,
  topic: true,
  kick: true,
  quit: false,
  disconnect: false,
  nick: true,
};

/** What the server says to one user, in answer or unasked. */
export type Reply =
  /** The first line after a successful login. */
  | {
    readonly kind: "welcome";
    readonly server: string;
    readonly name: string;
    readonly users: number;
  }
  /** A public event from before the user arrived. */
  | { readonly kind: "history"; readonly event: ChatEvent }
  /** How many users are in a room, and the first of their names, sorted. */
  | {
    readonly kind: "who";
    readonly room: string;
    readonly count: number;
    readonly names: readonly string[];
  }
  /** You joined a room. */
  | {
    readonly kind: "joined";
    readonly room: string;
    readonly users: number;
    readonly topic: string;
  }
  /** You left a room. */
  | { readonly kind: "parted"; readonly room: string }
  /** A room is your current room now. */
  | { readonly kind: "current"; readonly room: string }
  /** A room's topic, as `TOPIC` shows it. */
  | { readonly kind: "topic"; readonly room: string; readonly topic: string }
  /** The rooms, sorted by name. */
  | {
    readonly kind: "list";
    readonly rooms: readonly {
      readonly room: string;
      readonly users: number;
      readonly topic: string;
    }[];
  }
  /** The answer to PING. */
  | { readonly kind: "pong"; readonly token: string }
  /** One command in the HELP list. */
  | { readonly kind: "help"; readonly usage: string; readonly summary: string }
  /** The server is going down; the connection closes next. */
  | { readonly kind: "shutdown" }
  /** The end of a page of `HISTORY`, and whether older lines are left. */
  | {
    readonly kind: "history-end";
    readonly room: string;
    readonly count: number;
    /** The time to ask before for the next page; `undefined` when there is none. */
    readonly next: number | undefined;
  }
  /** What a moderation command did, for the operator. */
  | { readonly kind: "moderation"; readonly text: string }
  /** The bans in force, for `BANS`. */
  | {
    readonly kind: "bans";
    readonly bans: readonly {
      readonly target: string;
      readonly until: number | undefined;
      readonly by: string;
      readonly reason: string;
    }[];
  }
  /** Something about the user's own account. */
  | {
    readonly kind: "account";
    readonly notice: "password" | "registered" | "password-changed" | "unregistered";
    readonly name: string;
  }
  /** Something was refused. */
  | { readonly kind: "error"; readonly error: ProtocolError };

/** Turns events and replies into one front-end's bytes. */
export interface Codec {
  /**
   * Encodes an event for one recipient.
   *
   * @param event The event.
   * @param toSender Whether the recipient is the user the event is from
   * (only a private message reads differently then).
   * @returns The bytes; the caller may share them with every other recipient.
   */
  event(event: ChatEvent, toSender: boolean): Uint8Array;
  /**
   * Encodes a reply to one user.
   *
   * @param reply The reply.
   * @returns The bytes.
   */
  reply(reply: Reply): Uint8Array;
}

/** History lines already encoded, per codec and event. */
const historyLines = new WeakMap<Codec, WeakMap<ChatEvent, Uint8Array>>();

/**
 * An event as a history reply, encoded once per codec however many users
 * are shown it: every login replays the same recent events.
 *
 * @param codec The recipient's codec.
 * @param event A remembered event; the cache lives as long as it does.
 * @returns The bytes, shared; never change them.
 */
export function encodeHistory(codec: Codec, event: ChatEvent): Uint8Array {
  let lines = historyLines.get(codec);
  if (lines === undefined) {
    lines = new WeakMap();
    historyLines.set(codec, lines);
  }
  let bytes = lines.get(event);
  if (bytes === undefined) {
    bytes = codec.reply({ kind: "history", event });
    lines.set(event, bytes);
  }
  return bytes;
}

/**
 * An event on its way to many recipients: encodes it once per codec and
 * perspective, however many recipients share them, because encoding per
 * recipient would cost as much as everything else in a broadcast.
 */
export class EncodedEvent {
  /** The event being delivered. */
  readonly event: ChatEvent;
  #codec: Codec | undefined;
  #bytes: Uint8Array | undefined;
  #others: Map<Codec, Uint8Array> | undefined;

  /**
   * Wraps an event for delivery.
   *
   * @param event The event.
   */
  constructor(event: ChatEvent) {
    this.event = event;
  }

  /**
   * The event's bytes in one codec, as a recipient other than the sender
   * sees them.
   *
   * @param codec The recipient's codec.
   * @returns Bytes shared by every recipient with that codec.
   */
  bytes(codec: Codec): Uint8Array {
    // Nearly every recipient shares one codec: one slot, then a map.
    if (codec === this.#codec) return this.#bytes!;
    if (this.#codec === undefined) {
      this.#codec = codec;
      this.#bytes = codec.event(this.event, false);
      return this.#bytes;
    }
    this.#others ??= new Map();
    let bytes = this.#others.get(codec);
    if (bytes === undefined) {
      bytes = codec.event(this.event, false);
      this.#others.set(codec, bytes);
    }
    return bytes;
  }
}
