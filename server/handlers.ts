/**
 * What the server does for each command of a logged-in user: one handler
 * per command kind, so the compiler checks that every command has one.
 * Handlers publish events to the hub or reply to the user; the wire formats
 * are the codec's business.
 *
 * @module
 */

import { type Command, COMMANDS, commandUsage, MAX_HISTORY_PAGE } from "../protocol/commands.ts";
import { type ProtocolError, ServerError } from "../protocol/errors.ts";
import type { ChatEvent, EventDraft, Reply } from "../protocol/events.ts";
import { parseDuration } from "../protocol/duration.ts";
import { utcTime } from "../protocol/line_codec.ts";
import { nameKey, nameProblem } from "../protocol/username.ts";
import type { AccountStore } from "./accounts/account_store.ts";
import { type Ban, banKind, type Bans } from "./moderation/bans.ts";
import type { Mute, Mutes } from "./moderation/mutes.ts";
import type { Hub, HubUser } from "./hub/hub.ts";
import type { Logger } from "./log.ts";

/** The user a command came from, as the handlers need it. */
export interface CommandUser {
  /** The user's current name. */
  readonly name: string;
  /** The connection's id, for logs. */
  readonly connectionId: number;
  /** The room `*text` goes to; `undefined` after parting every room. */
  readonly currentRoom: string | undefined;
  /** Queues a reply for this user. */
  reply(reply: Reply): void;
  /** Leaves at the user's request; `reason` is shown to the others. */
  quit(reason: string): void;
  /**
   * Takes a valid new name.
   *
   * @returns The error to report if someone else holds it.
   */
  rename(name: string): ProtocolError | undefined;
  /** The room a command names (as created), or the current one for an empty name. */
  roomFor(room: string): string | ProtocolError;
  /** Whether the user is in a room (by its name as created). */
  isIn(room: string): boolean;
  /** Joins a room, creating it; the error if it cannot. */
  join(room: string): ProtocolError | undefined;
  /** Leaves a room (by its name as created); the error if it cannot. */
  part(room: string, reason: string): ProtocolError | undefined;
  /** Makes a room the user is in current; the error if it cannot. */
  switchTo(room: string): ProtocolError | undefined;
  /** Registers the user's name with a password; replies when done. */
  register(password: string): void;
  /** Changes the password of the user's registered name; replies when done. */
  changePassword(old: string, password: string): void;
  /** Gives the user's registered name up; replies when done. */
  unregister(password: string): void;
  /** Whether the user is a server operator (named by `--operators`, and registered). */
  readonly isOperator: boolean;
  /** Removes another user from a room; the error if it cannot. */
  kick(room: string, target: string, reason: string): ProtocolError | undefined;
}

/** What every handler may use; one object for the whole server. */
export interface HandlerContext {
  /**
   * Names, rooms, history and fan-out: users who take commands, and in a
   * cluster proxies of other nodes' users, which do not.
   */
  readonly hub: Hub<HubUser & Partial<Pick<CommandUser, "reply">>>;
  /** The room every user starts in. */
  readonly defaultRoom: string;
  /** The event log. */
  readonly log: Logger;
  /** Whether chat text goes into the log. */
  readonly logMessages: boolean;
  /**
   * The most bytes one reply may take, well under the outbox's cap, so no
   * reply the server generates can drop its asker as a slow reader.
   */
  readonly maxReplyBytes: number;
  /** Registered names. */
  readonly accounts: AccountStore;
  /** The bans in force. */
  readonly bans: Bans;
  /** The mutes in force. */
  readonly mutes: Mutes;
  /** Disconnects whoever a new ban covers. */
  readonly enforceBan: (ban: Ban) => void;
  /** The clock for ban expiry, in milliseconds since the epoch. */
  readonly now: () => number;
}

/** The most names one `WHO` reply lists; its count is always the whole room's. */
export const WHO_MAX_NAMES = 1000;

/** The longest topic, in UTF-16 units. */
export const MAX_TOPIC_LENGTH = 300;

type Handlers = {
  readonly [K in Command["kind"]]: (
    command: Extract<Command, { kind: K }>,
    user: CommandUser,
    context: HandlerContext,
  ) => void;
};

