/**
 * Accepts TLS connections through `node:tls` rather than `Deno.listenTls`.
 *
 * Deno 2.9 closes a server-side TLS connection only after its handshake, so
 * a peer that connects and never speaks TLS could hold a socket for as long
 * as it likes, whatever the server does: a cheap way to exhaust file
 * descriptors. Node's TLS server drops such a socket at its handshake
 * timeout, and closes any socket at once when told to.
 *
 * @module
 */

import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import * as tls from "node:tls";
import type { ByteConn } from "./line_connection.ts";
import { NodeSocketConn } from "./node_socket_conn.ts";

/** Where and how to listen. */
export interface TlsListenOptions {
  hostname: string;
  port: number;
  /** PEM certificate chain. */
  cert: string;
  /** PEM private key. */
  key: string;
  /** A connection that has not finished its handshake by then is dropped. */
  handshakeTimeoutMs: number;
}

/** Told about a failed handshake (a plain client, an old protocol, …). */
export type HandshakeErrorHandler = (peer: string, error: Error) => void;

/** A listening TLS server that hands out connections after their handshake. */
export class TlsListener {
  readonly addr: Deno.NetAddr;
  /** Told about each failed handshake. */
  onHandshakeError: HandshakeErrorHandler | undefined;
  readonly #server: tls.Server;
  readonly #ready: ByteConn[] = [];
  #waiting: PromiseWithResolvers<ByteConn> | undefined;
  #closed = false;

  private constructor(server: tls.Server, addr: Deno.NetAddr) {
    this.#server = server;
    this.addr = addr;
    server.on("secureConnection", (socket: tls.TLSSocket) => {
      socket.setNoDelay(true);
      socket.setKeepAlive(true); // the OS finds peers that vanished without a FIN
      const conn = new NodeSocketConn(socket, { hostname: "", port: 0 });
      if (this.#waiting) {
        this.#waiting.resolve(conn);
        this.#waiting = undefined;
      } else {
        this.#ready.push(conn);
      }
    });
    server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
      this.onHandshakeError?.(`${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`, error);
      socket.destroy();
    });
  }

  /**
   * Starts listening.
   *
   * @param options Address, certificate and key, handshake timeout.
   * @returns The listener, once it listens.
   * @throws {Error} If the certificate or key is unusable, or the address
   * cannot be listened on (the error's `code`, such as `EADDRINUSE`, tells).
   */
  static listen(options: TlsListenOptions): Promise<TlsListener> {
    checkKeyPair(options.cert, options.key);
    const server = tls.createServer({
      cert: options.cert,
      key: options.key,
      handshakeTimeout: options.handshakeTimeoutMs,
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.hostname, () => {
        server.off("error", reject);
        const address = server.address() as { address: string; port: number };
        resolve(
          new TlsListener(server, {
            transport: "tcp",
            hostname: address.address,
            port: address.port,
          }),
        );
      });
    });
  }

  /**
   * Waits for the next connection whose handshake succeeded.
   *
   * @throws {Deno.errors.BadResource} Once the listener is closed.
   */
  accept(): Promise<ByteConn> {
    const next = this.#ready.shift();
    if (next) return Promise.resolve(next);
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("Listener closed"));
    this.#waiting = Promise.withResolvers();
    return this.#waiting.promise;
  }

  /** Stops listening; connections already accepted stay open. */
  close(): void {
    this.#closed = true;
    this.#server.close();
    for (const conn of this.#ready.splice(0)) conn.close();
    this.#waiting?.reject(new Deno.errors.BadResource("Listener closed"));
    this.#waiting = undefined;
  }
}

/**
 * Checks that the certificate parses and the key belongs to it: node's TLS
 * would only find out at the first handshake.
 *
 * @throws {Error} Saying what is wrong.
 */
function checkKeyPair(cert: string, key: string): void {
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new Error(`the certificate does not parse (${(error as Error).message})`);
  }
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new Error(`the key does not parse (${(error as Error).message})`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new Error("the key does not belong to the certificate");
  }
}
