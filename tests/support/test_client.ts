/**
 * A raw protocol client for tests: real TCP, bytes in and out exactly as
 * written, lines read as they arrive. Every wait has a deadline, so a broken
 * server fails a test instead of hanging it.
 *
 * @module
 */

import { connectFrom } from "./connect_from.ts";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** How long a test waits for a line before it fails. */
export const LINE_TIMEOUT_MS = 5_000;

/** What a test client needs of its connection. */
export type TestConn = Pick<Deno.TcpConn, "read" | "write" | "close" | "closeWrite">;

/** A test's connection to a server. */
export class TestClient {
  readonly conn: TestConn;
  readonly #lines: string[] = [];
  #ignored: RegExp | undefined;
  #ended = false;
  #endError: unknown;
  #wake: (() => void) | undefined;
  readonly #reading: Promise<void>;

  private constructor(conn: TestConn) {
    this.conn = conn;
    this.#reading = this.#readLoop();
  }

  /**
   * Connects to a server.
   *
   * @param port The server's port.
   * @param hostname The server's address.
   */
  static async connect(port: number, hostname = "127.0.0.1"): Promise<TestClient> {
    return new TestClient(await Deno.connect({ hostname, port }));
  }

  /**
   * Connects to a server on 127.0.0.1 from another loopback address.
   *
   * @param port The server's port.
   * @param source The client's address, such as `127.0.0.2`.
   */
  static async connectFrom(port: number, source: string): Promise<TestClient> {
    return new TestClient(await connectFrom(port, source));
  }

  /**
   * Connects and sends a name as the first line.
   *
   * @param port The server's port.
   * @param name The username.
   */
  static async login(port: number, name: string): Promise<TestClient> {
    const client = await TestClient.connect(port);
    await client.send(name);
    return client;
  }

  /** Sends one line, adding LF. */
  send(line: string): Promise<void> {
    return this.sendBytes(encoder.encode(line + "\n"));
  }

  /** Sends bytes exactly as given. */
  async sendBytes(bytes: Uint8Array): Promise<void> {
    for (let written = 0; written < bytes.length;) {
      written += await this.conn.write(bytes.subarray(written));
    }
  }

  /**
   * Waits for the next line from the server.
   *
   * @returns The line without its LF, decoded as strict UTF-8 (invalid
   * UTF-8 from the server fails the test).
   */
  async readLine(timeoutMs = LINE_TIMEOUT_MS): Promise<string> {
    await this.#waitFor(() => this.#lines.length > 0, timeoutMs, "a line");
    return this.#lines.shift()!;
  }

  /** Reads `count` lines. */
  async readLines(count: number, timeoutMs = LINE_TIMEOUT_MS): Promise<string[]> {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(await this.readLine(timeoutMs));
    return lines;
  }

  /**
   * Waits until the server closes the connection.
   *
   * @returns The lines that arrived before the close and were not read.
   */
  async readUntilClosed(timeoutMs = LINE_TIMEOUT_MS): Promise<string[]> {
    await this.#waitFor(() => this.#ended, timeoutMs, "the server to close the connection");
    return this.#lines.splice(0);
  }

  /**
   * Drops received lines that match `pattern`, from now on and from those
   * already waiting; `undefined` keeps everything again.
   */
  ignore(pattern: RegExp | undefined): this {
    this.#ignored = pattern;
    if (pattern) this.#lines.splice(0, Infinity, ...this.#lines.filter((l) => !pattern.test(l)));
    return this;
  }

  /** Lines received and not yet read. */
  get unread(): readonly string[] {
    return this.#lines;
  }

  /** Closes the connection and waits for the reader to stop. */
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
    await this.#reading;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (this.#ended && !ready()) {
        throw new Error(`Connection ended while waiting for ${what}: ${String(this.#endError)}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`Timed out waiting for ${what}; unread: ${JSON.stringify(this.#lines)}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    let pending = new Uint8Array(0);
    try {
      for (;;) {
        const count = await this.conn.read(buffer);
        if (count === null) break;
        const bytes = new Uint8Array(pending.length + count);
        bytes.set(pending);
        bytes.set(buffer.subarray(0, count), pending.length);
        let start = 0;
        for (let lf = bytes.indexOf(10); lf !== -1; lf = bytes.indexOf(10, start)) {
          const line = strictDecoder.decode(bytes.subarray(start, lf));
          if (!this.#ignored?.test(line)) this.#lines.push(line);
          start = lf + 1;
        }
        pending = bytes.slice(start);
        this.#wake?.();
      }
    } catch (error) {
      this.#endError = error;
    } finally {
      this.#ended = true;
      this.#wake?.();
    }
  }
}
