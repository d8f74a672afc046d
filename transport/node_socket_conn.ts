/**
 * A `node:net` or `node:tls` socket seen as a {@linkcode ByteConn}, so the
 * line connection that serves Deno's own connections serves it too. Used
 * where Deno's TLS falls short: a client that skips certificate checks, and
 * a server that must close connections which never finish their handshake.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type * as net from "node:net";
import type { ByteConn } from "./line_connection.ts";

/** Stop taking data from the socket while this much waits to be read. */
const HIGH_WATER_BYTES = 64 * 1024;

/** Where a socket keeps its {@linkcode NodeSocketConn}, for the shared listeners. */
const OWNER = Symbol("NodeSocketConn");

type OwnedSocket = net.Socket & { [OWNER]: NodeSocketConn };

/** A node socket seen as a {@linkcode ByteConn}. */
export class NodeSocketConn implements ByteConn {
  readonly remoteAddr: Deno.NetAddr;
  readonly #socket: net.Socket;
  /** Chunks that came while nobody was reading; made when first needed. */
  #chunks: Uint8Array[] | undefined;
  #buffered = 0;
  #paused = false;
  #ended = false;
  #error: Error | undefined;
  #waiter: PromiseWithResolvers<Uint8Array | null> | undefined;

  /**
   * Adapts a connected socket.
   *
   * @param socket The socket, TLS or plain; this object now owns it.
   * @param peer The peer's address, where the socket does not know it.
   */
  constructor(socket: net.Socket, peer: { hostname: string; port: number }) {
    this.#socket = socket;
    this.remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? peer.hostname,
      port: socket.remotePort ?? peer.port,
    };
    // The same four listeners for every socket (node calls them with the
    // socket as `this`): no closures per connection.
    (socket as OwnedSocket)[OWNER] = this;
    socket.on("data", NodeSocketConn.#onData);
    socket.on("end", NodeSocketConn.#onEnd);
    socket.on("close", NodeSocketConn.#onEnd);
    socket.on("error", NodeSocketConn.#onError);
  }

  static #onData(this: OwnedSocket, chunk: Buffer): void {
    this[OWNER].#received(chunk);
  }

  static #onEnd(this: OwnedSocket): void {
    this[OWNER].#finish();
  }

  static #onError(this: OwnedSocket, error: Error): void {
    this[OWNER].#finish(error);
  }

  /**
   * Waits for the next bytes the peer sent, as they came; cheaper than
   * {@linkcode NodeSocketConn.read}, which copies them into a buffer.
   *
   * @returns The bytes (the caller may keep them), or `null` at the end of the stream.
   * @throws The socket's error; `Deno.errors.ConnectionReset` for a reset.
   */
  readChunk(): Promise<Uint8Array | null> {
    try {
      const taken = this.#take();
      if (taken !== undefined) return Promise.resolve(taken);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#waiter = Promise.withResolvers();
    return this.#waiter.promise;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    const chunk = await this.readChunk();
    if (chunk === null) return null;
    const count = Math.min(buffer.length, chunk.length);
    buffer.set(chunk.subarray(0, count));
    if (count < chunk.length) {
      (this.#chunks ??= []).unshift(chunk.subarray(count));
      this.#buffered += chunk.length - count;
    }
    return count;
  }

  write(bytes: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (error) => error ? reject(error) : resolve(bytes.length));
    });
  }

  close(): void {
    this.#socket.destroy();
    this.#finish();
  }

  #received(chunk: Buffer): void {
    // A view, not a copy: node never reuses a buffer it emitted.
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    const waiter = this.#waiter;
    if (waiter !== undefined && this.#buffered === 0) {
      this.#waiter = undefined;
      return waiter.resolve(bytes);
    }
    (this.#chunks ??= []).push(bytes);
    this.#buffered += bytes.length;
    if (this.#buffered > HIGH_WATER_BYTES && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
    this.#wakeReader();
  }

  /** The next chunk; `null` at the end; `undefined` while there is none yet. */
  #take(): Uint8Array | null | undefined {
    const chunk = this.#chunks?.shift();
    if (chunk !== undefined) {
      this.#buffered -= chunk.length;
      if (this.#paused && this.#buffered <= HIGH_WATER_BYTES) {
        this.#paused = false;
        this.#socket.resume();
      }
      return chunk;
    }
    if (!this.#ended) return undefined;
    if (this.#error) throw this.#error;
    return null;
  }

  #finish(error?: Error): void {
    // Deno's own connections throw Deno.errors.ConnectionReset: so does this.
    const reset = (error as { code?: string } | undefined)?.code === "ECONNRESET";
    this.#error ??= reset ? new Deno.errors.ConnectionReset(error!.message) : error;
    this.#ended = true;
    this.#wakeReader();
  }

  #wakeReader(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    this.#waiter = undefined;
    try {
      waiter.resolve(this.#take()!);
    } catch (error) {
      waiter.reject(error);
    }
  }
}