const HANDLERS: Handlers = {
  message: ({ text }, user, context) => say(user, context, user.currentRoom, "message", text),
  me: ({ text }, user, context) => say(user, context, user.currentRoom, "action", text),
  say: ({ room, text }, user, context) => {
    const found = user.roomFor(room);
    if (typeof found !== "string") return error(user, found);
    say(user, context, found, "message", text);
  },
  msg: ({ target, text }, user, { hub }) => {
    const recipient = hub.directory.holder(target);
    if (recipient === undefined) return error(user, ServerError.noSuchUser(target));
    hub.publish({ room: "", kind: "private", from: user.name, to: recipient.name, text });
  },
  nick: ({ name }, user) => {
    const problem = nameProblem(name);
    const refusal = problem === undefined ? user.rename(name) : ServerError.nameInvalid(problem);
    if (refusal !== undefined) error(user, refusal);
  },
  join: ({ room }, user) => orError(user, user.join(room)),
  part: ({ room, reason }, user) => {
    const found = user.roomFor(room);
    if (typeof found !== "string") return error(user, found);
    orError(user, user.part(found, reason));
  },
  switch: ({ room }, user) => {
    const found = user.roomFor(room);
    if (typeof found !== "string") return error(user, ServerError.notInRoom(room));
    orError(user, user.switchTo(found));
  },
  list: (_, user, { hub, maxReplyBytes }) => {
    const rooms = hub.rooms.list();
    user.reply({ kind: "list", rooms: rooms.slice(0, fitting(rooms, maxReplyBytes, roomBytes)) });
  },
  topic: ({ room, text }, user, { hub, mutes }) => {
    const found = user.roomFor(room);
    if (typeof found !== "string") return error(user, found);
    if (text === "") {
      return user.reply({ kind: "topic", room: found, topic: hub.rooms.topic(found) });
    }
    if (!user.isIn(found)) return error(user, ServerError.notInRoom(found));
    const mute = mutes.forSpeaker(user.name, found);
    if (mute !== undefined) return error(user, mutedError(mute));
    // An owned room's topic is its operators' to set.
    if (
      hub.rooms.owner(found) !== "" && !hub.rooms.isOperator(found, user.name) && !user.isOperator
    ) {
      return error(user, ServerError.notRoomOperator("set the topic", found));
    }
    if (text.length > MAX_TOPIC_LENGTH) {
      return error(
        user,
        ServerError.usage(`TOPIC [#room] [text] (at most ${MAX_TOPIC_LENGTH} characters)`),
      );
    }
    const topic = text === "-" ? "" : text;
    hub.rooms.setTopic(found, topic);
    hub.publish({ room: found, kind: "topic", from: user.name, to: "", text: topic });
  },
  who: ({ room }, user, { hub, maxReplyBytes }) => {
    const found = user.roomFor(room);
    if (typeof found !== "string") return error(user, found);
    const names = hub.rooms.names(found, WHO_MAX_NAMES);
    user.reply({
      kind: "who",
      room: found,
      count: hub.rooms.size(found),
      names: names.slice(0, fitting(names, maxReplyBytes, (name) => name.length * 3 + 4)),
    });
  },
  register: ({ password }, user) => user.register(password),
  pass: (_, user) => error(user, ServerError.usage("PASS password, right after a registered name")),
  password: ({ old, password }, user) => user.changePassword(old, password),
  unregister: ({ password }, user) => user.unregister(password),
  kick: ({ room, target, reason }, user, { hub }) => {
    const found = user.roomFor(room);
    if (typeof found !== "string") return error(user, found);
    if (!user.isOperator && !hub.rooms.isOperator(found, user.name)) {
      return error(user, ServerError.notRoomOperator("KICK", found));
    }
    orError(user, user.kick(found, target, reason));
  },
  "register-room": ({ room }, user, { hub, accounts, log }) => {
    const found = hub.rooms.find(room);
    if (found === undefined) return error(user, ServerError.noSuchRoom(room));
    const owner = hub.rooms.owner(found);
    if (owner !== "") return error(user, ServerError.cannotOwn(found, `${owner} owns it`));
    if (accounts.find(user.name) === undefined) {
      return error(user, ServerError.cannotOwn(found, "register your name first"));
    }
    if (hub.rooms.creator(found) !== nameKey(user.name)) {
      return error(user, ServerError.cannotOwn(found, "you did not create it"));
    }
    hub.rooms.setOwner(found, user.name);
    log.event("room-owner", { room: found, name: user.name });
    user.reply({
      kind: "moderation",
      text: `${found} is yours: OP ${found} name makes someone its operator`,
    });
  },
  op: ({ room, target, operator }, user, { hub, log }) => {
    const found = hub.rooms.find(room);
    if (found === undefined) return error(user, ServerError.noSuchRoom(room));
    const owner = hub.rooms.owner(found);
    const isOwner = owner !== "" && nameKey(owner) === nameKey(user.name);
    if (!isOwner && !user.isOperator) {
      return error(user, ServerError.notRoomOperator(operator ? "OP" : "DEOP", found));
    }
    if (nameProblem(target) !== undefined) return error(user, ServerError.usage("OP #room name"));
    hub.rooms.setOperator(found, target, operator);
    log.event(operator ? "room-op" : "room-deop", { by: user.name, room: found, target });
    user.reply({
      kind: "moderation",
      text: `${target} is ${operator ? "now" : "no longer"} an operator of ${found}`,
    });
  },
  ban: ({ target, duration, reason }, user, { bans, enforceBan, log, now }) => {
    if (!user.isOperator) return error(user, ServerError.notOperator("BAN"));
    const kind = banKind(target);
    if (kind === "name" && nameProblem(target) !== undefined) {
      return error(user, ServerError.usage("BAN name-or-address [duration] [reason]"));
    }
    const ms = duration === "" ? undefined : parseDuration(duration);
    if (duration !== "" && ms === undefined) {
      return error(user, ServerError.usage("BAN target [10m, 1h30m, 7d …] [reason]"));
    }
    const ban: Ban = { target, kind, until: ms && now() + ms, reason, by: user.name };
    bans.add(ban);
    log.event("ban", { by: user.name, target, until: ban.until, reason });
    const until = ban.until === undefined ? "for good" : `until ${utcTime(ban.until)}`;
    user.reply({ kind: "moderation", text: `${target} is banned ${until}` });
    enforceBan(ban);
  },
  unban: ({ target }, user, { bans, log }) => {
    if (!user.isOperator) return error(user, ServerError.notOperator("UNBAN"));
    const lifted = bans.remove(target);
    if (lifted) log.event("unban", { by: user.name, target });
    user.reply({
      kind: "moderation",
      text: lifted ? `${target} is not banned any more` : `${target} was not banned`,
    });
  },
  bans: (_, user, { bans }) => {
    if (!user.isOperator) return error(user, ServerError.notOperator("BANS"));
    user.reply({ kind: "bans", bans: bans.list() });
  },
  mute: ({ room, target, duration }, user, { hub, mutes, log, now }) => {
    const found = room === "" ? "" : hub.rooms.find(room);
    if (found === undefined) return error(user, ServerError.noSuchRoom(room));
    if (!user.isOperator && (found === "" || !hub.rooms.isOperator(found, user.name))) {
      return error(
        user,
        found === "" ? ServerError.notOperator("MUTE") : ServerError.notRoomOperator("MUTE", found),
      );
    }
    if (nameProblem(target) !== undefined) {
      return error(user, ServerError.usage("MUTE [#room] name [duration]"));
    }
    const ms = duration === "" ? undefined : parseDuration(duration);
    if (duration !== "" && ms === undefined) {
      return error(user, ServerError.usage("MUTE [#room] name [10m, 1h30m, 7d …]"));
    }
    const until = ms && now() + ms;
    mutes.add({ name: target, room: found, until, by: user.name });
    log.event("mute", { by: user.name, target, room: found || undefined, until });
    const text = `${target} is muted ${found === "" ? "everywhere" : `in ${found}`} ${
      until === undefined ? "for good" : `until ${utcTime(until)}`
    }`;
    user.reply({ kind: "moderation", text });
    const muted = hub.directory.holder(target);
    if (muted !== undefined && nameKey(muted.name) !== nameKey(user.name)) {
      muted.reply?.({ kind: "moderation", text: `${text}, by ${user.name}` });
    }
  },
  unmute: ({ room, target }, user, { hub, mutes, log }) => {
    const found = room === "" ? "" : hub.rooms.find(room) ?? room;
    if (!user.isOperator && (found === "" || !hub.rooms.isOperator(found, user.name))) {
      return error(
        user,
        found === ""
          ? ServerError.notOperator("UNMUTE")
          : ServerError.notRoomOperator("UNMUTE", found),
      );
    }
    const lifted = mutes.remove(target, found);
    if (lifted) log.event("unmute", { by: user.name, target, room: found || undefined });
    const where = found === "" ? "everywhere" : `in ${found}`;
    user.reply({
      kind: "moderation",
      text: lifted ? `${target} may speak ${where} again` : `${target} was not muted ${where}`,
    });
  },
  history: ({ room, count, before }, user, { hub, log, now }) => {
    const found = user.roomFor(room);
    if (typeof found !== "string") return error(user, found);
    const time = before === "" ? now() + 1 : Date.parse(before);
    hub.history.before(found, time, count + 1).then(async (first) => {
      let events = first;
      let page = wholeSeconds(events, count);
      if (page === undefined) {
        // The page is one second with more lines in it than asked for: send that
        // whole second (up to the most a page may hold), or the next page would skip
        // its first part.
        const crowded = await hub.history.before(found, time, MAX_HISTORY_PAGE + 1);
        page = wholeSeconds(crowded, MAX_HISTORY_PAGE) ?? crowded.slice(-MAX_HISTORY_PAGE);
        events = crowded;
      }
      for (const event of page) user.reply({ kind: "history", event });
      const more = events.length > page.length;
      user.reply({
        kind: "history-end",
        room: found,
        count: page.length,
        next: more && page.length > 0 ? page[0]!.time : undefined,
      });
    }).catch((error) =>
      log.event("history-error", { conn: user.connectionId, error: String(error) })
    );
  },
  ping: ({ token }, user) => user.reply({ kind: "pong", token }),
  help: (_, user) => {
    for (const spec of COMMANDS) {
      user.reply({ kind: "help", usage: commandUsage(spec), summary: spec.summary });
    }
  },
  quit: ({ reason }, user) => user.quit(reason),
  usage: ({ usage }, user) => error(user, ServerError.usage(usage)),
  unknown: ({ word }, user) => error(user, ServerError.unknownCommand(word)),
  nothing: () => {},
};

