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
export type ByteConn = Pick<Deno.Conn, "read" | "write" | "close" | "remoteAddr"> & {
  /**
   * Waits for the next bytes as they came, which the caller may keep;
   * `null` at the end of the stream. Where a transport has it, the line
   * connection keeps no read buffer of its own (see `NodeSocketConn`).
   */
  readChunk?(): Promise<Uint8Array | null>;
};

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

// Every idle connection keeps a read buffer, so it starts small (a login or a
// chat line mostly fits in 128 bytes); a read that fills it shows a busy
// sender, whose buffer then grows (up to the maximum).
const FIRST_READ_BUFFER_BYTES = 128;
const MAX_READ_BUFFER_BYTES = 16 * 1024;

let nextId = 1;

/** A {@linkcode LineConnection} over a `Deno.Conn` (TCP or TLS) or the like. */
export class ConnLineConnection implements LineConnection {
  readonly id = nextId++;
  readonly remote: string;
  readonly #conn: ByteConn;
  readonly #splitter: LineSplitter;
  readonly #outbox: Outbox;
  /** Made at the first `read()`: a transport with `readChunk()` needs none. */
  #readBuffer: Uint8Array | undefined;
  readonly #metrics: TrafficCounters | undefined;
  #checkForTls: boolean;
  #firstBytes: Uint8Array | undefined;
  /** What is left of a chunk split in pieces; see `#piece`. */
  #rest: Uint8Array | undefined;
  /** The last piece was a full one: let the event loop turn before the next. */
  #yieldFirst = false;
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
      ...(metrics ? { onWritten: sentCounter(metrics) } : {}),
      ...(options.schedule ? { schedule: options.schedule } : {}),
    });
  }

  get sawTlsHandshake(): boolean {
    return this.#sawTlsHandshake;
  }

  readFrames(): Promise<Frame[] | null> {
    if (this.#closed) return Promise.resolve(null);
    const first = this.#firstBytes;
    this.#firstBytes = undefined;
    if (first !== undefined) return Promise.resolve(this.#split(first, first.length));
    if (this.#conn.readChunk) return this.#readChunk();
    // Not an async function: every idle connection waits here, and a
    // suspended async function costs a generator and its registers on top.
    const buffer = this.#readBuffer ??= new Uint8Array(FIRST_READ_BUFFER_BYTES);
    return this.#conn.read(buffer).then(
      (count) => this.#afterRead(buffer, count),
      (error) => this.#readFailed(error),
    );
  }

  #afterRead(buffer: Uint8Array, count: number | null): Frame[] | null {
    if (count === null) return null;
    if (this.#metrics) this.#metrics.bytesReceived += count;
    return this.#split(buffer, count);
  }

  #readFailed(error: unknown): null {
    if (this.#closed) return null; // our own close() interrupted the read
    throw error;
  }

  /** Reads from a transport that hands over its chunks (see `ByteConn.readChunk`). */
  async #readChunk(): Promise<Frame[] | null> {
    if (this.#yieldFirst) {
      // As between two reads, let the event loop run (and writes finish) before the next piece.
      this.#yieldFirst = false;
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.#closed) return null;
    }
    const rest = this.#rest;
    if (rest !== undefined) {
      this.#rest = undefined;
      return this.#piece(rest);
    }
    let chunk: Uint8Array | null;
    try {
      chunk = await this.#conn.readChunk!();
    } catch (error) {
      return this.#readFailed(error);
    }
    if (chunk === null) return null;
    if (this.#metrics) this.#metrics.bytesReceived += chunk.length;
    return this.#piece(chunk);
  }

  /**
   * Splits a chunk the transport handed over, at most the largest read
   * buffer's worth at a time (node reads 64 KiB at once): a burst of lines
   * is handled in pieces with the event loop running in between, as reads
   * into a buffer would be, so the outboxes it fills get written meanwhile.
   */
  #piece(chunk: Uint8Array): Frame[] | null {
    if (chunk.length < MAX_READ_BUFFER_BYTES) return this.#split(chunk, chunk.length);
    // A full piece: a busy sender, whose next bytes (this chunk's rest, or
    // chunks node already read) wait for the event loop to turn once.
    this.#yieldFirst = true;
    if (chunk.length > MAX_READ_BUFFER_BYTES) this.#rest = chunk.subarray(MAX_READ_BUFFER_BYTES);
    return this.#split(chunk, MAX_READ_BUFFER_BYTES);
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

/** One `onWritten` per set of counters, shared by its connections: no closure per connection. */
const sentCounters = new WeakMap<TrafficCounters, (count: number) => void>();

function sentCounter(metrics: TrafficCounters): (count: number) => void {
  let counter = sentCounters.get(metrics);
  if (counter === undefined) {
    counter = (count: number) => metrics.bytesSent += count;
    sentCounters.set(metrics, counter);
  }
  return counter;
}
