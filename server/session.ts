/**
 * One client's life on the server: log in with the first line, then one
 * command per line until QUIT, end of stream, an error, or shutdown.
 *
 * Whatever ends a session, it ends here, once: the user leaves the room,
 * the connection closes, one `disconnect` line is logged. Nothing a client
 * does can throw out of {@linkcode Session.run}.
 *
 * @module
 */

import { parseCommand } from "../protocol/commands.ts";
import type { Frame } from "../protocol/line_splitter.ts";
import {
  chatLine,
  encodeLine,
  ErrorCode,
  errorLine,
  NoticeCode,
  noticeLine,
} from "../protocol/replies.ts";
import { decodeSafeText } from "../protocol/text.ts";
import { nameProblem } from "../protocol/username.ts";
import type { ChatRoom, Member } from "./chat_room.ts";
import type { LineConnection } from "./line_connection.ts";
import type { Logger } from "./log.ts";

/** What every session of one server shares. */
export interface SessionContext {
  /** The room users join. */
  readonly room: ChatRoom<Session>;
  /** The event log. */
  readonly log: Logger;
  /** How long a connection may take to send its name, in milliseconds. */
  readonly loginTimeoutMs: number;
  /** How long a closing session may spend flushing its output, in milliseconds. */
  readonly closeGraceMs: number;
  /** Whether chat text goes into the log. */
  readonly logMessages: boolean;
}

/** Why a session ended, as logged. */
export type EndReason =
  | "quit"
  | "eof"
  | "reset"
  | "error"
  | "slow-reader"
  | "login-timeout"
  | "name-taken"
  | "name-invalid"
  | "shutdown";

/** A connection from accept to close. */
export class Session implements Member {
  readonly #conn: LineConnection;
  readonly #context: SessionContext;
  #name: string | undefined;
  #endReason: EndReason | undefined;
  #loginTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Creates a session for an accepted connection.
   *
   * @param conn The connection; the session closes it when it ends.
   * @param context What all sessions share.
   */
  constructor(conn: LineConnection, context: SessionContext) {
    this.#conn = conn;
    this.#context = context;
  }

  /** The user's name; empty until logged in. */
  get name(): string {
    return this.#name ?? "";
  }

  /** Queues bytes for this user. */
  send(bytes: Uint8Array): void {
    this.#conn.send(bytes);
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
        for (const frame of frames) {
          if (this.#endReason !== undefined) break;
          this.#handle(frame);
        }
      }
      this.#endReason ??= "eof";
    } catch (error) {
      this.#endReason ??= error instanceof Deno.errors.ConnectionReset ? "reset" : "error";
      if (this.#endReason === "error") {
        log.event("read-error", { conn: this.#conn.id, error: String(error) });
      }
    } finally {
      this.#leave();
      this.#conn.close();
      log.event("disconnect", { conn: this.#conn.id, name: this.#name, reason: this.#endReason });
    }
  }

  /** Called when the outbox overflowed: the peer stopped reading. */
  slowReader(): void {
    this.#endReason ??= "slow-reader";
    this.#leave();
    this.#conn.close();
  }

  /** Tells the user the server is going down, then closes after a flush. */
  shutdown(): void {
    this.#conn.send(encodeLine(noticeLine(NoticeCode.Shutdown, "The server is shutting down")));
    void this.#endAfterFlush("shutdown");
  }

  #handle(frame: Frame): void {
    if (this.#name === undefined) {
      this.#login(frame);
    } else if (frame.kind === "too-long") {
      this.#reply(ErrorCode.LineTooLong, "Line too long; it was dropped");
    } else {
      this.#command(decodeSafeText(frame.bytes));
    }
  }

  #login(frame: Frame): void {
    if (frame.kind === "too-long") {
      return this.#refuse("name-invalid", ErrorCode.NameInvalid, "Name is too long");
    }
    const name = decodeSafeText(frame.bytes);
    const problem = nameProblem(name);
    if (problem !== undefined) return this.#refuse("name-invalid", ErrorCode.NameInvalid, problem);
    this.#name = name;
    if (!this.#context.room.join(this)) {
      this.#name = undefined;
      return this.#refuse("name-taken", ErrorCode.NameTaken, `The name ${name} is in use`);
    }
    clearTimeout(this.#loginTimer);
    this.#context.log.event("login", { conn: this.#conn.id, name });
  }

  #command(line: string): void {
    const command = parseCommand(line);
    switch (command.kind) {
      case "message":
        return this.#broadcast(command.text);
      case "quit":
        void this.#endAfterFlush("quit");
        return;
      case "nothing":
        return;
      case "unknown":
        return this.#reply(
          ErrorCode.UnknownCommand,
          `Unknown command ${command.word || "(line starts with a space)"}`,
        );
    }
  }

  #broadcast(text: string): void {
    const { room, log, logMessages } = this.#context;
    room.broadcast(encodeLine(chatLine(this.name, text)), this);
    if (logMessages) log.event("message", { conn: this.#conn.id, name: this.#name, text });
  }

  #reply(code: ErrorCode, text: string): void {
    this.#conn.send(encodeLine(errorLine(code, text)));
  }

  #refuse(reason: EndReason, code: ErrorCode, text: string): void {
    this.#reply(code, text);
    void this.#endAfterFlush(reason);
  }

  /** Ends the session once its output is written or the grace period is over. */
  async #endAfterFlush(reason: EndReason): Promise<void> {
    if (this.#endReason !== undefined) return;
    this.#endReason = reason;
    this.#leave();
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, this.#context.closeGraceMs);
    });
    await Promise.race([this.#conn.flushed(), grace]);
    clearTimeout(graceTimer);
    this.#conn.close();
  }

  #leave(): void {
    clearTimeout(this.#loginTimer);
    this.#context.room.leave(this);
  }
}
