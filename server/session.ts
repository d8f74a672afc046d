/**
 * One client's life on the server: log in with the first line, then one
 * command per line until QUIT, end of stream, an error, a timeout, or
 * shutdown.
 *
 * Whatever ends a session, it ends here, once: the user leaves the room,
 * everyone else is told why, the connection closes, one `disconnect` line is
 * logged. Nothing a client does can throw out of {@linkcode Session.run}.
 *
 * @module
 */

import { parseCommand } from "../protocol/commands.ts";
import type { Frame } from "../protocol/line_splitter.ts";
import {
  encodeLine,
  ErrorCode,
  errorLine,
  historyLine,
  NoticeCode,
  noticeLine,
} from "../protocol/replies.ts";
import { decodeSafeText } from "../protocol/text.ts";
import { NAME_RULE, nameProblem } from "../protocol/username.ts";
import type { ChatRoom, Member } from "./chat_room.ts";
import { runCommand } from "./commands.ts";
import type { History } from "./history.ts";
import type { LineConnection } from "./line_connection.ts";
import type { Logger } from "./log.ts";
import { Metrics, type RejectReason } from "./metrics.ts";
import { TokenBucket } from "./token_bucket.ts";

/** What every session of one server shares. */
export interface SessionContext {
  /** The room users join. */
  readonly room: ChatRoom<Session>;
  /** Recent public lines, replayed at login. */
  readonly history: History;
  /** The event log. */
  readonly log: Logger;
  /** Named in the welcome notice, such as `nanochat 0.1.0`. */
  readonly serverName: string;
  /** How long a connection may take to send its name, in milliseconds. */
  readonly loginTimeoutMs: number;
  /** How long a logged-in client may send nothing, in milliseconds; 0 is forever. */
  readonly idleTimeoutMs: number;
  /** How long a closing session may spend flushing its output, in milliseconds. */
  readonly closeGraceMs: number;
  /** Whether chat text goes into the log. */
  readonly logMessages: boolean;
  /** Joins and departures are announced only while the room has at most this many users. */
  readonly presenceMaxUsers: number;
  /** Counters for `/metrics`. */
  readonly metrics: Metrics;
  /** Flood control per connection; none when off. */
  readonly rate: { ratePerSecond: number; burst: number; floodKickMs: number } | undefined;
}

/** Why a session ended, as logged. */
export type EndReason =
  | "quit"
  | "eof"
  | "reset"
  | "error"
  | "slow-reader"
  | "login-timeout"
  | "idle-timeout"
  | "name-taken"
  | "name-invalid"
  | "flood"
  | "tls-on-plain-port"
  | "tls-error"
  | "shutdown";

/** What everyone else is told when a session ends without QUIT. */
const DISCONNECT_REASONS: Partial<Record<EndReason, string>> = {
  "eof": "connection closed",
  "reset": "connection lost",
  "error": "connection error",
  "slow-reader": "not reading: too much output queued",
  "idle-timeout": "idle timeout",
  "flood": "flooding",
  "tls-error": "connection error",
};

/** End reasons that are refusals before login, counted as rejected connections. */
const REFUSALS = new Set<EndReason>([
  "name-taken",
  "name-invalid",
  "login-timeout",
  "tls-on-plain-port",
]);

function readErrorReason(error: unknown): EndReason {
  if (error instanceof Deno.errors.ConnectionReset) return "reset";
  // Reads fail with InvalidData only in TLS: a bad handshake or record.
  if (error instanceof Deno.errors.InvalidData) return "tls-error";
  return "error";
}

/** A connection from accept to close. */
export class Session implements Member {
  readonly #conn: LineConnection;
  readonly #context: SessionContext;
  #name: string | undefined;
  #endReason: EndReason | undefined;
  #quitReason = "";
  #left = false;
  #loginTimer: ReturnType<typeof setTimeout> | undefined;
  #lastHeard = 0;
  #closing: Promise<void> | undefined;
  readonly #bucket: TokenBucket | undefined;
  #throttledSince: number | undefined;
  #pause: { timer: ReturnType<typeof setTimeout>; resume: () => void } | undefined;

  /**
   * Creates a session for an accepted connection.
   *
   * @param conn The connection; the session closes it when it ends.
   * @param context What all sessions share.
   */
  constructor(conn: LineConnection, context: SessionContext) {
    this.#conn = conn;
    this.#context = context;
    this.#bucket = context.rate && new TokenBucket(context.rate);
  }

  /** The user's name; empty until logged in. */
  get name(): string {
    return this.#name ?? "";
  }

