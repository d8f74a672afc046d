/**
 * A deliberately small HTTP/1.1 server for the operator's endpoints
 * (`/metrics`, `/healthz`): one request per connection, then close.
 *
 * `Deno.serve` has no header timeout and no connection cap, and an accept
 * error inside it (out of file descriptors) rejects where nothing can catch
 * it and ends the process. Here every connection must send its request head
 * within a timeout and a size limit, at most so many are open at once, and
 * accept errors are logged and survived, as on the chat listeners.
 *
 * @module
 */

import { closeQuietly, isPeerGone } from "./net_errors.ts";

/** A request, as far as the endpoints need it. */
export interface HttpRequest {
  /** `GET`, `HEAD`, …, as sent. */
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
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
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A listening endpoint server. */
export class HttpServer {
  readonly addr: Deno.NetAddr;
  readonly #listener: Deno.TcpListener;
  readonly #handler: (request: HttpRequest) => HttpResponse;
  readonly #options: Required<Omit<HttpServerOptions, "onAcceptError">>;
  readonly #onAcceptError: (error: unknown) => void;
  readonly #open = new Set<Promise<void>>();
  readonly #conns = new Set<Deno.Conn>();
  readonly #accepting: Promise<void>;
  #closed = false;

  private constructor(
    listener: Deno.TcpListener,
    handler: (request: HttpRequest) => HttpResponse,
    options: HttpServerOptions,
  ) {
    this.#listener = listener;
    this.addr = listener.addr;
    this.#handler = handler;
    this.#options = {
      headerTimeoutMs: options.headerTimeoutMs ?? 5000,
      maxConnections: options.maxConnections ?? 16,
      maxHeaderBytes: options.maxHeaderBytes ?? 8192,
    };
    this.#onAcceptError = options.onAcceptError ?? (() => {});
    this.#accepting = this.#acceptLoop();
  }

  /**
   * Starts listening.
   *
   * @param address Where.
   * @param handler Answers each request; it must not throw.
   * @param options Timeouts and caps.
   * @returns The server, listening.
   * @throws The listen error, such as `Deno.errors.AddrInUse`.
   */
  static listen(
    address: { hostname: string; port: number },
    handler: (request: HttpRequest) => HttpResponse,
    options: HttpServerOptions = {},
  ): HttpServer {
    return new HttpServer(Deno.listen(address), handler, options);
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
      this.#conns.add(conn);
      const serving = this.#serve(conn).finally(() => {
        this.#conns.delete(conn);
        this.#open.delete(serving);
        closeQuietly(conn);
      });
      this.#open.add(serving);
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    // Whatever the client does, the connection is closed by this deadline.
    const deadline = setTimeout(() => closeQuietly(conn), this.#options.headerTimeoutMs);
    try {
      const head = await this.#readHead(conn);
      const request = head === undefined ? undefined : parseRequestLine(head);
      const response = head === undefined
        ? { status: 431, body: "Request header too large\n" }
        : request === undefined
        ? { status: 400, body: "Bad request\n" }
        : this.#handler(request);
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
  }

  /** Reads until the blank line that ends the head; `undefined` when it is too large. */
  async #readHead(conn: Deno.Conn): Promise<string | undefined> {
    const buffer = new Uint8Array(this.#options.maxHeaderBytes);
    let length = 0;
    while (length < buffer.length) {
      const count = await conn.read(buffer.subarray(length));
      if (count === null) throw new Deno.errors.UnexpectedEof("closed before the request ended");
      length += count;
      const text = decoder.decode(buffer.subarray(0, length));
      if (text.includes("\r\n\r\n") || text.includes("\n\n")) return text;
    }
    return undefined;
  }
}

function parseRequestLine(head: string): HttpRequest | undefined {
  const match = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r?\n/.exec(head);
  if (!match) return undefined;
  const [, method = "", target = ""] = match;
  return { method, path: target.split("?")[0]! };
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

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}
