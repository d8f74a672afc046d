/**
 * Accepts TLS connections through `node:tls` rather than `Deno.listenTls`.
 *
 * Deno 2.9 closes a server-side TLS connection only after its handshake, so
 * a peer that connects and never speaks TLS could hold a socket for as long
 * as it likes, whatever the server does: a cheap way to exhaust file
 * descriptors. Node's TLS server drops such a socket at its handshake
 * timeout, and closes any socket at once when told to.
 *
 * But in Deno 2.9.6 a `node:tls` server that meets EMFILE once stops
 * accepting for good; an {@linkcode AcceptWatchdog} finds out, and the
 * listener closes the server and listens again.
 *
 * @module
 */

import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import type * as net from "node:net";
import * as tls from "node:tls";
import type { ByteConn } from "./line_connection.ts";
import { NodeSocketConn } from "./node_socket_conn.ts";
import { AcceptWatchdog } from "./accept_watchdog.ts";

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
  /**
   * Asked for each TCP connection as it arrives, before the handshake, so
   * connections that never finish it count against the limits too.
   */
  admit?: (ip: string, port: number) => TlsAdmission;
}

/**
 * The answer to `admit`: a function that gives the place back when the
 * socket closes, or a refusal, which the server explains to the client
 * after the handshake (see {@linkcode TlsConn.refusal}).
 */
export type TlsAdmission = { readonly release: () => void } | { readonly refusal: unknown };

/** A connection after its handshake. */
export interface TlsConn extends ByteConn {
  /** Set when `admit` refused it: tell the client why, then close. */
  readonly refusal?: unknown;
}

/**
 * Refused connections allowed to finish their handshake at once, to be told
 * why; past that they are closed before it, so refusals cannot hold
 * descriptors either.
 */
const MAX_REFUSED_IN_HANDSHAKE = 16;

/** A quiet listener checks every this often that it still accepts (see `AcceptWatchdog`). */
const SELF_CHECK = { intervalMs: 2_000, timeoutMs: 1_000 };

/** Told about a failed handshake (a plain client, an old protocol, …). */
export type HandshakeErrorHandler = (peer: string, error: Error) => void;

/** A listening TLS server that hands out connections after their handshake. */
export class TlsListener {
  readonly addr: Deno.NetAddr;
  /** Told about each failed handshake. */
  onHandshakeError: HandshakeErrorHandler | undefined;
  /** Told when the listener had stopped accepting and was opened again. */
  onReopened: (() => void) | undefined;
  #server: tls.Server;
  readonly #options: TlsListenOptions;
  readonly #watchdog: AcceptWatchdog;
  #reopening = false;
  readonly #ready: TlsConn[] = [];
  readonly #refused = new Map<string, unknown>();
  /** Sockets whose handshake is not done: closed with the listener. */
  readonly #handshaking = new Set<net.Socket>();
  readonly #refusedSockets = new WeakSet<object>();
  /** Each socket's peer as it arrived: a destroyed socket no longer knows it. */
  readonly #peers = new WeakMap<object, string>();
  #waiting: PromiseWithResolvers<TlsConn> | undefined;
  #closed = false;

