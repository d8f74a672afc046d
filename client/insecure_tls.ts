/**
 * A TLS connection that does not check the server's certificate, for
 * `nanochat connect --insecure` (self-signed test servers).
 *
 * Deno's own `connectTls` always verifies the chain and has no per-connection
 * way out, so this goes through `node:tls` with `rejectUnauthorized: false`
 * and adapts its socket to the `read`/`write`/`close` shape a
 * {@linkcode ByteConn} has.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { isIP } from "node:net";
import * as tls from "node:tls";
import type { ByteConn } from "../server/line_connection.ts";

/** Stop taking data from the socket while this much waits to be read. */
const HIGH_WATER_BYTES = 64 * 1024;

/**
 * Connects with TLS, accepting any certificate.
 *
 * @param hostname The server's name, also sent as SNI.
 * @param port The server's port.
 * @returns The connection, once the handshake is done.
 */
export function connectInsecureTls(hostname: string, port: number): Promise<ByteConn> {
  return new Promise((resolve, reject) => {
    // SNI carries host names only, never IP addresses.
    const sni = isIP(hostname) === 0 ? { servername: hostname } : {};
    const socket = tls.connect({ host: hostname, port, ...sni, rejectUnauthorized: false });
    socket.once("secureConnect", () => {
      socket.off("error", reject);
      resolve(new NodeSocketConn(socket, hostname, port));
    });
    socket.once("error", reject);
  });
}

/** A node socket seen as a {@linkcode ByteConn}. */
class NodeSocketConn implements ByteConn {
  readonly remoteAddr: Deno.NetAddr;
  readonly #socket: tls.TLSSocket;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(socket: tls.TLSSocket, hostname: string, port: number) {
    this.#socket = socket;
    this.remoteAddr = { transport: "tcp", hostname: socket.remoteAddress ?? hostname, port };
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
    this.#error ??= error;
    this.#ended = true;
    this.#wakeReader();
  }

  #wakeReader(): void {
    this.#wake?.();
    this.#wake = undefined;
  }
}
