/**
 * A fake nanochat server that speaks the rooms protocol, to test the client
 * against PROTOCOL.md's "Rooms" section on its own. It accepts one client,
 * welcomes it, answers JOIN, SWITCH, PART, LIST, TOPIC and PING with the
 * documented lines, records everything the client sends, and lets the test
 * push any line. Every wait has a deadline.
 *
 * @module
 */

import { LINE_TIMEOUT_MS } from "../support/test_client.ts";

const DEFAULT_ROOM = "#lobby";
const encoder = new TextEncoder();

/** The fake server; dispose of it to close the listener and the connection. */
export class FakeRoomServer implements AsyncDisposable {
  /** Lines the client sent after its name, in order. */
  readonly received: string[] = [];
  readonly #listener: Deno.TcpListener;
  #conn: Deno.TcpConn | undefined;
  readonly #serving: Promise<void>;
  #wake: (() => void) | undefined;
  #ended = false;
  /** The rooms the client is in, in join order, and its current one. */
  readonly #rooms: string[] = [DEFAULT_ROOM];
  #current: string | undefined = DEFAULT_ROOM;
  readonly #topics = new Map<string, string>();

  private constructor(listener: Deno.TcpListener) {
    this.#listener = listener;
    this.#serving = this.#serve();
  }

  /** Listens on 127.0.0.1, on a free port. */
  static start(): FakeRoomServer {
    return new FakeRoomServer(Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  }

  /** The port to connect to. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Sends the client one line, once it is connected. */
  async push(line: string): Promise<void> {
    await this.#waitFor(() => this.#conn !== undefined, "the client to connect");
    await this.#write(line);
  }

  /** Waits until the client has sent `line`. */
  async waitForReceived(line: string): Promise<void> {
    await this.#waitFor(() => this.received.includes(line), JSON.stringify(line));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    try {
      this.#conn?.close();
    } catch {
      // Closed after the client's QUIT already.
    }
    await this.#serving;
  }

  async #serve(): Promise<void> {
    try {
      const conn = await this.#listener.accept();
      this.#conn = conn;
      this.#wake?.();
      let name: string | undefined;
      for await (const line of readLines(conn)) {
        if (name === undefined) {
          name = line;
          await this.#write(
            `NOTICE welcome: Welcome to nanochat 0.1.0, ${name}! 1 user online. Type HELP for commands.`,
          );
          continue;
        }
        this.received.push(line);
        this.#wake?.();
        if (!await this.#answer(name, line)) break;
      }
    } catch {
      // The listener or the connection was closed.
    } finally {
      this.#ended = true;
      this.#wake?.();
    }
  }

  /** Answers one command; false once the client has quit. */
  async #answer(name: string, line: string): Promise<boolean> {
    const space = line.indexOf(" ");
    const word = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const args = space === -1 ? "" : line.slice(space + 1).trim();
    const [first = "", ...more] = args.split(" ");
    const named = first.startsWith("#") ? first : undefined;
    const rest = (named === undefined ? args : more.join(" ")).trim();
    switch (word) {
      case "JOIN":
        if (!this.#rooms.includes(first)) this.#rooms.push(first);
        this.#current = first;
        return await this.#write(`${prefix(first)}NOTICE joined: You joined ${first}: 1 user`);
      case "SWITCH":
        if (!this.#rooms.includes(first)) {
          return await this.#write(`ERROR not-in-room: You are not in ${first}`);
        }
        this.#current = first;
        return await this.#write(`NOTICE current: ${first} is your current room`);
      case "PART": {
        const room = named ?? this.#current;
        if (room === undefined || !this.#rooms.includes(room)) {
          return await this.#write(`ERROR not-in-room: You are not in ${room}`);
        }
        this.#rooms.splice(this.#rooms.indexOf(room), 1);
        if (this.#current === room) this.#current = this.#rooms.at(-1);
        return await this.#write(`${prefix(room)}NOTICE parted: You left ${room}`);
      }
      case "LIST":
        for (const room of [...this.#rooms].sort()) {
          await this.#write(`LIST ${room} 1: ${this.#topics.get(room) ?? ""}`);
        }
        return await this.#write(`LIST END: ${this.#rooms.length} rooms`);
      case "TOPIC": {
        const room = named ?? this.#current ?? DEFAULT_ROOM;
        if (rest === "") {
          return await this.#write(`${prefix(room)}TOPIC: ${this.#topics.get(room) ?? ""}`);
        }
        this.#topics.set(room, rest);
        return await this.#write(`${prefix(room)}NOTICE topic: ${name} set the topic: ${rest}`);
      }
      case "PING":
        return await this.#write(args === "" ? "PONG" : `PONG ${args}`);
      case "QUIT":
        this.#conn?.close();
        return false;
      default:
        return true; // messages and SAY: nobody else to tell
    }
  }

  async #write(line: string): Promise<true> {
    const bytes = encoder.encode(line + "\n");
    for (let written = 0; written < bytes.length;) {
      written += await this.#conn!.write(bytes.subarray(written));
    }
    return true;
  }

  async #waitFor(ready: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + LINE_TIMEOUT_MS;
    while (!ready()) {
      const left = deadline - Date.now();
      if (this.#ended || left <= 0) {
        throw new Error(`Gave up waiting for ${what}; received: ${JSON.stringify(this.received)}`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }
}

/** `#room ` before a line about any room but the default one. */
function prefix(room: string): string {
  return room === DEFAULT_ROOM ? "" : `${room} `;
}

async function* readLines(conn: Deno.Conn): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  let pending = "";
  for (;;) {
    const count = await conn.read(buffer);
    if (count === null) return;
    pending += decoder.decode(buffer.subarray(0, count), { stream: true });
    let lf;
    while ((lf = pending.indexOf("\n")) !== -1) {
      yield pending.slice(0, lf);
      pending = pending.slice(lf + 1);
    }
  }
}
