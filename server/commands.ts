/**
 * What the server does for each command of a logged-in user. The wire
 * formats come from `protocol/`; this module only decides who gets what.
 *
 * @module
 */

import { type Command, COMMAND_HELP } from "../protocol/commands.ts";
import {
  actionLine,
  chatLine,
  encodeLine,
  ErrorCode,
  errorLine,
  NoticeCode,
  noticeLine,
  pongLine,
  privateLine,
  sentLine,
  whoLine,
} from "../protocol/replies.ts";
import { nameProblem } from "../protocol/username.ts";
import type { Session } from "./session.ts";

/**
 * Carries out one command for a user.
 *
 * @param session The user who sent it.
 * @param command The parsed line.
 */
export function runCommand(session: Session, command: Command): void {
  switch (command.kind) {
    case "message":
      return sayInPublic(session, chatLine(session.name, command.text), command.text);
    case "me":
      return sayInPublic(session, actionLine(session.name, command.text), command.text);
    case "msg":
      return sayInPrivate(session, command.target, command.text);
    case "nick":
      return changeName(session, command.name);
    case "who":
      return session.reply(whoLine(session.context.room.names()));
    case "ping":
      return session.reply(pongLine(command.token));
    case "help":
      for (const { usage, summary } of COMMAND_HELP) {
        session.reply(noticeLine(NoticeCode.Help, `${usage.padEnd(14)} ${summary}`));
      }
      return;
    case "quit":
      return session.quit(command.reason);
    case "usage":
      return session.reply(errorLine(ErrorCode.Usage, `Usage: ${command.usage}`));
    case "unknown": {
      const word = command.word || "(line starts with a space)";
      return session.reply(
        errorLine(ErrorCode.UnknownCommand, `Unknown command ${word}; type HELP for the list`),
      );
    }
    case "nothing":
      return;
  }
}

/** Sends a public line to everyone else, encoded once, and remembers it. */
function sayInPublic(session: Session, line: string, text: string): void {
  const { room, history, log, logMessages } = session.context;
  history.add(line, new Date());
  room.broadcast(encodeLine(line), session);
  if (logMessages) log.event("message", { conn: session.connectionId, name: session.name, text });
}

function sayInPrivate(session: Session, target: string, text: string): void {
  const recipient = session.context.room.holder(target);
  if (recipient === undefined) {
    return session.reply(errorLine(ErrorCode.NoSuchUser, `Nobody called ${target} is online`));
  }
  recipient.reply(privateLine(session.name, text));
  session.reply(sentLine(recipient.name, text));
}

function changeName(session: Session, newName: string): void {
  const problem = nameProblem(newName);
  if (problem !== undefined) return session.reply(errorLine(ErrorCode.NameInvalid, problem));
  const holder = session.context.room.holder(newName);
  if (holder !== undefined && holder !== session) {
    return session.reply(errorLine(ErrorCode.NameTaken, `The name ${newName} is in use`));
  }
  if (newName === session.name) return; // nothing changes, nothing to announce
  session.rename(newName); // may differ from the old name only in case
}
