/**
 * Every line the server sends, and how it is encoded.
 *
 * A chat line starts with `[`; an action line with `* `; every other server
 * line starts with an upper-case keyword. So nothing can be mistaken for a
 * live chat line, and the original Go client, which prints whatever arrives,
 * shows every line as readable text. PROTOCOL.md holds the grammar; tests pin each format.
 *
 * @module
 */

import type { ProtocolError } from "./errors.ts";

/** What the server announces; the code after `NOTICE`. */
export const NoticeCode = {
  /** After login: server, version, users online, how to get help. */
  Welcome: "welcome",
  /** Another user logged in. */
  Join: "join",
  /** Another user left with QUIT. */
  Quit: "quit",
  /** Another user's connection ended without QUIT. */
  Disconnect: "disconnect",
  /** A user changed their name (sent to everyone, the renamed user too). */
  Nick: "nick",
  /** One line of the HELP list. */
  Help: "help",
  /** The server is going down; the connection closes next. */
  Shutdown: "shutdown",
  /** You joined a room: its size and topic. */
  Joined: "joined",
  /** Another user left a room with PART. */
  Part: "part",
  /** You left a room. */
  Parted: "parted",
  /** A room is your current room now. */
  Current: "current",
  /** A member changed a room's topic. */
  Topic: "topic",
  /** The name is registered: send `PASS` and its password. */
  Password: "password",
  /** Your name is registered now. */
  Registered: "registered",
  /** Your password changed. */
  PasswordChanged: "password-changed",
  /** Your name is not registered any more. */
  Unregistered: "unregistered",
  /** An operator removed a user from a room. */
  Kick: "kick",
  /** What your moderation command did. */
  Moderation: "moderation",
  /** The end of a page of older lines. */
  HistoryEnd: "history-end",
} as const;

/** One of {@linkcode NoticeCode}'s values. */
export type NoticeCode = typeof NoticeCode[keyof typeof NoticeCode];

const encoder = new TextEncoder();

/**
 * Encodes one line for the wire, adding its LF.
 *
 * @param line A line without LF.
 * @returns Its UTF-8 bytes, LF-terminated.
 */
export function encodeLine(line: string): Uint8Array {
  return encoder.encode(line + "\n");
}

/**
 * The chat line everyone but the sender receives: the original server's
 * format, byte for byte.
 *
 * @param name The sender.
 * @param text The message, sanitised.
 * @returns `[name]: text`
 */
export function chatLine(name: string, text: string): string {
  return `[${name}]: ${text}`;
}

/**
 * An error reply.
 *
 * @param error What went wrong: a code for programs, a text for people.
 * @returns `ERROR code: text`
 */
export function errorLine(error: ProtocolError): string {
  return `ERROR ${error.code}: ${error.text}`;
}

/**
 * A server notice.
 *
 * @param code What happened, for programs.
 * @param text What happened, for people.
 * @returns `NOTICE code: text`
 */
export function noticeLine(code: NoticeCode, text: string): string {
  return `NOTICE ${code}: ${text}`;
}

/**
 * An action from `ME`: `* alice waves`.
 *
 * @param name Who acts.
 * @param text The action.
 * @returns `* name text`
 */
export function actionLine(name: string, text: string): string {
  return `* ${name} ${text}`;
}

/**
 * A private message, as its recipient sees it.
 *
 * @param from The sender.
 * @param text The message.
 * @returns `PRIVATE [from]: text`
 */
export function privateLine(from: string, text: string): string {
  return `PRIVATE [${from}]: ${text}`;
}

/**
 * The sender's confirmation that a private message was delivered.
 *
 * @param to The recipient.
 * @param text The message.
 * @returns `SENT [to]: text`
 */
export function sentLine(to: string, text: string): string {
  return `SENT [${to}]: ${text}`;
}

/**
 * The reply to `WHO`.
 *
 * @param names The users online, or the first of them.
 * @param count How many are online; the number of names by default.
 * @returns `WHO count: name name …`
 */
export function whoLine(names: readonly string[], count = names.length): string {
  return `WHO ${count}: ${names.join(" ")}`;
}

/**
 * A room's topic, as `TOPIC` shows it.
 *
 * @param topic The topic; empty when there is none.
 * @returns `TOPIC: topic`
 */
export function topicLine(topic: string): string {
  return `TOPIC: ${topic}`;
}

/**
 * One room in the reply to `LIST`.
 *
 * @param room The room.
 * @param users How many are in it.
 * @param topic Its topic; may be empty.
 * @returns `LIST #room users: topic`
 */
export function listLine(room: string, users: number, topic: string): string {
  return `LIST ${room} ${users}: ${topic}`;
}

/**
 * The last line of the reply to `LIST`.
 *
 * @param rooms How many rooms were listed.
 * @returns `LIST END: N rooms`
 */
export function listEndLine(rooms: number): string {
  return `LIST END: ${rooms} ${rooms === 1 ? "room" : "rooms"}`;
}

/**
 * A line about a room other than the default one: the room, a space, the line.
 *
 * @param room The room, such as `#rust`.
 * @param line Any room line.
 * @returns `#rust line`
 */
export function roomLine(room: string, line: string): string {
  return `${room} ${line}`;
}

/**
 * The reply to `PING [token]`.
 *
 * @param token The token to echo; may be empty.
 * @returns `PONG` or `PONG token`
 */
export function pongLine(token: string): string {
  return token === "" ? "PONG" : `PONG ${token}`;
}

/**
 * A public line replayed to a user who just joined.
 *
 * @param time When the server accepted it.
 * @param line The chat or action line as it was sent live.
 * @returns `HISTORY time line`, the time in UTC to the second, ISO 8601.
 */
export function historyLine(time: Date, line: string): string {
  return `HISTORY ${time.toISOString().slice(0, 19)}Z ${line}`;
}
