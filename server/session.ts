/**
 * One connection's loop: read lines, hold back a client over its rate,
 * notice silence, and close only after the last reply is flushed. What the
 * lines mean is the {@linkcode SessionHandler}'s business (the chat user);
 * this module knows connections, not chat.
 *
 * Whatever ends a session, it ends here, once: the client gets the reason's
 * error line if it has one, the handler is told, the connection closes, one
 * `disconnect` line is logged and one metric counted. Nothing a client does
 * can throw out of {@linkcode Session.run}.
 *
 * @module
 */

import type { ProtocolError } from "../protocol/errors.ts";
import type { Codec, Reply } from "../protocol/events.ts";
import type { Frame } from "../protocol/line_splitter.ts";
import type { LineConnection } from "../transport/line_connection.ts";
import { classifyReadError } from "../transport/net_errors.ts";
import { type EndReason, endReasonInfo } from "./end_reasons.ts";
import type { Logger } from "./log.ts";
import type { LoginDeadlines } from "./login_deadlines.ts";
import { Metrics } from "./metrics.ts";
import { TokenBucket } from "./token_bucket.ts";

/** Flood control for one connection. */
export interface RateLimit {
  /** Lines per second on average. */
  readonly ratePerSecond: number;
  /** Lines at once before the rate applies. */
  readonly burst: number;
  /** How long a client may stay over its rate without a break, in milliseconds. */
  readonly floodKickMs: number;
}

/** What every session of a server shares. */
export interface SessionOptions {
  /** Where each session waits to log in: it ends the sessions that take too long. */
  readonly loginDeadlines: LoginDeadlines<Session>;
  /** How long a logged-in client may send nothing, in milliseconds; 0 is forever. */
  readonly idleTimeoutMs: number;
  /** How long a closing session may spend flushing its output, in milliseconds. */
  readonly closeGraceMs: number;
  /** Flood control; none when absent. */
  readonly rate: RateLimit | undefined;
  /** The event log. */
  readonly log: Logger;
  /** Counters for `/metrics`. */
  readonly metrics: Metrics;
  /** The clock for rates and idleness, in milliseconds; `performance.now` by default. */
  readonly now?: () => number;
  /**
   * Told once a session is over: its connection closed, its slot released
   * and its `disconnect` logged. One function for every session, so a
   * session needs no promise chained to it for the server to forget it.
   */
  readonly closed?: (session: Session) => void;
}

/** What a session serves: the user at the other end. */
export interface SessionHandler {
  /** Whether the login is done: flood control and the idle timeout apply from then. */
  readonly loggedIn: boolean;
  /** The user's name, for the log; empty before login. */
  readonly name: string;
  /**
   * Handles one line.
   *
   * @returns How many flood-control tokens it cost (1 for a plain line).
   */
  line(frame: Frame): number;
  /** Called once when the session ends, before its connection closes. */
  ended(reason: EndReason): void;
  /** Resolves once work the handler started (a password check) is done; awaited at the end. */
  settled?(): Promise<void>;
}

const performanceNow = () => performance.now();

/** A connection from accept to close. */
export class Session {
  readonly #conn: LineConnection;
  readonly #options: SessionOptions;
  readonly #codec: Codec;
  readonly #now: () => number;
  readonly #bucket: TokenBucket | undefined;
  readonly #slot: { release(): void } | undefined;
  #handler: SessionHandler | undefined;
  #endReason: EndReason | undefined;
  #handlerTold = false;
  #lastHeard: number;
  #throttledSince: number | undefined;
  #pause: { timer: ReturnType<typeof setTimeout>; resume: () => void } | undefined;
  #closing: Promise<void> | undefined;
  /** An error line was sent as the session ended. */
  #endedWithError = false;

  /**
   * Creates a session for an accepted connection.
   *
   * @param conn The connection; the session closes it when it ends.
   * @param codec How replies are encoded on this connection.
   * @param options What all sessions share.
   * @param slot The connection's place in the limits, released once it is closed.
   */
  constructor(
    conn: LineConnection,
    codec: Codec,
    options: SessionOptions,
    slot?: { release(): void },
  ) {
    this.#conn = conn;
    this.#slot = slot;
    this.#codec = codec;
    this.#options = options;
    this.#now = options.now ?? performanceNow;
    this.#lastHeard = this.#now();
    this.#bucket = options.rate && new TokenBucket({ ...options.rate, now: this.#now });
  }

  /** The connection's id, for logs. */
  get id(): number {
    return this.#conn.id;
  }

  /** The peer's address without its port, as limits count it. */
  get peerAddress(): string {
    const remote = this.#conn.remote;
    if (remote.startsWith("[")) return remote.slice(1, remote.indexOf("]"));
    const colon = remote.lastIndexOf(":");
    return colon === -1 ? remote : remote.slice(0, colon);
  }

  /** How replies and events are encoded for this client. */
  get codec(): Codec {
    return this.#codec;
  }

  /** Queues bytes for the client; never blocks. */
  send(bytes: Uint8Array): void {
    this.#options.metrics.linesSent++;
    this.#conn.send(bytes);
  }

  /** Resolves once everything sent so far is written, or the connection is closed. */
  flushed(): Promise<void> {
    return this.#conn.flushed();
  }

