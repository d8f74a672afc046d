/**
 * A deliberately small HTTP/1.1 server for the operator's endpoints
 * (`/metrics`, `/healthz`) and the web page: one request per connection,
 * then close, or a hand-over of the connection for a WebSocket upgrade.
 *
 * `Deno.serve` has no header timeout and no connection cap, and an accept
 * error inside it (out of file descriptors) rejects where nothing can catch
 * it and ends the process. Here every connection must send its request head
 * within a timeout and a size limit, at most so many are open at once, and
 * accept errors are logged and survived, as on the chat listeners.
 *
 * @module
 */

import type { ByteConn } from "./line_connection.ts";
import { writeAll } from "./bytes.ts";
import { closeQuietly, isPeerGone } from "./net_errors.ts";

/** A request, as far as the endpoints need it. */
export interface HttpRequest {
  /** `GET`, `HEAD`, …, as sent. */
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** The headers by lower-case name; a repeated header's values joined by `, `. */
  readonly headers: ReadonlyMap<string, string>;
  /** The TCP peer. */
  readonly peer: Deno.NetAddr;
  /** Whether it came over TLS. */
  readonly tls: boolean;
}

/**
 * Takes over a connection after its request head, for a WebSocket: the
 * server forgets the connection, and `rest` holds the bytes read after the head.
 */
export interface HttpUpgrade {
  readonly upgrade: (conn: ByteConn, rest: Uint8Array) => void;
}

/** What an endpoint answers. */
export interface HttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Options for {@linkcode HttpServer.listen}. */
export interface HttpServerOptions {
  /**
   * How long a connection may take to send its request head, in milliseconds.
   *
   * @default {5000}
   */
  headerTimeoutMs?: number;
  /**
   * Connections open at once; more are closed at accept.
   *
   * @default {16}
   */
  maxConnections?: number;
  /**
   * The largest request head, in bytes.
   *
   * @default {8192}
   */
  maxHeaderBytes?: number;
  /** Told about accept errors the server went on after. */
  onAcceptError?: (error: unknown) => void;
  /**
   * Asked for each connection as it is accepted: a slot to give back when
   * the request is done (or handed over), or `undefined` to close it at once.
   */
  admit?: (peer: Deno.NetAddr) => { release(): void } | undefined;
  /** Serve HTTPS with this certificate chain and key (PEM). */
  tls?: { cert: string; key: string };
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  403: "Forbidden",
  405: "Method Not Allowed",
  408: "Request Timeout",
  426: "Upgrade Required",
  431: "Request Header Fields Too Large",
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A listening endpoint server. */
export class HttpServer {
  readonly addr: Deno.NetAddr;
  readonly #listener: Deno.Listener;
  readonly #handler: (request: HttpRequest) => HttpResponse | HttpUpgrade;
  readonly #options: Required<Omit<HttpServerOptions, "onAcceptError" | "tls" | "admit">>;
  readonly #admit: HttpServerOptions["admit"];
  readonly #tls: boolean;
  readonly #onAcceptError: (error: unknown) => void;
  readonly #open = new Set<Promise<void>>();
  readonly #conns = new Set<Deno.Conn>();
  readonly #accepting: Promise<void>;
  #closed = false;

  private constructor(
    listener: Deno.Listener,
    handler: (request: HttpRequest) => HttpResponse | HttpUpgrade,
    options: HttpServerOptions,
  ) {
    this.#listener = listener;
    this.addr = listener.addr as Deno.NetAddr;
    this.#tls = options.tls !== undefined;
    this.#handler = handler;
    this.#options = {
      headerTimeoutMs: options.headerTimeoutMs ?? 5000,
      maxConnections: options.maxConnections ?? 16,
      maxHeaderBytes: options.maxHeaderBytes ?? 8192,
    };
    this.#onAcceptError = options.onAcceptError ?? (() => {});
    this.#admit = options.admit;
    this.#accepting = this.#acceptLoop();
  }

