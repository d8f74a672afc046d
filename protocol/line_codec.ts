/**
 * The line protocol's {@linkcode Codec}: how events and replies read on a
 * TCP connection (nc, telnet, the terminal client). The formats themselves
 * are built by `replies.ts`; this module decides which one each event and
 * reply becomes, and writes the human text of every notice.
 *
 * @module
 */

import type { ChatEvent, Codec, Reply } from "./events.ts";
import {
  actionLine,
  chatLine,
  encodeLine,
  errorLine,
  historyLine,
  listEndLine,
  listLine,
  NoticeCode,
  noticeLine,
  pongLine,
  privateLine,
  roomLine,
  sentLine,
  topicLine,
  whoLine,
} from "./replies.ts";

/** The room users start in, when the server is not told otherwise. */
export const DEFAULT_ROOM = "#lobby";

/**
 * A time as the protocol writes it: UTC to the second, ISO 8601.
 *
 * @param time Milliseconds since the epoch.
 * @returns Such as `2026-12-02T08:00:00Z`.
 */
export function utcTime(time: number): string {
  return `${new Date(time).toISOString().slice(0, 19)}Z`;
}

/** What each account notice says. */
export const ACCOUNT_TEXTS = {
  "password": (name: string) => `${name} is registered: send PASS and its password`,
  "registered": (name: string) => `${name} is registered to you now; log in with its password`,
  "password-changed": (name: string) => `The password of ${name} changed`,
  "unregistered": (name: string) => `${name} is not registered any more`,
} as const;

/** Width of the usage column in `HELP` lines. */
const HELP_USAGE_WIDTH = 20;

/**
 * The line an event becomes, without its room: see {@linkcode LineCodec}
 * for where the room goes.
 *
 * @param event The event.
 * @param toSender Whether the recipient is the user it is from.
 * @returns The line, without its LF.
 *
 * @example
 * ```ts
 * import { eventLine } from "./line_codec.ts";
 * import assert from "node:assert/strict";
 *
 * const event = { id: "1", time: 0, room: "#lobby", kind: "message", from: "alice", to: "", text: "hi" } as const;
 * assert.equal(eventLine(event, false), "[alice]: hi");
 * ```
 */
export function eventLine(event: ChatEvent, toSender: boolean): string {
  const { from, to, text } = event;
  switch (event.kind) {
    case "message":
      return chatLine(from, text);
    case "action":
      return actionLine(from, text);
    case "private":
      return toSender ? sentLine(to, text) : privateLine(from, text);
    case "join":
      return noticeLine(NoticeCode.Join, `${from} joined`);
    case "part":
      return noticeLine(NoticeCode.Part, text === "" ? `${from} left` : `${from} left (${text})`);
    case "topic":
      return noticeLine(
        NoticeCode.Topic,
        text === "" ? `${from} cleared the topic` : `${from} set the topic: ${text}`,
      );
    case "quit":
      return noticeLine(NoticeCode.Quit, text === "" ? `${from} left` : `${from} left (${text})`);
    case "disconnect":
      return noticeLine(NoticeCode.Disconnect, `${from} was disconnected (${text})`);
    case "nick":
      return noticeLine(NoticeCode.Nick, `${from} is now ${to}`);
    case "kick":
      return noticeLine(
        NoticeCode.Kick,
        `${to} was kicked by ${from}${text === "" ? "" : ` (${text})`}`,
      );
  }
}

/**
 * The lines a reply becomes, without a room prefix.
 *
 * @param reply The reply.
 * @param inRoom Puts a line about a room other than the default one behind its room.
 * @returns The lines, each without its LF.
 */
function replyLines(reply: Reply, inRoom: (room: string, line: string) => string): string[] {
  switch (reply.kind) {
    case "welcome": {
      const users = reply.users === 1 ? "1 user" : `${reply.users} users`;
      return [noticeLine(
        NoticeCode.Welcome,
        `Welcome to ${reply.server}, ${reply.name}! ${users} online. Type HELP for commands.`,
      )];
    }
    case "history":
      return [inRoom(
        reply.event.room,
        historyLine(new Date(reply.event.time), eventLine(reply.event, false)),
      )];
    case "who":
      return [inRoom(reply.room, whoLine(reply.names, reply.count))];
    case "pong":
      return [pongLine(reply.token)];
    case "help":
      return [
        noticeLine(NoticeCode.Help, `${reply.usage.padEnd(HELP_USAGE_WIDTH)} ${reply.summary}`),
      ];
    case "shutdown":
      return [noticeLine(NoticeCode.Shutdown, "The server is shutting down")];
    case "history-end": {
      const lines = reply.count === 1 ? "1 line" : `${reply.count} lines`;
      const more = reply.next === undefined
        ? "nothing older"
        : `more before ${utcTime(reply.next)}`;
      return [inRoom(reply.room, noticeLine(NoticeCode.HistoryEnd, `${lines}; ${more}`))];
    }
    case "moderation":
      return [noticeLine(NoticeCode.Moderation, reply.text)];
    case "bans":
      return [
        ...reply.bans.map(({ target, until, by, reason }) =>
          `BAN ${target} ${until === undefined ? "forever" : utcTime(until)} ${by}: ${reason}`
        ),
        `BANS END: ${reply.bans.length} ${reply.bans.length === 1 ? "ban" : "bans"}`,
      ];
    case "account":
      return [noticeLine(reply.notice, ACCOUNT_TEXTS[reply.notice](reply.name))];
    case "error":
      return [errorLine(reply.error)];
    case "joined": {
      const users = reply.users === 1 ? "1 user" : `${reply.users} users`;
      const topic = reply.topic === "" ? "" : ` Topic: ${reply.topic}`;
      return [inRoom(
        reply.room,
        noticeLine(NoticeCode.Joined, `You joined ${reply.room}: ${users}.${topic}`),
      )];
    }
    case "parted":
      return [inRoom(reply.room, noticeLine(NoticeCode.Parted, `You left ${reply.room}`))];
    case "current":
      return [noticeLine(NoticeCode.Current, `${reply.room} is your current room`)];
    case "topic":
      return [inRoom(reply.room, topicLine(reply.topic))];
    case "list":
      return [
        ...reply.rooms.map(({ room, users, topic }) => listLine(room, users, topic)),
        listEndLine(reply.rooms.length),
      ];
  }
}

/**
 * The line protocol's codec for a server whose default room is `defaultRoom`:
 * lines about that room read exactly as the seed server's did, lines about
 * any other room start with the room and a space.
 */
export class LineCodec implements Codec {
  readonly #defaultRoom: string;
  readonly #inRoom = (room: string, line: string): string =>
    room === "" || room === this.#defaultRoom ? line : roomLine(room, line);

  /**
   * Creates the codec.
   *
   * @param defaultRoom The room whose lines carry no room.
   */
  constructor(defaultRoom: string = DEFAULT_ROOM) {
    this.#defaultRoom = defaultRoom;
  }

  event(event: ChatEvent, toSender: boolean): Uint8Array {
    return encodeLine(this.#inRoom(event.room, eventLine(event, toSender)));
  }

  reply(reply: Reply): Uint8Array {
    const lines = replyLines(reply, this.#inRoom);
    return encodeLine(lines.join("\n"));
  }
}

/** The line codec of a server whose default room is `#lobby`. */
export const lineCodec: Codec = new LineCodec();
