/**
 * What the server does for each command of a logged-in user: one handler
 * per command kind, so the compiler checks that every command has one.
 * Handlers publish events to the hub or reply to the user; the wire formats
 * are the codec's business.
 *
 * @module
 */

import { type Command, COMMANDS, commandUsage } from "../protocol/commands.ts";
import { type ProtocolError, ServerError } from "../protocol/errors.ts";
import type { EventDraft, Reply } from "../protocol/events.ts";
import { nameProblem } from "../protocol/username.ts";
import type { Hub, HubUser } from "./hub/hub.ts";
import type { Logger } from "./log.ts";

/** The user a command came from, as the handlers need it. */
export interface CommandUser {
  /** The user's current name. */
  readonly name: string;
  /** The connection's id, for logs. */
  readonly connectionId: number;
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
}

/** What every handler may use; one object for the whole server. */
export interface HandlerContext {
  /** Names, rooms, history and fan-out. */
  readonly hub: Hub<HubUser>;
  /** The room public lines go to. */
  readonly room: string;
  /** The event log. */
  readonly log: Logger;
  /** Whether chat text goes into the log. */
  readonly logMessages: boolean;
  /**
   * The most bytes one reply may take, well under the outbox's cap, so no
   * reply the server generates can drop its asker as a slow reader.
   */
  readonly maxReplyBytes: number;
}

/** The most names one `WHO` reply lists; its count is always the whole room's. */
export const WHO_MAX_NAMES = 1000;

/**
 * How many of the names surely fit in a reply of `maxBytes`: a UTF-16 unit
 * is at most 3 bytes of UTF-8, plus room for any codec's quoting.
 */
function namesWithin(names: readonly string[], maxBytes: number): number {
  let bytes = 64;
  for (let count = 0; count < names.length; count++) {
    bytes += names[count]!.length * 3 + 4;
    if (bytes > maxBytes) return count;
  }
  return names.length;
}

type Handlers = {
  readonly [K in Command["kind"]]: (
    command: Extract<Command, { kind: K }>,
    user: CommandUser,
    context: HandlerContext,
  ) => void;
};

const HANDLERS: Handlers = {
  message: ({ text }, user, context) => sayInPublic(user, context, "message", text),
  me: ({ text }, user, context) => sayInPublic(user, context, "action", text),
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
  who: (_, user, { hub, room, maxReplyBytes }) => {
    const names = hub.rooms.names(room, WHO_MAX_NAMES);
    user.reply({
      kind: "who",
      count: hub.rooms.size(room),
      names: names.slice(0, namesWithin(names, maxReplyBytes)),
    });
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

function sayInPublic(
  user: CommandUser,
  context: HandlerContext,
  kind: EventDraft["kind"],
  text: string,
): void {
  const { hub, room, log, logMessages } = context;
  hub.publish({ room, kind, from: user.name, to: "", text });
  if (logMessages) log.event("message", { conn: user.connectionId, name: user.name, text });
}
