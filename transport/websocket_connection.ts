/**
 * A {@linkcode LineConnection} over a WebSocket: the web page's front-end.
 * Each text message from the client is one line of the line protocol;
 * what the server sends is already framed by the JSON codec, so it goes
 * through the same {@linkcode Outbox} (with the same cap) as TCP output.
 *
 * The WebSocket is read here, from the raw connection, rather than with
 * Deno's `WebSocket`: that one accepts 63 MiB messages, buffers output
 * without bound, and cannot stop reading. This one holds at most one
 * message of `maxLineBytes`, and flood control stops reading the socket.
 *
 * @module
 */

import { formatHostPort } from "../protocol/address.ts";
import { type Frame, LineSplitter } from "../protocol/line_splitter.ts";
import {
  CloseCode,
  encodeCloseFrame,
  encodeFrame,
  Opcode,
  WebSocketFrameReader,
} from "../protocol/websocket_frames.ts";
import type { ByteConn, LineConnection, TrafficCounters } from "./line_connection.ts";
import { Outbox } from "./outbox.ts";

/** Options for {@linkcode WebSocketLineConnection}. */
export interface WebSocketLineConnectionOptions {
  /** The longest message (one line) in bytes; a longer one closes with 1009. */
  maxLineBytes: number;
  /** Outbound byte cap; see {@linkcode Outbox}. */
  maxQueuedBytes: number;
  /** Called when the peer stopped reading and the cap was hit. */
  onSlowReader: () => void;
  /** The client's address (from a trusted proxy's header, or the socket's). */
  peer: { hostname: string; port: number };
  /** Bytes read after the handshake's head, handled before any read. */
  firstBytes?: Uint8Array;
  /** Where bytes in and out are counted. */
  metrics?: TrafficCounters;
  /** When the outbox writes; see the `schedule` option of {@linkcode Outbox}. */
  schedule?: (flush: () => void) => void;
}

const LF = Uint8Array.of(0x0a);
const READ_BUFFER_BYTES = 4096;

let nextId = 1_000_000_000;

/** A WebSocket after its handshake, as the chat logic sees it. */
export class WebSocketLineConnection implements LineConnection {
  readonly id = nextId++;
  readonly remote: string;
  readonly sawTlsHandshake = false;
  readonly #conn: ByteConn;
  readonly #reader: WebSocketFrameReader;
  readonly #splitter: LineSplitter;
  readonly #outbox: Outbox;
  readonly #metrics: TrafficCounters | undefined;
  #readBuffer: Uint8Array | undefined;
  #firstBytes: Uint8Array | undefined;
  /** A close frame was queued: nothing more is sent or read. */
  #closeSent = false;
  #closed = false;

  /**
   * Wraps a connection whose handshake is done.
   *
   * @param conn The connection; this object now owns it.
   * @param options Limits, the peer and the slow-reader callback.
   */
  constructor(conn: ByteConn, options: WebSocketLineConnectionOptions) {
    this.#conn = conn;
    this.remote = formatHostPort(options.peer);
    this.#reader = new WebSocketFrameReader({ maxMessageBytes: options.maxLineBytes });
    // The message limit is the line limit: the splitter only splits at LF.
    this.#splitter = new LineSplitter({ maxLineBytes: options.maxLineBytes });
    this.#metrics = options.metrics;
    if (options.firstBytes?.length) this.#firstBytes = options.firstBytes;
    const metrics = options.metrics;
    this.#outbox = new Outbox(conn, {
      maxQueuedBytes: options.maxQueuedBytes,
      onOverflow: options.onSlowReader,
      onWriteError: () => this.close(),
      ...(metrics ? { onWritten: (count: number) => metrics.bytesSent += count } : {}),
      ...(options.schedule ? { schedule: options.schedule } : {}),
    });
  }

  async readFrames(): Promise<Frame[] | null> {
    if (this.#closed || this.#closeSent) return null;
    let bytes = this.#firstBytes;
    this.#firstBytes = undefined;
    if (bytes === undefined) {
      // Allocated at the first read: an idle connection waits with a small buffer.
      this.#readBuffer ??= new Uint8Array(READ_BUFFER_BYTES);
      let count: number | null;
      try {
        count = await this.#conn.read(this.#readBuffer);
      } catch (error) {
        if (this.#closed) return null;
        throw error;
      }
      if (count === null) return null;
      if (this.#metrics) this.#metrics.bytesReceived += count;
      bytes = this.#readBuffer.subarray(0, count);
    }
    const frames: Frame[] = [];
    for (const input of this.#reader.push(bytes)) {
      switch (input.kind) {
        case "text":
          // A message is a line; LF inside it splits it, as on TCP.
          frames.push(...this.#splitter.push(input.bytes), ...this.#splitter.push(LF));
          break;
        case "ping":
          this.#outbox.send(encodeFrame(Opcode.Pong, input.payload));
          break;
        case "pong":
          break;
        case "close":
          this.finish(true);
          return frames.length > 0 ? frames : null;
        case "fail":
          this.#sendClose(input.code, input.reason);
          return frames.length > 0 ? frames : null;
      }
    }
    return frames;
  }

  send(bytes: Uint8Array): void {
    if (this.#closeSent) return;
    this.#outbox.send(bytes);
    const metrics = this.#metrics;
    if (metrics && this.#outbox.queuedBytes > metrics.outboxHighWaterBytes) {
      metrics.outboxHighWaterBytes = this.#outbox.queuedBytes;
    }
  }

  flushed(): Promise<void> {
    return this.#outbox.flushed();
  }

  /**
   * Queues the close frame after what is queued: 1000 when `clean`, else
   * 1008 (the `error` event before it says why).
   */
  finish(clean: boolean): void {
    this.#sendClose(clean ? CloseCode.Normal : CloseCode.PolicyViolation, "");
  }

  #sendClose(code: number, reason: string): void {
    if (this.#closeSent || this.#closed) return;
    this.#outbox.send(encodeCloseFrame(code, reason));
    this.#closeSent = true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outbox.close();
    // After a close frame, end our side and read what the client still sends
    // (the rest of an oversized message) before closing: closing with unread
    // bytes resets the connection, and the browser would lose the close code.
    // At most a few at a time: a lingering connection holds a descriptor past its slot.
    if (this.#closeSent && "closeWrite" in this.#conn && lingering < MAX_LINGERING) {
      lingering++;
      void this.#linger().finally(() => lingering--);
    } else {
      closeConn(this.#conn);
    }
  }

  /** Half-closes, discards what comes for at most a while, then closes. */
  async #linger(): Promise<void> {
    const conn = this.#conn as ByteConn & { closeWrite(): Promise<void> };
    const timer = setTimeout(() => closeConn(conn), LINGER_MS);
    try {
      await conn.closeWrite();
      const sink = new Uint8Array(4096);
      for (let bytes = 0; bytes < LINGER_MAX_BYTES;) {
        const count = await conn.read(sink);
        if (count === null) break;
        bytes += count;
      }
    } catch {
      // Reset or closed meanwhile: nothing more to do.
    } finally {
      clearTimeout(timer);
      closeConn(conn);
    }
  }
}

/** How long, and how many bytes, a closing connection is read to let the close frame arrive. */
const LINGER_MS = 2000;
const LINGER_MAX_BYTES = 1024 * 1024;

/** Connections lingering at once, in the process (the server keeps descriptors for them). */
export const MAX_LINGERING = 32;
let lingering = 0;

function closeConn(conn: ByteConn): void {
  try {
    conn.close();
  } catch {
    // Already closed by the runtime after a reset.
  }
}