  private constructor(server: tls.Server, addr: Deno.NetAddr, options: TlsListenOptions) {
    this.#server = server;
    this.addr = addr;
    this.#options = options;
    this.#watchdog = new AcceptWatchdog(addr, () => void this.#reopen(), SELF_CHECK, (socket) => {
      this.#refusedSockets.add(socket); // its handshake's failure is not a client's
      socket.destroy();
    });
    this.#attach(server);
  }

  /** Handles a server's connections and handshakes. */
  #attach(server: tls.Server): void {
    const admit = this.#options.admit;
    const take = (socket: net.Socket) => {
      if (socket.destroyed) return; // gone while the watchdog held it
      const peer = peerKey(socket);
      this.#peers.set(socket, peer);
      this.#handshaking.add(socket);
      socket.once("close", () => this.#handshaking.delete(socket));
      const admission = admit?.(socket.remoteAddress ?? "", socket.remotePort ?? 0) ??
        { release: () => {} };
      if ("release" in admission) {
        socket.once("close", admission.release);
        return;
      }
      // Refused: counted by `admit`, so its handshake's fate is not counted again.
      this.#refusedSockets.add(socket);
      if (this.#refused.size < MAX_REFUSED_IN_HANDSHAKE) {
        this.#refused.set(peer, admission.refusal);
        socket.once("close", () => this.#refused.delete(peer));
      } else {
        socket.destroy();
      }
    };
    server.on("connection", (socket: net.Socket) => this.#watchdog.accepted(socket, take));
    server.on("secureConnection", (socket: tls.TLSSocket) => {
      const raw = parentOf(socket);
      this.#handshaking.delete(raw as net.Socket);
      if (this.#closed) return void socket.destroy();
      socket.setNoDelay(true);
      socket.setKeepAlive(true); // the OS finds peers that vanished without a FIN
      const conn: TlsConn = Object.assign(new NodeSocketConn(socket, { hostname: "", port: 0 }), {
        refusal: this.#refused.get(this.#peers.get(raw) ?? peerKey(socket)),
      });
      if (this.#waiting) {
        this.#waiting.resolve(conn);
        this.#waiting = undefined;
      } else {
        this.#ready.push(conn);
      }
    });
    server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
      const raw = parentOf(socket);
      if (!this.#refusedSockets.has(raw)) {
        const peer = this.#peers.get(raw) ??
          `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
        this.onHandshakeError?.(peer, error);
      }
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
  static async listen(options: TlsListenOptions): Promise<TlsListener> {
    checkKeyPair(options.cert, options.key);
    const server = await listenTls(options, options.port);
    const address = server.address() as { address: string; port: number };
    return new TlsListener(server, {
      transport: "tcp",
      hostname: address.address,
      port: address.port,
    }, options);
  }

  /** Closes the server that stopped accepting and listens again on the same address. */
  async #reopen(): Promise<void> {
    if (this.#closed || this.#reopening) return;
    this.#reopening = true;
    if (this.#server.listening) this.#server.close();
    try {
      const server = await listenTls(this.#options, this.addr.port);
      if (this.#closed) return void server.close();
      this.#server = server;
      this.#attach(server);
      this.onReopened?.();
    } catch {
      // The port was taken meanwhile, or descriptors are short: the next
      // check is refused, and tries again.
    } finally {
      this.#reopening = false;
    }
  }

  /**
   * Waits for the next connection whose handshake succeeded.
   *
   * @throws {Deno.errors.BadResource} Once the listener is closed.
   */
  accept(): Promise<TlsConn> {
    const next = this.#ready.shift();
    if (next) return Promise.resolve(next);
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("Listener closed"));
    this.#waiting = Promise.withResolvers();
    return this.#waiting.promise;
  }

  /** Stops listening; connections already accepted stay open. */
  close(): void {
    this.#closed = true;
    this.#watchdog.close();
    this.#server.close();
    for (const conn of this.#ready.splice(0)) conn.close();
    for (const socket of this.#handshaking) socket.destroy();
    this.#handshaking.clear();
    this.#waiting?.reject(new Deno.errors.BadResource("Listener closed"));
    this.#waiting = undefined;
  }
}

/** A TLS server listening on the options' host and the given port. */
function listenTls(options: TlsListenOptions, port: number): Promise<tls.Server> {
  const server = tls.createServer({
    cert: options.cert,
    key: options.key,
    handshakeTimeout: options.handshakeTimeoutMs,
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, options.hostname, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/** The TCP socket under a TLS socket (node keeps it as `_parent`). */
function parentOf(socket: tls.TLSSocket): object {
  return (socket as unknown as { _parent?: object })._parent ?? socket;
}

/** Tells live connections apart: their peer's address and port. */
function peerKey(socket: net.Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
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
