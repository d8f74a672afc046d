/**
 * The client's side of the wire: connect with a deadline, log in, then
 * protocol lines both ways. Uses the server's {@linkcode ConnLineConnection},
 * so the client gets the same bounded reads (a hostile server cannot make it
 * buffer without end) and the same ordered, non-blocking sends.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../protocol/address.ts";
import { closesConnection, ERROR_CLOSES, type ErrorCode } from "../protocol/errors.ts";
import type { Frame } from "../protocol/line_splitter.ts";
import { encodeLine } from "../protocol/replies.ts";
import { parseServerLine } from "../protocol/server_lines.ts";
import { decodeUtf8 } from "../protocol/text.ts";
import { type ByteConn, ConnLineConnection } from "../transport/line_connection.ts";
import { describeNetError, isLookupFailure } from "../transport/net_errors.ts";
import { connectInsecureTls } from "./insecure_tls.ts";
import { KEEPALIVE_TOKEN } from "./render.ts";

/** A line longer than this from the server is dropped. */
const MAX_SERVER_LINE_BYTES = 64 * 1024;

/** How long to wait for the server to close after QUIT. */
const QUIT_GRACE_MS = 2000;

/** Shown in place of a server line that was too long to keep. */
export const DROPPED_LINE = "(a line from the server was too long and was dropped)";

/** How a link to the server ended. */
export interface LinkEnd {
  /** The server refused the name: the last line was this error's text. */
  readonly rejectedName?: string;
  /** The code of that error: `name-taken`, `password-wrong`, …. */
  readonly rejectedCode?: string;
  /** The server announced a shutdown before closing. */
  readonly shutdown: boolean;
  /** The server closed without sending a single line. */
  readonly silent: boolean;
  /** The server ended the session with this error (idle timeout, flood, …). */
  readonly kicked?: string;
  /** Printing a line failed (stdout closed, say): the reason. */
  readonly outputError?: string;
}

function isNotice(line: string, code: string): boolean {
  const parsed = parseServerLine(line);
  return parsed.kind === "notice" && parsed.code === code;
}

/** An open, logged-in connection to a nanochat server. */
export class ServerLink {
  readonly address: string;
  readonly #connection: ConnLineConnection;
  #closed = false;
  #quitTimer: ReturnType<typeof setTimeout> | undefined;
  #keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  /** Frames read by waitForFirstLine(), for receive() to hand on first. */
  readonly #firstFrames: Frame[] = [];
  /** The connection ended while waitForFirstLine() read. */
  #endedBeforeFirstLine = false;

  private constructor(address: string, connection: ConnLineConnection) {
    this.address = address;
    this.#connection = connection;
  }

  /**
   * Connects and sends the name.
   *
   * @param address The server.
   * @param name The username to log in with.
   * @param options How long to wait for the connection (and TLS handshake),
   * and whether and how to use TLS.
   * @returns The open link.
   * @throws {Deno.errors.TimedOut} If the server did not answer in time.
   * @throws {Deno.errors.ConnectionRefused} And the other errors of
   * `Deno.connect`; {@linkcode TlsHandshakeError} if TLS fails.
   */
  static async open(
    address: HostPort,
    name: string,
    options: { timeoutMs: number; security: Security },
  ): Promise<ServerLink> {
    const conn = await withDeadline(dial(address, options.security), options.timeoutMs);
    const link = new ServerLink(
      formatHostPort(address),
      new ConnLineConnection(conn, {
        maxLineBytes: MAX_SERVER_LINE_BYTES,
        maxQueuedBytes: 1024 * 1024,
        onSlowReader: () => link.close(),
      }),
    );
    link.send(name);
    return link;
  }