  /**
   * Starts listening.
   *
   * @param address Where.
   * @param handler Answers each request, or takes its connection over; it must not throw.
   * @param options Timeouts, caps and TLS.
   * @returns The server, listening.
   * @throws The listen error, such as `Deno.errors.AddrInUse`.
   */
  static listen(
    address: { hostname: string; port: number },
    handler: (request: HttpRequest) => HttpResponse | HttpUpgrade,
    options: HttpServerOptions = {},
  ): HttpServer {
    // Deno's TLS handshake happens at the first read, under the head's deadline.
    const listener = options.tls
      ? Deno.listenTls({ ...address, ...options.tls })
      : Deno.listen(address);
    return new HttpServer(listener, handler, options);
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listener.close();
    await this.#accepting;
    for (const conn of this.#conns) closeQuietly(conn);
    await Promise.all(this.#open);
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed) return;
        if (isPeerGone(error)) continue;
        this.#onAcceptError(error);
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (this.#conns.size >= this.#options.maxConnections) {
        closeQuietly(conn);
        continue;
      }
      const slot = this.#admit?.(conn.remoteAddr as Deno.NetAddr);
      if (this.#admit !== undefined && slot === undefined) {
        closeQuietly(conn);
        continue;
      }
      this.#conns.add(conn);
      const serving = this.#serve(conn).then((handedOver) => {
        this.#conns.delete(conn);
        this.#open.delete(serving);
        slot?.release();
        if (!handedOver) closeQuietly(conn);
      });
      this.#open.add(serving);
    }
  }

  /** Answers one request; true when an upgrade took the connection over. */
  async #serve(conn: Deno.Conn): Promise<boolean> {
    // Whatever the client does, the connection is closed by this deadline.
    const deadline = setTimeout(() => closeQuietly(conn), this.#options.headerTimeoutMs);
    try {
      const read = await this.#readHead(conn);
      const request = read === undefined
        ? undefined
        : parseRequest(read.head, conn.remoteAddr as Deno.NetAddr, this.#tls);
      const response = read === undefined
        ? { status: 431, body: "Request header too large\n" }
        : request === undefined
        ? { status: 400, body: "Bad request\n" }
        : this.#handler(request);
      if ("upgrade" in response) {
        clearTimeout(deadline);
        this.#conns.delete(conn);
        response.upgrade(conn, read!.rest);
        return true;
      }
      await writeAll(conn, encodeResponse(response, request?.method === "HEAD"));
      // Closing with unread bytes would reset the connection and lose the
      // answer: end the output, then let the client finish (by the deadline).
      await (conn as Deno.TcpConn).closeWrite();
      const sink = new Uint8Array(1024);
      while (await conn.read(sink) !== null) { /* discard the rest of the request */ }
    } catch {
      // Timed out, reset or closed: nothing to answer.
    } finally {
      clearTimeout(deadline);
    }
    return false;
  }

  /**
   * Reads until the blank line that ends the head.
   *
   * @returns The head, and the bytes read after it; `undefined` when it is too large.
   */
  async #readHead(conn: Deno.Conn): Promise<{ head: string; rest: Uint8Array } | undefined> {
    const buffer = new Uint8Array(this.#options.maxHeaderBytes);
    let length = 0;
    while (length < buffer.length) {
      const count = await conn.read(buffer.subarray(length));
      if (count === null) throw new Deno.errors.UnexpectedEof("closed before the request ended");
      length += count;
      const end = headEnd(buffer.subarray(0, length));
      if (end !== -1) {
        return { head: decoder.decode(buffer.subarray(0, end)), rest: buffer.slice(end, length) };
      }
    }
    return undefined;
  }
}

/** Where the head ends (after its blank line), or -1 when it has not ended yet. */
function headEnd(bytes: Uint8Array): number {
  for (let index = 1; index < bytes.length; index++) {
    if (bytes[index] !== 0x0a) continue;
    if (bytes[index - 1] === 0x0a) return index + 1;
    if (bytes[index - 1] === 0x0d && bytes[index - 2] === 0x0a) return index + 1;
  }
  return -1;
}

/**
 * Parses a request head: the request line and the headers.
 *
 * @returns The request, or `undefined` when the head is malformed.
 */
function parseRequest(head: string, peer: Deno.NetAddr, tls: boolean): HttpRequest | undefined {
  const lines = head.split(/\r?\n/);
  const match = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0] ?? "");
  if (!match) return undefined;
  const [, method = "", target = ""] = match;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const earlier = headers.get(name);
    headers.set(name, earlier === undefined ? value : `${earlier}, ${value}`);
  }
  return { method, path: target.split("?")[0]!, headers, peer, tls };
}

function encodeResponse(response: HttpResponse, headOnly: boolean): Uint8Array {
  const body = encoder.encode(response.body);
  const headers: Record<string, string> = {
    "content-type": "text/plain; charset=utf-8",
    ...response.headers,
    "content-length": String(body.length),
    "connection": "close",
  };
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? "Unknown"}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const head = encoder.encode(lines.join("\r\n") + "\r\n\r\n");
  if (headOnly) return head;
  const whole = new Uint8Array(head.length + body.length);
  whole.set(head);
  whole.set(body, head.length);
  return whole;
}
