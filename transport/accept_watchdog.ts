/**
 * Tells when a `node:net` or `node:tls` server stopped accepting.
 *
 * In Deno 2.9.6 such a server that meets EMFILE once stops accepting for
 * good, without an `error` event, and a burst of connections can make it
 * meet one (it accepts the whole queue before any refusal closes a
 * socket). Closing it and listening again heals it. So a listener that has
 * seen no connection for an interval connects to itself; if the kernel
 * takes that connection but the server does not hand it over in time, the
 * server has stopped.
 *
 * @module
 */

import type * as net from "node:net";
import { connect } from "node:net";

/** Hands an accepted socket on to the listener's own handling. */
export type TakeSocket = (socket: net.Socket) => void;

/** A connection to itself under way. */
interface SelfCheck {
  readonly socket: net.Socket;
  /** Its local port and address, known once it connected (Deno's node:net tells them only then). */
  port: number | undefined;
  address: string | undefined;
  answered: boolean;
  /** Sockets accepted before the port was known: one of them may be the check. */
  held: [net.Socket, TakeSocket][];
  /** Judges the check when its answer is late. */
  timer?: ReturnType<typeof setTimeout>;
  /** It was not even connected at the first deadline. */
  late: boolean;
}

/** Watches one listening server; see the module documentation. */
export class AcceptWatchdog {
  readonly #hostname: string;
  readonly #port: number;
  readonly #onStopped: () => void;
  readonly #dropOwn: (socket: net.Socket) => void;
  readonly #timeoutMs: number;
  readonly #timer: ReturnType<typeof setInterval>;
  #sawConnection = false;
  #check: SelfCheck | undefined;
  #closed = false;

  /**
   * Starts watching.
   *
   * @param address Where the server listens (a wildcard address is reached on loopback).
   * @param onStopped Called when the server was found not accepting.
   * @param timing How often to check a quiet server, and how long its answer may take.
   * @param dropOwn Closes the server's end of the watchdog's own connection
   *   (a TLS server wants it closed without a handshake error).
   */
  constructor(
    address: { hostname: string; port: number },
    onStopped: () => void,
    timing: { intervalMs: number; timeoutMs: number },
    dropOwn: (socket: net.Socket) => void = (socket) => socket.destroy(),
  ) {
    this.#hostname = selfAddress(address.hostname);
    this.#port = address.port;
    this.#onStopped = onStopped;
    this.#dropOwn = dropOwn;
    this.#timeoutMs = timing.timeoutMs;
    this.#timer = setInterval(() => this.#tick(), timing.intervalMs);
    Deno.unrefTimer(this.#timer);
  }

  /**
   * Takes every socket the server accepted: the watchdog's own connection
   * is closed here, any other goes to `take` (at once, or, for a socket
   * from the check's own address while the check's port is not known yet,
   * a moment later: on loopback the check connects within a millisecond or
   * so, long before a client's TLS handshake can finish).
   */
  accepted(socket: net.Socket, take: TakeSocket): void {
    const check = this.#check;
    if (check === undefined) return this.#take(socket, take);
    if (check.port === undefined) {
      if (unmapped(socket.remoteAddress) !== this.#hostname) return this.#take(socket, take);
      return void check.held.push([socket, take]);
    }
    if (!isCheck(check, socket)) return this.#take(socket, take);
    check.answered = true;
    this.#dropOwn(socket);
    this.#finish(check);
  }

  /** Stops watching; sockets held for a check are handed on. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#check) this.#finish(this.#check);
  }

  #take(socket: net.Socket, take: TakeSocket): void {
    this.#sawConnection = true;
    take(socket);
  }

  #tick(): void {
    if (this.#closed || this.#check !== undefined) return;
    if (this.#sawConnection) {
      this.#sawConnection = false;
      return;
    }
    const socket = connect(this.#port, this.#hostname);
    const check: SelfCheck = {
      socket,
      port: undefined,
      address: undefined,
      answered: false,
      held: [],
      late: false,
    };
    this.#check = check;
    socket.on("error", (error: Error & { code?: string }) => {
      if (this.#check !== check) return;
      this.#finish(check);
      // Refused: nothing listens there any more (a reopening that failed). Any
      // other error is ours (short of descriptors, say): try again next time.
      if (error.code === "ECONNREFUSED") this.#stopped();
    });
    socket.once("connect", () => {
      check.port = socket.localPort;
      check.address = socket.localAddress;
      for (const [held, take] of check.held.splice(0)) this.accepted(held, take);
    });
    const judge = () => {
      if (this.#check !== check) return;
      if (check.port === undefined && !check.late) {
        // Not even connected: a full accept queue drops the check's SYN, but
        // so might a stalled event loop; wait as long again before judging.
        check.late = true;
        check.timer = setTimeout(judge, this.#timeoutMs);
        return;
      }
      // Connected and never handed over, or the queue is full: stopped.
      this.#finish(check);
      this.#stopped();
    };
    check.timer = setTimeout(judge, this.#timeoutMs);
  }

  #stopped(): void {
    if (!this.#closed) this.#onStopped();
  }

  #finish(check: SelfCheck): void {
    if (this.#check !== check) return;
    this.#check = undefined;
    clearTimeout(check.timer);
    check.socket.destroy();
    for (const [held, take] of check.held.splice(0)) this.#take(held, take);
  }
}

/** Whether an accepted socket is the check's own connection. */
function isCheck(check: SelfCheck, socket: net.Socket): boolean {
  return socket.remotePort === check.port &&
    unmapped(socket.remoteAddress) === unmapped(check.address ?? socket.remoteAddress);
}

/** Where a listener on `hostname` reaches itself: loopback for the wildcard addresses. */
function selfAddress(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "::1";
  return hostname;
}

/** An address without the `::ffff:` of an IPv4 address seen through IPv6. */
function unmapped(address: string | undefined): string | undefined {
  return address?.startsWith("::ffff:") ? address.slice(7) : address;
}