/**
 * Carries out one command.
 *
 * @param command The parsed line.
 * @param user Who sent it.
 * @param context What the handlers may use.
 */
export function runCommand(command: Command, user: CommandUser, context: HandlerContext): void {
  type Handler = (command: Command, user: CommandUser, context: HandlerContext) => void;
  (HANDLERS[command.kind] as Handler)(command, user, context);
}

function error(user: CommandUser, protocolError: ProtocolError): void {
  user.reply({ kind: "error", error: protocolError });
}

/**
 * The newest `count` of `events` (oldest first, one more than asked when
 * older ones exist), never splitting a second: the next page asks for what
 * is older than the oldest second shown, so a second cut in two would lose
 * its first part. `undefined` when the page would be all one second, cut.
 */
function wholeSeconds(
  events: readonly ChatEvent[],
  count: number,
): readonly ChatEvent[] | undefined {
  const page = events.slice(-count);
  if (events.length <= count) return page;
  const second = (event: ChatEvent) => Math.floor(event.time / 1000);
  const cut = second(page[0]!);
  if (second(events[events.length - count - 1]!) !== cut) return page;
  const whole = page.filter((event) => second(event) !== cut);
  return whole.length > 0 ? whole : undefined; // all one second, and more of it: no whole page
}

/** What a muted user is told when they try to speak. */
function mutedError(mute: Mute): ProtocolError {
  const where = mute.room === "" ? "everywhere" : `in ${mute.room}`;
  return ServerError.muted(where, mute.until === undefined ? "" : utcTime(mute.until));
}

