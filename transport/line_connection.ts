/**
 * One client connection as the chat logic sees it: batches of bounded lines
 * in, queued bytes out, close. It hides whether the bytes travel over TCP
 * (a `Deno.Conn`), TLS (a `node:tls` socket behind {@linkcode ByteConn}) or
 * a WebSocket (`websocket_connection.ts`).
 *
 * @module
 */

import { type Frame, LineSplitter } from "../protocol/line_splitter.ts";
import { formatHostPort } from "../protocol/address.ts";
import { Outbox } from "./outbox.ts";

/** Where a connection counts its traffic; the server's metrics fit. */
export interface TrafficCounters {
  /** Bytes read from peers. */
  bytesReceived: number;
  /** Bytes written to peers. */
  bytesSent: number;
  /** The most bytes ever queued for one peer. */
  outboxHighWaterBytes: number;
}

/** What a line connection needs of a transport; `Deno.Conn` (TCP or TLS) has it. */
export type ByteConn = Pick<Deno.Conn, "read" | "write" | "close" | "remoteAddr">;

/** The small interface the chat logic talks to. */
export interface LineConnection {
  /** A number unique within this server process, for logs. */
  readonly id: number;
  /** The peer's address as `host:port`. */
  readonly remote: string;
  /**
   * Waits for the next bytes and splits them into frames.
   *
   * @returns The frames they complete (possibly none), or `null` at the end
   * of the stream or once the connection is closed.
   * @throws The transport's error, such as `Deno.errors.ConnectionReset`.
   */
  readFrames(): Promise<Frame[] | null>;
  /** Queues bytes; never blocks. See {@linkcode Outbox}. */
  send(bytes: Uint8Array): void;
  /** Resolves once everything sent so far is written, or never writable. */
  flushed(): Promise<void>;
  /**
   * Queues whatever ends the stream politely, after what is queued (a
   * WebSocket's close frame); nothing is sent after it. TCP needs none.
   *
   * @param clean Whether the session ended without an error.
   */
  finish?(clean: boolean): void;
  /** Closes at once, dropping unsent output. Safe to call twice. */
  close(): void;
  /** True once the stream was ended because a TLS handshake came to a plain port. */
  readonly sawTlsHandshake: boolean;
}

/** Options for {@linkcode ConnLineConnection}. */
export interface ConnLineConnectionOptions {
  /** Longest accepted line in bytes. */
  maxLineBytes: number;
  /** Outbound byte cap; see {@linkcode Outbox}. */
  maxQueuedBytes: number;
  /** Called when the peer stopped reading and the cap was hit. */
  onSlowReader: () => void;
  /**
   * End the stream at once if the first bytes are a TLS handshake: a TLS
   * client on a plain port would otherwise wait for the login timeout.
   */
  refuseTls?: boolean;
  /** Where bytes in and out are counted. */
  metrics?: TrafficCounters;
  /** The peer's real address when a trusted proxy told it; the socket's own by default. */
  peer?: { hostname: string; port: number };
  /** Bytes already read from the connection (after a PROXY header), handled before any read. */
  firstBytes?: Uint8Array;
  /** When the outbox writes; see the `schedule` option of {@linkcode Outbox}. */
  schedule?: (flush: () => void) => void;
}

// Every idle connection keeps a read buffer, so it starts small; a read that
// fills it shows a busy sender, whose buffer then grows (up to the maximum).
const FIRST_READ_BUFFER_BYTES = 512;
const MAX_READ_BUFFER_BYTES = 16 * 1024;

let nextId = 1;

/** A {@linkcode LineConnection} over a `Deno.Conn` (TCP or TLS) or the like. */
export class ConnLineConnection implements LineConnection {
  readonly id = nextId++;
  readonly remote: string;
  readonly #conn: ByteConn;
  readonly #splitter: LineSplitter;
  readonly #outbox: Outbox;
  #readBuffer = new Uint8Array(FIRST_READ_BUFFER_BYTES);
  readonly #metrics: TrafficCounters | undefined;
  #checkForTls: boolean;
  #firstBytes: Uint8Array | undefined;
  #closed = false;
  #sawTlsHandshake = false;

  /**
   * Wraps an accepted connection.
   *
   * @param conn The accepted connection; this object now owns it.
   * @param options Limits and the slow-reader callback.
   */
  constructor(conn: ByteConn, options: ConnLineConnectionOptions) {
    this.#conn = conn;
    this.remote = options.peer ? formatHostPort(options.peer) : describeAddress(conn.remoteAddr);
    if (options.firstBytes?.length) this.#firstBytes = options.firstBytes;
    this.#splitter = new LineSplitter({ maxLineBytes: options.maxLineBytes });
    this.#metrics = options.metrics;
    this.#checkForTls = options.refuseTls ?? false;
    const metrics = options.metrics;
    this.#outbox = new Outbox(conn, {
      maxQueuedBytes: options.maxQueuedBytes,
      onOverflow: options.onSlowReader,
      // A failed write means the peer is gone; the read side will see it too.
      onWriteError: () => this.close(),
      ...(metrics ? { onWritten: (count: number) => metrics.bytesSent += count } : {}),
      ...(options.schedule ? { schedule: options.schedule } : {}),
    });
  }

  get sawTlsHandshake(): boolean {
    return this.#sawTlsHandshake;
  }

  async readFrames(): Promise<Frame[] | null> {
    if (this.#closed) return null;
    const first = this.#firstBytes;
    this.#firstBytes = undefined;
    if (first !== undefined) return this.#split(first, first.length);
    let count: number | null;
    try {
      count = await this.#conn.read(this.#readBuffer);
    } catch (error) {
      if (this.#closed) return null; // our own close() interrupted the read
      throw error;
    }
    if (count === null) return null;
    if (this.#metrics) this.#metrics.bytesReceived += count;
    return this.#split(this.#readBuffer, count);
  }

  /** Splits the first `count` bytes of `buffer` into frames, or ends at a TLS handshake. */
  #split(buffer: Uint8Array, count: number): Frame[] | null {
    if (this.#checkForTls) {
      this.#checkForTls = false;
      if (looksLikeTlsHandshake(buffer, count)) {
        this.#sawTlsHandshake = true;
        return null;
      }
    }
    const frames = this.#splitter.push(buffer.subarray(0, count));
    if (buffer === this.#readBuffer && count === buffer.length && count < MAX_READ_BUFFER_BYTES) {
      // The splitter kept no reference to the old buffer.
      this.#readBuffer = new Uint8Array(Math.min(count * 4, MAX_READ_BUFFER_BYTES));
    }
    return frames;
  }

  send(bytes: Uint8Array): void {
    this.#outbox.send(bytes);
    const metrics = this.#metrics;
    if (metrics && this.#outbox.queuedBytes > metrics.outboxHighWaterBytes) {
      metrics.outboxHighWaterBytes = this.#outbox.queuedBytes;
    }
  }

  flushed(): Promise<void> {
    return this.#outbox.flushed();
  }

  /** Bytes sent but not yet written. */
  get queuedBytes(): number {
    return this.#outbox.queuedBytes;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outbox.close();
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime after a reset: nothing left to free.
    }
  }
}

/** A TLS record of type handshake (22), protocol version 3.x: a ClientHello. */
function looksLikeTlsHandshake(bytes: Uint8Array, count: number): boolean {
  return count >= 2 && bytes[0] === 0x16 && bytes[1] === 0x03;
}

function describeAddress(address: Deno.Addr): string {
  return address.transport === "tcp" ? formatHostPort(address) : address.transport;
}
