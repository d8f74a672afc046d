/**
 * The user behind a connection: logs in with the first line, joins the
 * room, turns each later line into a command, receives events from the hub,
 * and leaves once, telling the others why. The connection itself (reading,
 * flood control, timeouts, closing) is the {@linkcode Session}'s.
 *
 * @module
 */

import { commandCost, parseCommand } from "../protocol/commands.ts";
import { type ProtocolError, ServerError } from "../protocol/errors.ts";
import {
  type ChatEvent,
  type EncodedEvent,
  encodeHistory,
  type EventDraft,
  type Reply,
} from "../protocol/events.ts";
import type { Frame } from "../protocol/line_splitter.ts";
import { decodeSafeText } from "../protocol/text.ts";
import { NAME_RULE, nameKey, nameProblem } from "../protocol/username.ts";
import { type EndReason, endReasonInfo } from "./end_reasons.ts";
import { type CommandUser, type HandlerContext, runCommand } from "./handlers.ts";
import type { Hub, HubUser } from "./hub/hub.ts";
import type { Session, SessionHandler } from "./session.ts";
import type { TokenBucket } from "./token_bucket.ts";

/** What every user of a server shares; also what the command handlers use. */
export interface ChatUserOptions extends HandlerContext {
  /** Names, rooms, history and fan-out, with users of this kind. */
  readonly hub: Hub<ChatUser>;
  /** Named in the welcome, such as `nanochat 0.1.0`. */
  readonly serverName: string;
  /** How many recent public lines a user who logs in is shown. */
  readonly historyLines: number;
  /** Joins and departures are announced only while the room has at most this many users. */
  readonly presenceMaxUsers: number;
  /**
   * The most bytes of live events held back while a user's history goes
   * out; past it the user is dropped as a slow reader.
   */
  readonly maxHeldBytes: number;
  /**
   * Presence notices the room may still get now: a crowd that logs in and
   * out fast must not bury everyone in notices.
   */
  readonly presenceBudget: TokenBucket;
  /** History bytes logins may still be sent now, for the whole server. */
  readonly historyBudget: TokenBucket;
}

/** History goes out in chunks of about this size, each once the last was written. */
const REPLAY_CHUNK_BYTES = 8 * 1024;

/** A live event held back while the user's history is still on its way. */
interface HeldEvent {
  readonly id: string;
  readonly bytes: Uint8Array;
}

/** One user, from the name line to the departure. */
export class ChatUser implements HubUser, SessionHandler, CommandUser {
  readonly #session: Session;
  readonly #options: ChatUserOptions;
  #name: string | undefined;
  #present = false;
  #quitReason = "";
  /** Live events that arrived before the history was sent; undefined once it was. */
  #held: HeldEvent[] | undefined;
  #heldBytes = 0;

  /**
   * Creates the user for a session.
   *
   * @param session The connection the user speaks through.
   * @param options What all users share.
   */
  constructor(session: Session, options: ChatUserOptions) {
    this.#session = session;
    this.#options = options;
  }

  /** The user's name; empty until logged in. */
  get name(): string {
    return this.#name ?? "";
  }

  /** Whether the login succeeded. */
  get loggedIn(): boolean {
    return this.#name !== undefined;
  }

  /** The connection's id, for logs. */
  get connectionId(): number {
    return this.#session.id;
  }

