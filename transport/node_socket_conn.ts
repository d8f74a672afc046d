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

/** A node socket seen as a {@linkcode ByteConn}. */
export class NodeSocketConn implements ByteConn {
  readonly remoteAddr: Deno.NetAddr;
  readonly #socket: net.Socket;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

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
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(new Uint8Array(chunk));
      this.#buffered += chunk.length;
      if (this.#buffered > HIGH_WATER_BYTES) socket.pause();
      this.#wakeReader();
    });
    socket.on("end", () => this.#finish());
    socket.on("close", () => this.#finish());
    socket.on("error", (error: Error) => this.#finish(error));
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const chunk = this.#chunks[0];
    if (chunk === undefined) {
      if (this.#error) throw this.#error;
      return null;
    }
    const count = Math.min(buffer.length, chunk.length);
    buffer.set(chunk.subarray(0, count));
    if (count === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(count);
    this.#buffered -= count;
    if (this.#buffered <= HIGH_WATER_BYTES) this.#socket.resume();
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

  #finish(error?: Error): void {
    // Deno's own connections throw Deno.errors.ConnectionReset: so does this.
    const reset = (error as { code?: string } | undefined)?.code === "ECONNRESET";
    this.#error ??= reset ? new Deno.errors.ConnectionReset(error!.message) : error;
    this.#ended = true;
    this.#wakeReader();
  }

  #wakeReader(): void {
    this.#wake?.();
    this.#wake = undefined;
  }
}