  /** Queues a reply for the client. */
  reply(reply: Reply): void {
    this.send(this.#codec.reply(reply));
  }

  /**
   * Serves the connection until it ends.
   *
   * @param handler What the lines are for.
   * @returns A promise that resolves when the connection is closed; it never
   * rejects.
   */
  async run(handler: SessionHandler): Promise<void> {
    const { log, metrics, loginDeadlines } = this.#options;
    this.#handler = handler;
    log.event("connect", { conn: this.#conn.id, addr: this.#conn.remote });
    loginDeadlines.add(this);
    try {
      for (;;) {
        const frames = await this.#conn.readFrames();
        if (frames === null) break;
        this.#lastHeard = this.#now();
        for (const frame of frames) {
          if (this.#endReason !== undefined) break;
          const loggedIn = handler.loggedIn;
          if (loggedIn) {
            // Await only when throttled: an await per line would split the
            // batch, and with it the one-write-per-batch flushing.
            const waitMs = this.#throttleDelay();
            if (waitMs > 0) await this.#pauseFor(waitMs);
            if (this.#endReason !== undefined) break;
            metrics.linesReceived++;
          }
          const cost = handler.line(frame);
          if (loggedIn) this.#bucket?.charge(cost);
          else if (handler.loggedIn) this.#options.loginDeadlines.delete(this);
        }
      }
      this.#endReason ??= this.#conn.sawTlsHandshake ? "tls-on-plain-port" : "eof";
    } catch (error) {
      this.#endReason ??= classifyReadError(error);
      if (this.#endReason !== "reset") {
        log.event("read-error", { conn: this.#conn.id, error: String(error) });
      }
    } finally {
      this.#tellHandler();
      // Also after EOF: a client that half-closed still reads its replies.
      await this.#closeAfterFlush();
      await handler.settled?.();
      this.#count(this.#endReason ?? "eof");
      log.event("disconnect", {
        conn: this.#conn.id,
        name: handler.name || undefined,
        reason: this.#endReason,
      });
      this.#slot?.release();
      this.#options.closed?.(this);
    }
  }

  /**
   * The login timeout ran out: ends the session unless it has logged in by
   * now. A password or cluster login completes after its last line was read,
   * so the line loop cannot always take the session off the deadlines.
   */
  loginTimeUp(): void {
    if (!this.#handler?.loggedIn) this.end("login-timeout");
  }

  /**
   * Ends the session: sends the reason's error line (or `error`), tells the
   * handler, and closes once the output is flushed. Only the first call counts.
   *
   * @param reason Why.
   * @param error The error to send, where its text depends on the case.
   */
  end(reason: EndReason, error?: ProtocolError): void {
    if (this.#endReason !== undefined) return;
    this.#endReason = reason;
    const wire = error ?? endReasonInfo(reason).error?.(this.#options);
    if (wire !== undefined) {
      this.reply({ kind: "error", error: wire });
      this.#endedWithError = true;
    }
    this.#tellHandler();
    void this.#closeAfterFlush();
  }

  /** Tells the client the server is going down, then closes after a flush. */
  shutdown(): void {
    this.reply({ kind: "shutdown" });
    this.end("shutdown");
  }

  /** Called when the outbox overflowed: the peer stopped reading. */
  slowReader(): void {
    if (this.#endReason !== undefined) return;
    this.#endReason = "slow-reader";
    this.#conn.close();
    // This runs inside someone's broadcast: the handler announces the
    // departure after it, so every user still sees the same order.
    queueMicrotask(() => this.#tellHandler());
  }

  /**
   * Ends the session if the user has sent nothing for the idle timeout. The
   * server calls this for every session from one periodic sweep: a timer per
   * session would cost memory for every idle user.
   *
   * @param now The current time on the session's clock.
   */
  checkIdle(now: number): void {
    const { idleTimeoutMs } = this.#options;
    if (idleTimeoutMs === 0 || this.#endReason !== undefined || !this.#handler?.loggedIn) return;
    if (now - this.#lastHeard >= idleTimeoutMs) this.end("idle-timeout");
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
    const waitMs = this.#bucket.delay();
    if (waitMs === 0) {
      this.#throttledSince = undefined;
      return 0;
    }
    const now = this.#now();
    this.#throttledSince ??= now;
    if (now - this.#throttledSince > this.#options.rate!.floodKickMs) {
      this.end("flood");
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

  /** Stops the timers and tells the handler how the session ended; once. */
  #tellHandler(): void {
    this.#options.loginDeadlines.delete(this);
    if (this.#pause) {
      clearTimeout(this.#pause.timer);
      this.#pause.resume();
    }
    if (this.#handlerTold || this.#handler === undefined) return;
    this.#handlerTold = true;
    this.#handler.ended(this.#endReason ?? "eof");
  }

  /** Closes once the output is written or the grace period is over; once. */
  #closeAfterFlush(): Promise<void> {
    this.#closing ??= (async () => {
      this.#conn.finish?.(!this.#endedWithError);
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        graceTimer = setTimeout(resolve, this.#options.closeGraceMs);
      });
      await Promise.race([this.#conn.flushed(), grace]);
      clearTimeout(graceTimer);
      this.#conn.close();
    })();
    return this.#closing;
  }

  #count(reason: EndReason): void {
    const { metrics } = this.#options;
    if (endReasonInfo(reason).refusal) {
      Metrics.increment(metrics.connectionsRejected, reason);
    } else {
      Metrics.increment(metrics.disconnects, reason);
    }
  }
}
