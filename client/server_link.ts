/**
 * The client's side of the wire: connect with a deadline, log in, then
 * protocol lines both ways. Uses the server's {@linkcode ConnLineConnection},
 * so the client gets the same bounded reads (a hostile server cannot make it
 * buffer without end) and the same ordered, non-blocking sends.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../protocol/address.ts";
import { encodeLine } from "../protocol/replies.ts";
import { decodeUtf8 } from "../protocol/text.ts";
import { ConnLineConnection } from "../server/line_connection.ts";
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
  /** The server announced a shutdown before closing. */
  readonly shutdown: boolean;
}

/** An open, logged-in connection to a nanochat server. */
export class ServerLink {
  readonly address: string;
  readonly #connection: ConnLineConnection;
  #closed = false;
  #quitTimer: ReturnType<typeof setTimeout> | undefined;
  #keepAliveTimer: ReturnType<typeof setInterval> | undefined;

  private constructor(address: string, connection: ConnLineConnection) {
    this.address = address;
    this.#connection = connection;
  }

  /**
   * Connects and sends the name.
   *
   * @param address The server.
   * @param name The username to log in with.
   * @param timeoutMs How long to wait for the TCP connection.
   * @returns The open link.
   * @throws {Deno.errors.TimedOut} If the server did not answer in time.
   * @throws {Deno.errors.ConnectionRefused} And the other errors of
   * `Deno.connect`.
   */
  static async open(address: HostPort, name: string, timeoutMs: number): Promise<ServerLink> {
    const conn = await connectWithin(address, timeoutMs);
    conn.setNoDelay(true);
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
    try {
      for (;;) {
        const frames = await this.#connection.readFrames();
        if (frames === null) break;
        for (const frame of frames) {
          last = frame.kind === "line" ? decodeUtf8(frame.bytes) : DROPPED_LINE;
          await onLine(last);
        }
      }
    } catch {
      // A reset or similar: the connection is gone either way.
    }
    this.close();
    const rejected = last.match(/^ERROR name-(?:taken|invalid): (.*)$/s);
    return {
      ...(rejected ? { rejectedName: rejected[1]! } : {}),
      shutdown: last.startsWith("NOTICE shutdown:"),
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
    void this.flushed().then(() => {
      if (this.#closed) return;
      this.#quitTimer = setTimeout(() => this.close(), QUIT_GRACE_MS);
    });
  }

  /** Closes the connection. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#quitTimer);
    clearInterval(this.#keepAliveTimer);
    this.#connection.close();
  }
}

async function connectWithin(address: HostPort, timeoutMs: number): Promise<Deno.TcpConn> {
  const connecting = Deno.connect({ hostname: address.hostname, port: address.port });
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
