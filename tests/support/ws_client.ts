/**
 * A WebSocket client over a raw TCP connection, for tests that need what a
 * browser will not do: choose the handshake's headers, send binary or
 * oversized frames, stop reading, and see the exact close code.
 *
 * @module
 */

import assert from "@nanochat/assert";
import { encodeClientFrame, Opcode } from "../../protocol/websocket_frames.ts";
import { LINE_TIMEOUT_MS } from "./test_client.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the server sent: a text message, or its close frame's code. */
export type ServerMessage =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "close"; readonly code: number };

/** The answer to a handshake: its status line and headers. */
export interface HandshakeAnswer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
}

/** A raw WebSocket client. */
export class RawWebSocket implements Disposable {
  readonly #conn: Deno.Conn;
  #buffer = new Uint8Array(0);
  #ended = false;
  /** Pongs received so far. */
  pongs = 0;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /**
   * Connects and sends the handshake.
   *
   * @param port The web port on 127.0.0.1.
   * @param headers Headers to add or replace (`Origin`, `X-Forwarded-For`…); `null` removes one.
   * @param caCerts Connect with TLS, trusting these CA certificates (PEM).
   * @returns The client and the server's answer.
   */
  static async open(
    port: number,
    headers: Record<string, string | null> = {},
    caCerts?: string[],
  ): Promise<{ socket: RawWebSocket; answer: HandshakeAnswer }> {
    const conn = caCerts
      ? await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts })
      : await Deno.connect({ hostname: "127.0.0.1", port });
    const socket = new RawWebSocket(conn);
    const all: Record<string, string | null> = {
      "Host": `127.0.0.1:${port}`,
      "Upgrade": "websocket",
      "Connection": "Upgrade",
      "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version": "13",
      ...headers,
    };
    const lines = ["GET /ws HTTP/1.1"];
    for (const [name, value] of Object.entries(all)) {
      if (value !== null) lines.push(`${name}: ${value}`);
    }
    await socket.#write(encoder.encode(lines.join("\r\n") + "\r\n\r\n"));
    return { socket, answer: await socket.#readHead() };
  }

  /** Sends one text message. */
  sendText(text: string): Promise<void> {
    return this.#write(encodeClientFrame(Opcode.Text, encoder.encode(text)));
  }

  /** Sends raw bytes (a hand-made frame). */
  sendBytes(bytes: Uint8Array): Promise<void> {
    return this.#write(bytes);
  }

  /**
   * Reads the next message the server sent, skipping pongs.
   *
   * @returns The message, or `undefined` when the connection ended without a close frame.
   */
  async next(): Promise<ServerMessage | undefined> {
    for (let reads = 0; reads < 10_000; reads++) {
      const frame = this.#takeFrame();
      if (frame !== undefined) {
        if (frame.opcode === Opcode.Pong) {
          this.pongs++;
          continue;
        }
        if (frame.opcode === Opcode.Close) {
          return { kind: "close", code: (frame.payload[0]! << 8) | frame.payload[1]! };
        }
        assert.equal(frame.opcode, Opcode.Text, "the server sends text frames only");
        return { kind: "text", text: decoder.decode(frame.payload) };
      }
      if (!await this.#fill()) return undefined;
    }
    throw new Error("no frame after 10,000 reads");
  }

  /** Logs in with `name` and returns the welcome, failing on anything else. */
  async login(name: string): Promise<Record<string, unknown>> {
    await this.sendText(name);
    const message = await this.next();
    assert.equal(message?.kind, "text", `login as ${name}: ${JSON.stringify(message)}`);
    const welcome = JSON.parse((message as { text: string }).text);
    assert.equal(welcome.type, "welcome", `login as ${name}: ${JSON.stringify(welcome)}`);
    return welcome;
  }

  /** Reads messages until one is JSON whose `type` (and `kind`, for events) matches. */
  async nextOf(type: string, kind?: string): Promise<Record<string, unknown>> {
    const seen: string[] = [];
    for (let count = 0; count < 1000; count++) {
      const message = await this.next();
      if (message?.kind !== "text") {
        throw new Error(`ended (${JSON.stringify(message)}) before a ${type}; saw ${seen}`);
      }
      seen.push(message.text);
      const object = JSON.parse(message.text);
      if (object.type === type && (kind === undefined || object.kind === kind)) return object;
    }
    throw new Error(`no ${type} in 1,000 messages`);
  }

  /** Reads until the close frame and returns its code; `undefined` if the connection just ended. */
  async closeCode(): Promise<number | undefined> {
    for (let count = 0; count < 10_000; count++) {
      const message = await this.next();
      if (message === undefined) return undefined;
      if (message.kind === "close") return message.code;
    }
    throw new Error("no close frame in 10,000 messages");
  }

  /** Whether the server closed the TCP connection (after whatever is still unread). */
  async ended(): Promise<boolean> {
    for (let reads = 0; reads < 100_000; reads++) {
      this.#buffer = new Uint8Array(0);
      if (!await this.#fill()) return true;
    }
    return false;
  }

  [Symbol.dispose](): void {
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
  }

  async #write(bytes: Uint8Array): Promise<void> {
    for (let written = 0; written < bytes.length;) {
      written += await this.#conn.write(bytes.subarray(written));
    }
  }

  /** Reads more bytes, within the line timeout; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    if (this.#ended) return false;
    const chunk = new Uint8Array(64 * 1024);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out reading")), LINE_TIMEOUT_MS);
    });
    let count: number | null;
    try {
      count = await Promise.race([this.#conn.read(chunk), timeout]);
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) count = null;
      else throw error;
    } finally {
      clearTimeout(timer);
    }
    if (count === null) {
      this.#ended = true;
      return false;
    }
    const joined = new Uint8Array(this.#buffer.length + count);
    joined.set(this.#buffer);
    joined.set(chunk.subarray(0, count), this.#buffer.length);
    this.#buffer = joined;
    return true;
  }

  async #readHead(): Promise<HandshakeAnswer> {
    for (let reads = 0; reads < 100; reads++) {
      const text = decoder.decode(this.#buffer);
      const end = text.indexOf("\r\n\r\n");
      if (end !== -1) {
        const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
        this.#buffer = this.#buffer.slice(encoder.encode(text.slice(0, end + 4)).length);
        const headers = new Map<string, string>();
        for (const line of lines) {
          const colon = line.indexOf(":");
          headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
        }
        return { status: Number(statusLine.split(" ")[1]), headers };
      }
      if (!await this.#fill()) throw new Error(`closed during the handshake: ${text}`);
    }
    throw new Error("no handshake answer");
  }

  /** Takes one whole server frame from the buffer, if there is one. */
  #takeFrame(): { opcode: number; payload: Uint8Array } | undefined {
    const bytes = this.#buffer;
    if (bytes.length < 2) return undefined;
    let length = bytes[1]! & 0x7f;
    let start = 2;
    if (length === 126) {
      if (bytes.length < 4) return undefined;
      length = (bytes[2]! << 8) | bytes[3]!;
      start = 4;
    } else if (length === 127) {
      if (bytes.length < 10) return undefined;
      length = new DataView(bytes.buffer, bytes.byteOffset + 6, 4).getUint32(0);
      start = 10;
    }
    if (bytes.length < start + length) return undefined;
    const frame = { opcode: bytes[0]! & 0x0f, payload: bytes.slice(start, start + length) };
    this.#buffer = bytes.slice(start + length);
    return frame;
  }
}
