/**
 * The user behind a connection: logs in with the first line, is in rooms
 * (the default room first), turns each later line into a command, receives
 * events from the hub, and leaves once, telling every room why. The
 * connection itself (reading, flood control, timeouts, closing) is the
 * {@linkcode Session}'s.
 *
 * @module
 */

import { commandCost, parseCommand } from "../protocol/commands.ts";
import { type ProtocolError, ServerError } from "../protocol/errors.ts";
import type { EncodedEvent, EventDraft, Reply } from "../protocol/events.ts";
import type { Frame } from "../protocol/line_splitter.ts";
import { roomProblem } from "../protocol/room_name.ts";
import { decodeSafeText } from "../protocol/text.ts";
import { NAME_RULE, nameKey, nameProblem, nameSkeleton } from "../protocol/username.ts";
import { type EndReason, endReasonInfo } from "./end_reasons.ts";
import { HistoryReplay, type ReplayLimits } from "./history_replay.ts";
import { type CommandUser, type HandlerContext, runCommand } from "./handlers.ts";
import type { Hub, HubUser } from "./hub/hub.ts";
import type { Session, SessionHandler } from "./session.ts";
import type { FailureLimits } from "./accounts/failure_limits.ts";
import type { PasswordGate } from "./accounts/password_gate.ts";
import { hashPassword, passwordProblem, verifyPassword } from "./accounts/passwords.ts";
import { banError } from "./moderation/bans.ts";
import type { RemoteUser } from "./cluster/remote_users.ts";

/** What every user of a server shares; also what the command handlers use. */
export interface ChatUserOptions extends HandlerContext, ReplayLimits {
  /** Names, rooms, history and fan-out, with users of this kind (and other nodes' proxies). */
  readonly hub: Hub<ChatUser | RemoteUser>;
  /** Named in the welcome, such as `nanochat 0.1.0`. */
  readonly serverName: string;
  /** How many recent public lines a user who joins a room is shown. */
  readonly historyLines: number;
  /** Joins and departures are announced only in rooms of at most this many users. */
  readonly presenceMaxUsers: number;
  /** The most rooms one user may be in. */
  readonly maxRoomsPerUser: number;
  /** The most rooms the server may hold. */
  readonly maxRooms: number;
  /**
   * Whether a room may get one more presence notice now, and takes it: a
   * crowd that comes and goes fast must not bury everyone in notices.
   */
  readonly presenceAllowed: (room: string) => boolean;
  /** Wrong passwords allowed per address and per name. */
  readonly passwordFailures: { readonly byAddress: FailureLimits; readonly byName: FailureLimits };
  /** How many password checks may run or wait at once, for the whole server. */
  readonly passwordGate: PasswordGate;
  /** The server operators' name keys (each must also be registered). */
  readonly operators: ReadonlySet<string>;
  /** The cluster this node belongs to; absent for a server on its own. */
  readonly cluster?: ClusterLink;
}

/** What a user needs of the cluster (see `server/cluster/cluster.ts`). */
export interface ClusterLink {
  /**
   * Claims a name for a connection; `undefined` once claimed, or its
   * holder's name. With `takeOver` (its password was given), the name's
   * holder on another node is replaced; `signal` ends the wait for it.
   */
  claimName(
    connectionId: number,
    name: string,
    takeOver?: boolean,
    signal?: AbortSignal,
  ): Promise<string | undefined>;
  /** Gives a connection's name up. */
  releaseName(connectionId: number, name: string): void;
  /**
   * Tells the other nodes a connection logged in; `staleNotice` explains
   * the departure of whoever was still listed under the name.
   */
  announceLogin(connectionId: number, name: string, staleNotice?: string): void;
  /**
   * Tells the other nodes a user logged out or was renamed; resolves once
   * it is told (or failed).
   */
  announce(kind: "logout" | "rename", name: string, to?: string): Promise<void>;
  /** Forgets a proxy of another node's user whose name this node now holds (the replica lags). */
  forgetStale(user: RemoteUser): void;
  /** A proxy left a room because a local operator kicked it. */
  kickedHere(target: RemoteUser, room: string, by: string): void;
}