function orError(user: CommandUser, protocolError: ProtocolError | undefined): void {
  if (protocolError !== undefined) error(user, protocolError);
}

/** How many of the items surely fit in a reply of `maxBytes`, by an upper bound on each. */
function fitting<T>(items: readonly T[], maxBytes: number, bytesOf: (item: T) => number): number {
  let bytes = 64;
  for (let count = 0; count < items.length; count++) {
    bytes += bytesOf(items[count]!);
    if (bytes > maxBytes) return count;
  }
  return items.length;
}

/** An upper bound on a LIST line's bytes: a UTF-16 unit is at most 3 bytes of UTF-8. */
function roomBytes(room: { room: string; topic: string }): number {
  return (room.room.length + room.topic.length) * 3 + 24;
}

function say(
  user: CommandUser,
  context: HandlerContext,
  room: string | undefined,
  kind: EventDraft["kind"],
  text: string,
): void {
  if (room === undefined) return error(user, ServerError.noCurrentRoom());
  if (!user.isIn(room)) return error(user, ServerError.notInRoom(room));
  const { hub, log, logMessages, mutes } = context;
  const mute = mutes.forSpeaker(user.name, room);
  if (mute !== undefined) return error(user, mutedError(mute));
  hub.publish({ room, kind, from: user.name, to: "", text });
  if (logMessages) log.event("message", { conn: user.connectionId, name: user.name, text, room });
}