  /** What all sessions share. */
  get context(): SessionContext {
    return this.#context;
  }

  /** The connection's id, for logs. */
  get connectionId(): number {
    return this.#conn.id;
  }

  /** Queues bytes (one line) for this user. */
  send(bytes: Uint8Array): void {
    this.#context.metrics.linesSent++;
    this.#conn.send(bytes);
  }

  /** Queues one line for this user. */
  reply(line: string): void {
    this.send(encodeLine(line));
  }

  /**
   * Serves the connection until it ends.
   *
   * @returns A promise that resolves when the connection is closed; it never
   * rejects.
   */
  async run(): Promise<void> {
    const { log, loginTimeoutMs } = this.#context;
    log.event("connect", { conn: this.#conn.id, addr: this.#conn.remote });
    this.#loginTimer = setTimeout(() => {
      this.#refuse("login-timeout", ErrorCode.LoginTimeout, "No name received in time");
    }, loginTimeoutMs);
    try {
      for (;;) {
        const frames = await this.#conn.readFrames();
        if (frames === null) break;
        this.#lastHeard = performance.now();
        for (const frame of frames) {
          if (this.#endReason !== undefined) break;
          // Await only when throttled: an await per line would split the
          // batch, and with it the one-write-per-batch flushing.
          const waitMs = this.#name === undefined ? 0 : this.#throttleDelay();
          if (waitMs > 0) await this.#pauseFor(waitMs);
          if (this.#endReason !== undefined) break;
          this.#handle(frame);
        }
      }
      this.#endReason ??= this.#conn.sawTlsHandshake ? "tls-on-plain-port" : "eof";
    } catch (error) {
      this.#endReason ??= readErrorReason(error);
      if (this.#endReason !== "reset") {
        log.event("read-error", { conn: this.#conn.id, error: String(error) });
      }
    } finally {
      this.#leave();
      // Also after EOF: a client that half-closed still reads its replies.
      await this.#closeAfterFlush();
      this.#count(this.#endReason ?? "eof");
      log.event("disconnect", { conn: this.#conn.id, name: this.#name, reason: this.#endReason });
    }
  }

  /**
   * How long the next line must be held back because the client is over its
   * rate. The read loop waits that long, so the socket is not read
   * (backpressure) and nothing is dropped. A client over its rate for too
   * long without a break is disconnected instead.
   *
   * @returns Milliseconds to wait; 0 to go on at once.
   */
  #throttleDelay(): number {
    if (this.#bucket === undefined) return 0;
    const waitMs = this.#bucket.take();
    if (waitMs === 0) {
      this.#throttledSince = undefined;
      return 0;
    }
    const now = performance.now();
    this.#throttledSince ??= now;
    if (now - this.#throttledSince > this.#context.rate!.floodKickMs) {
      this.#refuse("flood", ErrorCode.Flood, "Too many lines for too long; slow down");
      return 0;
    }
    return waitMs;
  }

  /** Waits, unless the session ends first. */
  async #pauseFor(waitMs: number): Promise<void> {
    await new Promise<void>((resume) => {
      this.#pause = { timer: setTimeout(resume, waitMs), resume };
    });
    this.#pause = undefined;
  }

  #count(reason: EndReason): void {
    const { metrics } = this.#context;
    if (REFUSALS.has(reason)) {
      Metrics.increment(metrics.connectionsRejected, reason as RejectReason);
    } else {
      Metrics.increment(metrics.disconnects, reason);
    }
  }

  /** Called when the outbox overflowed: the peer stopped reading. */
  slowReader(): void {
    this.#endReason ??= "slow-reader";
    this.#conn.close();
    // This runs inside someone's broadcast: announce the departure after it,
    // so every user still sees the same order.
    queueMicrotask(() => this.#leave());
  }

  /** Tells the user the server is going down, then closes after a flush. */
  shutdown(): void {
    this.reply(noticeLine(NoticeCode.Shutdown, "The server is shutting down"));
    this.#endAfterFlush("shutdown");
  }

  /**
   * Leaves the chat at the user's request.
   *
   * @param reason Shown to the others; may be empty.
   */
  quit(reason: string): void {
    this.#quitReason = reason;
    this.#endAfterFlush("quit");
  }

  /**
   * Takes a new name, which the caller has checked is valid and free.
   *
   * @param newName The new name.
   */
  rename(newName: string): void {
    const { room, log } = this.#context;
    const oldName = this.name;
    room.leave(this);
    this.#name = newName;
    room.join(this);
    log.event("nick", { conn: this.#conn.id, name: oldName, to: newName });
    room.broadcast(encodeLine(noticeLine(NoticeCode.Nick, `${oldName} is now ${newName}`)));
  }

  #handle(frame: Frame): void {
    if (this.#name === undefined) {
      this.#login(frame);
      return;
    }
    this.#context.metrics.linesReceived++;
    if (frame.kind === "too-long") {
      this.reply(errorLine(ErrorCode.LineTooLong, "Line too long; it was dropped"));
    } else {
      runCommand(this, parseCommand(decodeSafeText(frame.bytes)));
    }
  }

  #login(frame: Frame): void {
    if (frame.kind === "too-long") {
      return this.#refuse(
        "name-invalid",
        ErrorCode.NameInvalid,
        `Name is too long: it must be ${NAME_RULE}`,
      );
    }
    const name = decodeSafeText(frame.bytes);
    const problem = nameProblem(name);
    if (problem !== undefined) return this.#refuse("name-invalid", ErrorCode.NameInvalid, problem);
    const { room, log, history, serverName } = this.#context;
    if (room.holder(name) !== undefined) {
      return this.#refuse("name-taken", ErrorCode.NameTaken, `The name ${name} is in use`);
    }
    clearTimeout(this.#loginTimer);
    this.#name = name;
    this.#announce(noticeLine(NoticeCode.Join, `${name} joined`));
    room.join(this);
    log.event("login", { conn: this.#conn.id, name });
    const users = room.size === 1 ? "1 user" : `${room.size} users`;
    this.reply(noticeLine(
      NoticeCode.Welcome,
      `Welcome to ${serverName}, ${name}! ${users} online. Type HELP for commands.`,
    ));
    for (const { time, line } of history.entries()) this.reply(historyLine(time, line));
  }

  /**
   * Ends the session if the user has sent nothing for the idle timeout. The
   * server calls this for every session from one periodic sweep: a timer per
   * session would cost memory for every idle user.
   *
   * @param now The current `performance.now()`.
   */
  checkIdle(now: number): void {
    const { idleTimeoutMs } = this.#context;
    if (idleTimeoutMs === 0 || this.#name === undefined || this.#endReason !== undefined) return;
    if (now - this.#lastHeard < idleTimeoutMs) return;
    this.#refuse(
      "idle-timeout",
      ErrorCode.IdleTimeout,
      `Nothing received for ${idleTimeoutMs / 1000} s`,
    );
  }

  #refuse(reason: EndReason, code: ErrorCode, text: string): void {
    this.reply(errorLine(code, text));
    this.#endAfterFlush(reason);
  }

  /** Ends the session: leaves the room now, closes once the output is written. */
  #endAfterFlush(reason: EndReason): void {
    if (this.#endReason !== undefined) return;
    this.#endReason = reason;
    this.#leave();
    void this.#closeAfterFlush();
  }

  /** Closes once the output is written or the grace period is over; once. */
  #closeAfterFlush(): Promise<void> {
    this.#closing ??= (async () => {
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        graceTimer = setTimeout(resolve, this.#context.closeGraceMs);
      });
      await Promise.race([this.#conn.flushed(), grace]);
      clearTimeout(graceTimer);
      this.#conn.close();
    })();
    return this.#closing;
  }

  /** Leaves the room once, telling the others why. */
  #leave(): void {
    clearTimeout(this.#loginTimer);
    if (this.#pause) {
      clearTimeout(this.#pause.timer);
      this.#pause.resume();
    }
    if (this.#left || this.#name === undefined) return;
    this.#left = true;
    const { room } = this.#context;
    room.leave(this);
    const name = this.#name;
    if (this.#endReason === "quit") {
      const why = this.#quitReason === "" ? "" : ` (${this.#quitReason})`;
      this.#announce(noticeLine(NoticeCode.Quit, `${name} left${why}`));
    } else if (this.#endReason !== "shutdown") {
      const why = DISCONNECT_REASONS[this.#endReason ?? "eof"] ?? "connection closed";
      this.#announce(noticeLine(NoticeCode.Disconnect, `${name} was disconnected (${why})`));
    }
  }

  /**
   * Tells everyone else about a join or a departure, unless the room is
   * larger than `presenceMaxUsers`: there every login would cost a line for
   * each of thousands of users (N² in all) and bury the chat in notices.
   */
  #announce(line: string): void {
    const { room, presenceMaxUsers } = this.#context;
    if (room.size <= presenceMaxUsers) room.broadcast(encodeLine(line), this);
  }
}