/** Lines a client may send while its password is checked; more is a flood. */
const MAX_DEFERRED_LINES = 64;

/** One user, from the name line to the departure. */
export class ChatUser implements HubUser, SessionHandler, CommandUser {
  readonly #session: Session;
  readonly #options: ChatUserOptions;
  #name: string | undefined;
  #present = false;
  /** Set once the session ended: late answers (a password check) are dropped. */
  #gone = false;
  /** A registered name waiting for its `PASS` line. */
  #awaitingPassword: string | undefined;
  /** Lines that came while a password was checked, handled after it. */
  #deferred: Frame[] | undefined;
  /** Aborted when the session ends; made only for a takeover that waits (idle users hold none). */
  #leaving: AbortController | undefined;
  /** The password work under way (scrypt runs off the event loop); done when resolved. */
  #working: Promise<unknown> | undefined;
  #quitReason = "";
  /** The rooms the user is in, in the order joined. */
  #rooms: string[] = [];
  #current: string | undefined;
  /** The history on its way, and what waits behind it; none when nothing does. */
  #replay: HistoryReplay | undefined;

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

  /** The room `*text` goes to; `undefined` after parting every room. */
  get currentRoom(): string | undefined {
    return this.#current;
  }

  /** Handles one line from the client; see {@linkcode SessionHandler.line}. */
  line(frame: Frame): number {
    if (this.#deferred !== undefined) {
      // Flood control starts at login: until then, a bound of our own.
      if (this.#deferred.length >= MAX_DEFERRED_LINES) this.#session.end("flood");
      else this.#deferred.push(frame);
      return 0;
    }
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
    if (this.#replay === undefined) this.#session.send(bytes); // the usual case, kept short
    else this.#replay.hold(bytes, encoded.event.id);
  }

  /** Queues a reply for this user, in order with everything else it is sent. */
  reply(reply: Reply): void {
    this.#send(this.#session.codec.reply(reply));
  }

  /** Sends a line now, or after the history on its way, in the order it came. */
  #send(bytes: Uint8Array): void {
    if (this.#replay === undefined) this.#session.send(bytes);
    else this.#replay.hold(bytes);
  }

  /** Leaves at the user's request. */
  quit(reason: string): void {
    this.#quitReason = reason;
    this.#session.end("quit");
  }

  /** The room a command names (by its name as created), or the current one when it names none. */
  roomFor(room: string): string | ProtocolError {
    if (room === "") return this.#current ?? ServerError.noCurrentRoom();
    return this.#options.hub.rooms.find(room) ?? ServerError.noSuchRoom(room);
  }

  /** Whether the user is in a room (by its name as created). */
  isIn(room: string): boolean {
    return this.#rooms.includes(room);
  }

  /** Joins a room, creating it, and makes it current; see `JOIN`. */
  join(name: string): ProtocolError | undefined {
    const problem = roomProblem(name);
    if (problem !== undefined) return ServerError.roomInvalid(problem);
    const { hub, maxRooms, maxRoomsPerUser } = this.#options;
    const existing = hub.rooms.find(name);
    if (existing !== undefined && this.isIn(existing)) return this.switchTo(existing);
    const lookalike = hub.rooms.lookalike(name);
    if (lookalike !== undefined) return ServerError.roomLookalike(name, lookalike);
    if (this.#rooms.length >= maxRoomsPerUser) {
      return ServerError.tooManyRoomsForUser(this.#rooms.length);
    }
    if (existing === undefined && hub.rooms.count >= maxRooms) {
      return ServerError.tooManyRoomsOnServer(hub.rooms.count);
    }
    const opened = hub.rooms.open(name);
    if ("lookalike" in opened) return ServerError.roomLookalike(name, opened.lookalike);
    if (existing === undefined) hub.rooms.setCreator(opened.room, this.name);
    this.#enter(opened.room, true);
    return undefined;
  }

  /** Leaves a room; see `PART`. */
  part(room: string, reason: string): ProtocolError | undefined {
    if (!this.isIn(room)) return ServerError.notInRoom(room);
    this.#options.hub.rooms.leave(room, this);
    this.#announce({ room, kind: "part", from: this.name, to: "", text: reason });
    this.reply({ kind: "parted", room });
    this.#leave(room);
    return undefined;
  }

  /** Forgets a room the hub no longer has the user in, and moves the current room on. */
  #leave(room: string): void {
    this.#options.hub.rooms.leave(room, this);
    this.#rooms = this.#rooms.filter((joined) => joined !== room);
    if (this.#current === room) {
      // The room joined last of those left, said plainly so clients need not guess.
      this.#current = this.#rooms.at(-1);
      if (this.#current !== undefined) this.reply({ kind: "current", room: this.#current });
    }
  }

  /** Makes a room the user is in current; see `SWITCH`. */
  switchTo(room: string): ProtocolError | undefined {
    if (!this.isIn(room)) return ServerError.notInRoom(room);
    this.#current = room;
    this.reply({ kind: "current", room });
    return undefined;
  }

  /** Registers the user's name with a password; see `REGISTER`. */
  register(password: string): void {
    const { accounts, log } = this.#options;
    const name = this.name;
    const problem = passwordProblem(password);
    if (problem !== undefined) return this.#error(ServerError.passwordInvalid(problem));
    if (accounts.find(name) !== undefined) return this.#error(ServerError.alreadyRegistered(name));
    const lookalike = accounts.lookalike(name);
    if (lookalike !== undefined) {
      return this.#error(ServerError.nameRegistered(name, lookalike.name));
    }
    const hashing = this.#options.passwordGate.run(() => hashPassword(password));
    if (hashing === undefined) return this.#error(ServerError.passwordBusy());
    // Whatever fails in here (the database, say) is logged: nothing may escape a promise.
    this.#working = hashing.then((hash) => {
      if (this.#gone) return;
      if (accounts.find(name) !== undefined) {
        return this.#error(ServerError.alreadyRegistered(name));
      }
      accounts.register(name, hash);
      log.event("register", { conn: this.#session.id, name });
      this.reply({ kind: "account", notice: "registered", name });
    }).catch((error) =>
      log.event("password-error", { conn: this.#session.id, error: String(error) })
    );
  }

  /** Changes the password of the user's registered name; see `PASSWORD`. */
  changePassword(old: string, password: string): void {
    const problem = passwordProblem(password);
    if (problem !== undefined) return this.#error(ServerError.passwordInvalid(problem));
    this.#withPassword(old, (name) =>
      hashPassword(password).then((hash) => {
        this.#options.accounts.setPassword(name, hash);
        this.#options.log.event("password-changed", { conn: this.#session.id, name });
        this.reply({ kind: "account", notice: "password-changed", name });
      }));
  }

  /** Gives the user's registered name up; see `UNREGISTER`. */
  unregister(password: string): void {
    this.#withPassword(password, (name) => {
      this.#options.accounts.remove(name);
      this.#options.log.event("unregister", { conn: this.#session.id, name });
      this.reply({ kind: "account", notice: "unregistered", name });
      return Promise.resolve();
    });
  }

  /**
   * Runs `then` once the password of the user's registered name is checked,
   * counting a wrong one against the same limits as a login.
   */
  #withPassword(password: string, then: (name: string) => Promise<void>): void {
    const { accounts, passwordFailures, log } = this.#options;
    const name = this.name;
    const account = accounts.find(name);
    if (account === undefined) return this.#error(ServerError.notRegistered(name));
    const address = this.#session.peerAddress;
    const retry = Math.max(
      passwordFailures.byAddress.retrySeconds(address),
      passwordFailures.byName.retrySeconds(nameKey(name)),
    );
    if (retry > 0) return this.#error(ServerError.passwordLocked(retry));
    const checking = this.#options.passwordGate.run(() =>
      verifyPassword(password, account.passwordHash)
    );
    if (checking === undefined) return this.#error(ServerError.passwordBusy());
    this.#working = checking.then((right) => {
      if (this.#gone) return;
      if (right) return then(account.name);
      passwordFailures.byAddress.fail(address);
      passwordFailures.byName.fail(nameKey(name));
      log.event("password-wrong", { conn: this.#session.id, name });
      this.#error(ServerError.passwordWrong(name));
    }).catch((error) =>
      log.event("password-error", { conn: this.#session.id, error: String(error) })
    );
  }

  #error(error: ProtocolError): void {
    this.reply({ kind: "error", error });
  }

  /** Takes a new name, which the caller has checked is valid. */
  rename(newName: string): ProtocolError | undefined {
    const { accounts } = this.#options;
    const oldName = this.name;
    if (newName === oldName) return undefined; // nothing changes, nothing to announce
    // A registered name (or one like it) is its owner's, online or not.
    const own = (account: { name: string } | undefined) =>
      account === undefined || nameKey(account.name) === nameKey(oldName);
    const registered = accounts.find(newName) ?? accounts.lookalike(newName);
    if (!own(registered)) return ServerError.nameRegistered(newName, registered!.name);
    if (this.#options.bans.forName(newName) !== undefined) {
      return ServerError.nameInvalid(`The name ${newName} is banned`);
    }
    const { cluster } = this.#options;
    if (cluster === undefined) return this.#renameHere(oldName, newName);
    // The cluster decides first; the answer (or an error) comes later.
    const claiming = cluster.claimName(this.#session.id, newName).then((holder) => {
      if (this.#gone || this.name !== oldName) {
        return cluster.releaseName(this.#session.id, newName);
      }
      if (holder !== undefined) return this.#error(takenError(newName, holder));
      // Told before the notices: whoever is still listed under the new name leaves first.
      let renamed = Promise.resolve();
      const refusal = this.#renameHere(oldName, newName, () => {
        renamed = cluster.announce("rename", oldName, newName);
      });
      if (refusal !== undefined) {
        cluster.releaseName(this.#session.id, newName);
        return this.#error(refusal);
      }
      // The old claim is the new one when only letters' case changed and the skeleton did not.
      const sameClaim = nameKey(oldName) === nameKey(newName) &&
        nameSkeleton(oldName) === nameSkeleton(newName);
      // Given up once the rename is in Redis (the lease and the entry go by different
      // connections): a login under the old name must not find this user still listed.
      if (!sameClaim) return renamed.then(() => cluster.releaseName(this.#session.id, oldName));
    }, () => this.#error(ServerError.clusterUnavailable("Your name was not changed")));
    this.#working = Promise.all([this.#working, claiming]);
    return undefined;
  }

  /**
   * Takes a new name in this node's directory and tells the rooms (after
   * `taken`, called once the name is this user's).
   */
  #renameHere(oldName: string, newName: string, taken?: () => void): ProtocolError | undefined {
    const { hub, log, cluster } = this.#options;
    let holder = hub.directory.rename(oldName, newName, this);
    if (holder !== undefined && cluster !== undefined && !(holder instanceof ChatUser)) {
      // The cluster gave us the name: the proxy is of a user who gave it up.
      cluster.forgetStale(holder);
      holder = hub.directory.rename(oldName, newName, this);
    }
    if (holder !== undefined) return takenError(newName, holder.name);
    for (const room of this.#rooms) hub.rooms.leave(room, this);
    this.#name = newName;
    for (const room of this.#rooms) hub.rooms.join(room, this);
    taken?.();
    log.event("nick", { conn: this.#session.id, name: oldName, to: newName });
    for (const room of this.#rooms) {
      hub.publish({ room, kind: "nick", from: oldName, to: newName, text: "" });
    }
    return undefined;
  }

  /** Leaves every room once, telling each why; see {@linkcode SessionHandler.ended}. */
  ended(reason: EndReason): void {
    this.#gone = true;
    this.#leaving?.abort(); // a takeover that waits for a name stops waiting
    if (!this.#present) return;
    this.#present = false;
    const { hub } = this.#options;
    const name = this.name;
    const rooms = this.#rooms;
    this.#rooms = [];
    for (const room of rooms) hub.rooms.leave(room, this);
    hub.directory.release(name, this);
    const notice = endReasonInfo(reason).notice;
    for (const room of rooms) {
      if (reason === "quit") {
        this.#announce({ room, kind: "quit", from: name, to: "", text: this.#quitReason });
      } else if (notice !== undefined) {
        this.#announce({ room, kind: "disconnect", from: name, to: "", text: notice });
      } else {
        // Shown to nobody (a shutdown), but the other nodes must know.
        this.#announce({ room, kind: "disconnect", from: name, to: "", text: "" }, true);
      }
    }
    const { cluster } = this.#options;
    if (cluster !== undefined) {
      void cluster.announce("logout", name);
      cluster.releaseName(this.#session.id, name);
    }
  }

  /** Leaves a room because an operator on another node kicked this user. */
  kicked(room: string): void {
    if (this.isIn(room)) this.#leave(room);
  }

  /** Ends this session because the node lost its cluster. */
  fenced(): void {
    this.#session.end("fenced");
  }

  /** Tells this user an event of theirs did not reach the cluster. */
  notSent(draft: { kind: string }): void {
    const what = draft.kind === "message" || draft.kind === "action" || draft.kind === "private"
      ? "Your message was not sent"
      : "Not everyone was told";
    this.#error(ServerError.clusterUnavailable(what));
  }

  /** Resolves once the password work this user started is done. */
  settled(): Promise<void> {
    return this.#working?.then(() => {}, () => {}) ?? Promise.resolve();
  }

  /** Whether the user is a server operator: named by `--operators`, and registered. */
  get isOperator(): boolean {
    const { operators, accounts } = this.#options;
    return operators.has(nameKey(this.name)) && accounts.find(this.name) !== undefined;
  }

  /** The peer's address, as bans and limits see it. */
  get peerAddress(): string {
    return this.#session.peerAddress;
  }

  /** Removes another user from a room; see `KICK`. */
  kick(room: string, targetName: string, reason: string): ProtocolError | undefined {
    const { hub, log } = this.#options;
    const target = hub.directory.holder(targetName);
    if (target === undefined) return ServerError.noSuchUser(targetName);
    if (!target.isIn(room)) return ServerError.userNotInRoom(target.name, room);
    hub.publish({ room, kind: "kick", from: this.name, to: target.name, text: reason });
    log.event("kick", { by: this.name, target: target.name, room, reason });
    // A user on another node leaves there when its node reads the kick.
    if (target instanceof ChatUser) target.#leave(room);
    else this.#options.cluster?.kickedHere(target, room, this.name);
    // An operator outside the room saw no notice: say it was done.
    if (!this.isIn(room)) {
      this.reply({ kind: "moderation", text: `${target.name} was kicked from ${room}` });
    }
    return undefined;
  }

  /** Ends this session because a ban now covers it. */
  banned(error: ProtocolError): void {
    this.#session.end("banned", error);
  }

  /** Ends this session because the same account logged in elsewhere. */
  replace(): void {
    this.#session.end("replaced", ServerError.replaced(this.name));
  }

  /**
   * The first line: a name, or a registered name and its password
   * (`alice hunter22`; names have no spaces). A registered name without a
   * password is asked for one, which comes as `PASS password`.
   */
  #login(frame: Frame): void {
    if (frame.kind === "too-long") {
      const problem = `Name is too long: it must be ${NAME_RULE}`;
      return this.#session.end("name-invalid", ServerError.nameInvalid(problem));
    }
    const text = decodeSafeText(frame.bytes);
    if (this.#awaitingPassword !== undefined) {
      const command = parseCommand(text);
      const name = this.#awaitingPassword;
      if (command.kind !== "pass") {
        return this.#session.end("password-wrong", ServerError.passwordWrong(name));
      }
      return this.#checkPassword(name, command.password);
    }
    const space = text.indexOf(" ");
    const name = space === -1 ? text : text.slice(0, space);
    const problem = nameProblem(name);
    if (problem !== undefined) {
      return this.#session.end("name-invalid", ServerError.nameInvalid(problem));
    }
    const { accounts, bans } = this.#options;
    const ban = bans.forName(name);
    if (ban !== undefined) return this.#session.end("banned", banError(`${name} is`, ban));
    const lookalike = accounts.lookalike(name);
    if (lookalike !== undefined) {
      return this.#session.end("name-taken", ServerError.nameRegistered(name, lookalike.name));
    }
    const account = accounts.find(name);
    if (account === undefined) {
      // Only a registered name takes a password: any other line with a space is a bad name.
      if (space === -1) return this.#enterAs(name);
      return this.#session.end("name-invalid", ServerError.nameInvalid(nameProblem(text)!));
    }
    if (space === -1) {
      this.#awaitingPassword = account.name;
      return this.reply({ kind: "account", notice: "password", name: account.name });
    }
    this.#checkPassword(account.name, text.slice(space + 1));
  }

  /**
   * Checks a registered name's password off the event loop (scrypt), holding
   * the client's further lines until it is done. A right password takes the
   * name even from a stale connection still holding it.
   */
  #checkPassword(name: string, password: string): void {
    const { accounts, passwordFailures, log } = this.#options;
    const address = this.#session.peerAddress;
    const retry = Math.max(
      passwordFailures.byAddress.retrySeconds(address),
      passwordFailures.byName.retrySeconds(nameKey(name)),
    );
    if (retry > 0) return this.#session.end("password-locked", ServerError.passwordLocked(retry));
    const account = accounts.find(name);
    if (account === undefined) return this.#enterAs(name); // unregistered meanwhile
    const checking = this.#options.passwordGate.run(() =>
      verifyPassword(password, account.passwordHash)
    );
    if (checking === undefined) {
      return this.#session.end("password-locked", ServerError.passwordBusy());
    }
    this.#deferred = [];
    this.#working = checking.then((right) => {
      const deferred = this.#deferred ?? [];
      this.#deferred = undefined;
      if (this.#gone) return;
      if (!right) {
        passwordFailures.byAddress.fail(address);
        passwordFailures.byName.fail(nameKey(name));
        log.event("password-wrong", { conn: this.#session.id, name });
        return this.#session.end("password-wrong", ServerError.passwordWrong(name));
      }
      const ghost = this.#options.hub.directory.holder(name);
      if (ghost instanceof ChatUser && ghost !== this) ghost.replace();
      this.#enterAs(account.name, true);
      for (const frame of deferred) this.line(frame);
    }).catch((error) => {
      this.#deferred = undefined;
      log.event("password-error", { conn: this.#session.id, error: String(error) });
      if (!this.#gone) this.#session.end("error");
    });
  }

  /**
   * Logs in under a name the rules and the accounts allow; in a cluster,
   * once it gives the name (taking it over from a stale session elsewhere
   * when the password was given).
   */
  #enterAs(name: string, takeOver = false): void {
    this.#awaitingPassword = undefined;
    const { cluster } = this.#options;
    if (cluster === undefined) return this.#enterHere(name);
    // Lines that come meanwhile wait, as during a password check.
    this.#deferred ??= [];
    const signal = takeOver ? (this.#leaving ??= new AbortController()).signal : undefined;
    const claiming = cluster.claimName(this.#session.id, name, takeOver, signal).then((holder) => {
      const deferred = this.#deferred ?? [];
      this.#deferred = undefined;
      if (this.#gone) return holder === undefined && cluster.releaseName(this.#session.id, name);
      if (holder !== undefined) return this.#session.end("name-taken", takenError(name, holder));
      this.#enterHere(name, takeOver);
      for (const frame of deferred) this.line(frame);
    }, () => {
      this.#deferred = undefined;
      if (this.#gone) return;
      const error = ServerError.clusterUnavailable("You could not log in");
      this.#session.end("cluster-unavailable", error);
    });
    this.#working = Promise.all([this.#working, claiming]);
  }

  /**
   * Logs in under a name in this node's directory (the cluster, if any,
   * gave it already; `tookOver` when the password took it from a stale
   * session).
   */
  #enterHere(name: string, tookOver = false): void {
    const { hub, defaultRoom, log, serverName, cluster } = this.#options;
    let holder = hub.directory.claim(name, this);
    if (holder !== undefined && cluster !== undefined && !(holder instanceof ChatUser)) {
      cluster.forgetStale(holder); // the proxy is of a user who gave the name up
      holder = hub.directory.claim(name, this);
    }
    if (holder !== undefined) {
      cluster?.releaseName(this.#session.id, name);
      return this.#session.end("name-taken", takenError(name, holder.name));
    }
    const staleNotice = tookOver ? endReasonInfo("replaced").notice : undefined;
    cluster?.announceLogin(this.#session.id, name, staleNotice);
    this.#name = name;
    this.#present = true;
    log.event("login", { conn: this.#session.id, name });
    this.reply({ kind: "welcome", server: serverName, name, users: hub.directory.size });
    this.#enter(defaultRoom, false);
  }

  /**
   * Joins a room open in the hub: announces it, makes it current, and sends
   * its history. A login enters the default room without the `joined`
   * notice, as the seed protocol knew no rooms.
   */
  #enter(room: string, tellUser: boolean): void {
    const { hub, historyLines } = this.#options;
    this.#announce({ room, kind: "join", from: this.name, to: "", text: "" });
    hub.rooms.join(room, this);
    this.#rooms.push(room);
    this.#current = room;
    if (tellUser) {
      this.reply({
        kind: "joined",
        room,
        users: hub.rooms.size(room),
        topic: hub.rooms.topic(room),
      });
    }
    if (historyLines > 0) this.#queueHistory(room);
  }

  /** Sends a room's recent lines, then whatever came meanwhile (see {@linkcode HistoryReplay}). */
  #queueHistory(room: string): void {
    const { hub, historyLines } = this.#options;
    const history = hub.history.recent(room, historyLines);
    if (this.#replay === undefined) {
      const replay = new HistoryReplay(this.#session, this.#options, () => this.#present, () => {
        if (this.#replay === replay) this.#replay = undefined;
      });
      this.#replay = replay;
    }
    this.#replay.addHistory(history);
  }

  /**
   * Tells a room about a join or a departure, unless the room is larger
   * than `presenceMaxUsers` (there every login would cost a line for each
   * of thousands of users, N² in all) or the room's presence budget is
   * spent (a crowd churning from many addresses).
   */
  #announce(draft: EventDraft, silent = false): void {
    const { hub, presenceMaxUsers, presenceAllowed, cluster } = this.#options;
    const shown = !silent && hub.rooms.size(draft.room) <= presenceMaxUsers &&
      presenceAllowed(draft.room);
    // Other nodes need every change of membership, shown or not.
    if (shown) hub.publish(draft);
    else if (cluster !== undefined) hub.publish({ ...draft, silent: true });
  }
}

/** Why a name cannot be had: someone has it, or a name it could pass for. */
function takenError(name: string, holderName: string): ProtocolError {
  return nameKey(name) === nameKey(holderName)
    ? ServerError.nameTaken(name)
    : ServerError.nameLookalike(name, holderName);
}
