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
  NoticeCode,
  noticeLine,
  pongLine,
  privateLine,
  sentLine,
  whoLine,
} from "./replies.ts";

/** Width of the usage column in `HELP` lines. */
const HELP_USAGE_WIDTH = 14;

/**
 * The line an event becomes.
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
    case "quit":
      return noticeLine(NoticeCode.Quit, text === "" ? `${from} left` : `${from} left (${text})`);
    case "disconnect":
      return noticeLine(NoticeCode.Disconnect, `${from} was disconnected (${text})`);
    case "nick":
      return noticeLine(NoticeCode.Nick, `${from} is now ${to}`);
  }
}

/**
 * The line a reply becomes.
 *
 * @param reply The reply.
 * @returns The line, without its LF.
 */
export function replyLine(reply: Reply): string {
  switch (reply.kind) {
    case "welcome": {
      const users = reply.users === 1 ? "1 user" : `${reply.users} users`;
      return noticeLine(
        NoticeCode.Welcome,
        `Welcome to ${reply.server}, ${reply.name}! ${users} online. Type HELP for commands.`,
      );
    }
    case "history":
      return historyLine(new Date(reply.event.time), eventLine(reply.event, false));
    case "who":
      return whoLine(reply.names, reply.count);
    case "pong":
      return pongLine(reply.token);
    case "help":
      return noticeLine(
        NoticeCode.Help,
        `${reply.usage.padEnd(HELP_USAGE_WIDTH)} ${reply.summary}`,
      );
    case "shutdown":
      return noticeLine(NoticeCode.Shutdown, "The server is shutting down");
    case "error":
      return errorLine(reply.error);
  }
}

/** Events and replies as LF-terminated UTF-8 lines. */
export const lineCodec: Codec = {
  event: (event, toSender) => encodeLine(eventLine(event, toSender)),
  reply: (reply) => encodeLine(replyLine(reply)),
};