  /**
   * Waits for the server's first line: a nanochat server's welcome, or the
   * error that refuses the name. A server that accepts the connection and
   * then says nothing must not keep the client waiting for ever. The line is
   * still handed to {@linkcode ServerLink.receive} afterwards.
   *
   * @param timeoutMs How long to wait.
   * @returns Whether a line arrived (false: the connection ended first).
   * @throws {Deno.errors.TimedOut} If nothing arrived in time; the link is
   * closed then.
   */
  async waitForFirstLine(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), timeoutMs);
    });
    const reading = this.#readFirstFrames();
    const outcome = await Promise.race([reading, deadline]);
    clearTimeout(timer);
    if (outcome === "late") {
      this.close(); // ends the pending read
      await reading;
      throw new Deno.errors.TimedOut(`no answer within ${timeoutMs / 1000} s`);
    }
    return this.#firstFrames.length > 0;
  }

  /** The server's first line once {@linkcode ServerLink.waitForFirstLine} has read it, until received. */
  get firstLine(): string | undefined {
    const frame = this.#firstFrames[0];
    return frame?.kind === "line" ? decodeUtf8(frame.bytes) : undefined;
  }

  async #readFirstFrames(): Promise<"read"> {
    try {
      while (this.#firstFrames.length === 0) {
        const frames = await this.#connection.readFrames();
        if (frames === null) break;
        this.#firstFrames.push(...frames);
      }
    } catch {
      // A reset: receive() reports the end.
    }
    this.#endedBeforeFirstLine = this.#firstFrames.length === 0;
    return "read";
  }

  /**
   * Whether the server's first line asks for the name's password
   * (`NOTICE password:`); if so, the line is consumed: the caller answers it
   * with `PASS` and waits for the first line again.
   *
   * @returns True if the server asked for a password.
   */
  takePasswordRequest(): boolean {
    const first = this.#firstFrames[0];
    if (first?.kind !== "line" || !isNotice(decodeUtf8(first.bytes), "password")) return false;
    this.#firstFrames.shift();
    return true;
  }

  /** The frames waitForFirstLine() read, then the connection's. */
  #nextFrames(): Promise<Frame[] | null> {
    if (this.#firstFrames.length > 0) return Promise.resolve(this.#firstFrames.splice(0));
    if (this.#endedBeforeFirstLine) return Promise.resolve(null);
    return this.#connection.readFrames();
  }

  /**
   * Pings the server every `intervalMs`, so its idle timeout never closes a
   * quiet user and a dead connection is noticed. The replies are
   * `PONG keepalive`, which the renderers hide.
   *
   * @param intervalMs Time between pings.
   */
  keepAlive(intervalMs: number): void {
    clearInterval(this.#keepAliveTimer);
    this.#keepAliveTimer = setInterval(() => this.send(`PING ${KEEPALIVE_TOKEN}`), intervalMs);
  }

  /** Queues one protocol line; never blocks. */
  send(line: string): void {
    this.#connection.send(encodeLine(line));
  }

  /** Bytes sent but not yet written. */
  get queuedBytes(): number {
    return this.#connection.queuedBytes;
  }

  /** Resolves once everything sent has been written. */
  flushed(): Promise<void> {
    return this.#connection.flushed();
  }

  /**
   * Hands every line from the server to `onLine` until the connection ends.
   *
   * @param onLine Receives each line, decoded but not sanitised; may return a
   * promise to hold off reading (backpressure from a slow stdout).
   * @returns How it ended. A reset counts as an end, not an error.
   */
  async receive(onLine: (line: string) => void | Promise<void>): Promise<LinkEnd> {
    let last = "";
    let received = false;
    let welcomed = false;
    let outputError: string | undefined;
    try {
      reading: for (;;) {
        const frames = await this.#nextFrames();
        if (frames === null) break;
        for (const frame of frames) {
          last = frame.kind === "line" ? decodeUtf8(frame.bytes) : DROPPED_LINE;
          received = true;
          welcomed ||= isNotice(last, "welcome");
          try {
            await onLine(last);
          } catch (error) {
            outputError = error instanceof Error ? error.message : String(error);
            break reading;
          }
        }
      }
    } catch {
      // A reset or similar: the connection is gone either way.
    }
    this.close();
    const final = parseServerLine(last);
    const error = final.kind === "error" ? final : undefined;
    // A name error before any welcome is a refused login; after it, a failed NICK.
    const rejected = !welcomed && error && ERROR_CLOSES[error.code as ErrorCode] === "at-login";
    const kicked = error && closesConnection(error.code, welcomed);
    return {
      ...(rejected
        ? { rejectedName: error.text, rejectedCode: error.code }
        : kicked
        ? { kicked: error.text }
        : {}),
      ...(outputError !== undefined ? { outputError } : {}),
      shutdown: isNotice(last, "shutdown"),
      silent: !received,
    };
  }

  /**
   * Says goodbye: sends the QUIT line, then closes once the server has had
   * time to close first (a server SHOULD close after QUIT; an old one may not).
   *
   * @param line The QUIT line, possibly with a reason.
   */
  quit(line = "QUIT"): void {
    this.send(line);
    // From now, not from the flush: a server that stopped reading must not
    // keep the client waiting.
    clearTimeout(this.#quitTimer);
    if (!this.#closed) this.#quitTimer = setTimeout(() => this.close(), QUIT_GRACE_MS);
  }

  /** Closes the connection. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#quitTimer);
    clearInterval(this.#keepAliveTimer);
    this.#connection.close();
  }
}

/** Whether and how the link uses TLS. */
export type Security =
  | { readonly kind: "plain" }
  /** Verify the server against the system roots plus `caCerts` (PEM). */
  | { readonly kind: "tls"; readonly caCerts: string[] }
  /** TLS without checking the certificate at all. */
  | { readonly kind: "insecure-tls" };

/** The TLS handshake failed: wrong port, untrusted or mismatched certificate. */
export class TlsHandshakeError extends Error {
  override name = "TlsHandshakeError";
}

async function dial(address: HostPort, security: Security): Promise<ByteConn> {
  const { hostname, port } = address;
  if (security.kind === "plain") {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return conn;
  }
  try {
    if (security.kind === "insecure-tls") return await connectInsecureTls(hostname, port);
    const conn = await Deno.connectTls({ hostname, port, caCerts: security.caCerts });
    try {
      await conn.handshake();
    } catch (error) {
      conn.close();
      throw error;
    }
    return conn;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused || isLookupFailure(error)) throw error;
    throw new TlsHandshakeError(describeNetError(error), { cause: error });
  }
}

async function withDeadline(connecting: Promise<ByteConn>, timeoutMs: number): Promise<ByteConn> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Deno.errors.TimedOut(`no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([connecting, timeout]);
  } catch (error) {
    // A connection that completes after the deadline must still be closed.
    connecting.then((conn) => conn.close(), () => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