  /** Handles one line from the client; see {@linkcode SessionHandler.line}. */
  line(frame: Frame): number {
    if (this.#name === undefined) {
      this.#login(frame);
      return 0;
    }
    if (frame.kind === "too-long") {
      this.reply({ kind: "error", error: ServerError.lineTooLong() });
      return 1;
    }
    const command = parseCommand(decodeSafeText(frame.bytes));
    runCommand(command, this, this.#options);
    return commandCost(command);
  }

  /** Queues an event for this user; see {@linkcode HubUser.deliver}. */
  deliver(encoded: EncodedEvent, toSender: boolean): void {
    const codec = this.#session.codec;
    const bytes = toSender ? codec.event(encoded.event, true) : encoded.bytes(codec);
    if (this.#held === undefined) return this.#session.send(bytes);
    // A user who does not take the history does not get to hold more than
    // the outbox would: past that, it is a slow reader like any other.
    this.#heldBytes += bytes.length;
    if (this.#heldBytes > this.#options.maxHeldBytes) this.#session.slowReader();
    else this.#held.push({ id: encoded.event.id, bytes });
  }

  /** Queues a reply for this user. */
  reply(reply: Reply): void {
    this.#session.reply(reply);
  }

  /** Leaves at the user's request. */
  quit(reason: string): void {
    this.#quitReason = reason;
    this.#session.end("quit");
  }

  /** Takes a new name, which the caller has checked is valid. */
  rename(newName: string): ProtocolError | undefined {
    const { hub, room, log } = this.#options;
    const oldName = this.name;
    if (newName === oldName) return undefined; // nothing changes, nothing to announce
    const holder = hub.directory.rename(oldName, newName, this);
    if (holder !== undefined) return takenError(newName, holder.name);
    hub.rooms.leave(room, this);
    this.#name = newName;
    hub.rooms.join(room, this);
    log.event("nick", { conn: this.#session.id, name: oldName, to: newName });
    hub.publish({ room, kind: "nick", from: oldName, to: newName, text: "" });
    return undefined;
  }

  /** Leaves the room once, telling the others why; see {@linkcode SessionHandler.ended}. */
  ended(reason: EndReason): void {
    if (!this.#present) return;
    this.#present = false;
    const { hub, room } = this.#options;
    const name = this.name;
    hub.rooms.leave(room, this);
    hub.directory.release(name, this);
    if (reason === "quit") {
      this.#announce({ room, kind: "quit", from: name, to: "", text: this.#quitReason });
      return;
    }
    const notice = endReasonInfo(reason).notice;
    if (notice !== undefined) {
      this.#announce({ room, kind: "disconnect", from: name, to: "", text: notice });
    }
  }

  #login(frame: Frame): void {
    if (frame.kind === "too-long") {
      const problem = `Name is too long: it must be ${NAME_RULE}`;
      return this.#session.end("name-invalid", ServerError.nameInvalid(problem));
    }
    const name = decodeSafeText(frame.bytes);
    const problem = nameProblem(name);
    if (problem !== undefined) {
      return this.#session.end("name-invalid", ServerError.nameInvalid(problem));
    }
    const { hub, room, log, serverName, historyLines } = this.#options;
    const holder = hub.directory.claim(name, this);
    if (holder !== undefined) return this.#session.end("name-taken", takenError(name, holder.name));
    this.#name = name;
    this.#present = true;
    this.#announce({ room, kind: "join", from: name, to: "", text: "" });
    hub.rooms.join(room, this);
    log.event("login", { conn: this.#session.id, name });
    this.reply({ kind: "welcome", server: serverName, name, users: hub.rooms.size(room) });
    if (historyLines > 0) void this.#sendHistory();
  }

  /**
   * Sends the room's recent lines, then whatever arrived live meanwhile:
   * the user is in the room already, so nothing said while the store
   * answers is lost, and what the history holds too is not sent twice.
   */
  async #sendHistory(): Promise<void> {
    const { hub, room, historyLines, log } = this.#options;
    this.#held = [];
    let events: readonly ChatEvent[] = [];
    try {
      events = await hub.history.recent(room, historyLines);
      if (this.#present) await this.#replay(events);
    } catch (error) {
      log.event("history-error", { conn: this.#session.id, error: String(error) });
    }
    const held = this.#held;
    this.#held = undefined;
    this.#heldBytes = 0;
    if (!this.#present) return;
    const seen = new Set(events.map((event) => event.id));
    for (const { id, bytes } of held) if (!seen.has(id)) this.#session.send(bytes);
  }

  /**
   * Sends the newest of `events` that fit the reply budget and what the
   * server's replay budget has left, oldest first: history must neither
   * overflow the user's outbox nor, over many logins, the server's output.
   * It goes out a chunk at a time, each once the last was written, so a
   * user who never reads holds one chunk, not the whole history.
   */
  async #replay(events: readonly ChatEvent[]): Promise<void> {
    const { historyBudget, maxReplyBytes } = this.#options;
    const codec = this.#session.codec;
    const encode = (event: ChatEvent) => encodeHistory(codec, event);
    const budget = Math.min(maxReplyBytes, historyBudget.available());
    let first = events.length;
    let bytes = 0;
    while (first > 0) {
      const length = encode(events[first - 1]!).length;
      if (bytes + length > budget) break;
      bytes += length;
      first--;
    }
    historyBudget.charge(bytes);
    let chunk = 0;
    for (let index = first; index < events.length && this.#present; index++) {
      const line = encode(events[index]!);
      this.#session.send(line);
      chunk += line.length;
      if (chunk >= REPLAY_CHUNK_BYTES) {
        chunk = 0;
        await this.#session.flushed();
      }
    }
  }

  /**
   * Tells the room about a join or a departure, unless the room is larger
   * than `presenceMaxUsers` (there every login would cost a line for each
   * of thousands of users, N² in all) or the room's presence budget is
   * spent (a crowd churning from many addresses).
   */
  #announce(draft: EventDraft): void {
    const { hub, room, presenceMaxUsers, presenceBudget } = this.#options;
    if (hub.rooms.size(room) > presenceMaxUsers || presenceBudget.available() < 1) return;
    presenceBudget.charge(1);
    hub.publish(draft);
  }
}

/** Why a name cannot be had: someone has it, or a name it could pass for. */
function takenError(name: string, holderName: string): ProtocolError {
  return nameKey(name) === nameKey(holderName)
    ? ServerError.nameTaken(name)
    : ServerError.nameLookalike(name, holderName);
}
