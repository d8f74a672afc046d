/**
 * The runtime's floor: a fan-out server for the line protocol with no chat
 * logic at all (no rooms, limits, sanitising, history or metrics), the
 * least a Deno program can do to serve the bench's workloads. Measured
 * beside nanochat by the same load generator, it tells nanochat's own cost
 * from the runtime's (issue 15): where the floor is no closer to Redis than
 * nanochat, the gap is not in nanochat's code.
 *
 * A client's first line is its name, answered with `NOTICE welcome: name`;
 * `*text` goes to every other named client as `[name]: text`.
 *
 * Two socket APIs, the two Deno offers:
 * - `deno`: `Deno.listen`, each client written to at once when idle, what
 *   comes while a write is pending coalesced into the next one;
 * - `node`: `node:net`, every recipient corked while a message fans out and
 *   uncorked once the current task is done.
 *
 * Usage: deno run --allow-net bench/floor_server.ts PORT [deno|node]
 *
 * Not for use on a network: it trusts every byte it reads.
 *
 * @module
 */

import * as net from "node:net";
import { concatBytes } from "../transport/bytes.ts";

const encoder = new TextEncoder();

/** A client of the `deno` floor server. */
class DenoClient {
  name = "";
  readonly #conn: Deno.TcpConn;
  #pending: Uint8Array[] = [];
  #writing = false;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  send(bytes: Uint8Array): void {
    if (this.#writing) return void this.#pending.push(bytes);
    this.#writing = true;
    void this.#write(bytes);
  }

  async #write(bytes: Uint8Array): Promise<void> {
    try {
      for (;;) {
        for (let written = 0; written < bytes.length;) {
          written += await this.#conn.write(bytes.subarray(written));
        }
        if (this.#pending.length === 0) break;
        bytes = concatBytes(this.#pending);
        this.#pending = [];
      }
    } catch {
      // The peer is gone; its read side ends the client. Keep nothing for it.
      this.#pending = [];
    }
    this.#writing = false;
  }
}

/** Serves with `Deno.listen`; never returns. */
async function serveDeno(port: number): Promise<void> {
  const clients = new Set<DenoClient>();
  for await (const conn of Deno.listen({ hostname: "127.0.0.1", port })) {
    conn.setNoDelay(true);
    const client = new DenoClient(conn);
    clients.add(client);
    void (async () => {
      // Small, as nanochat's first read buffer: a 16 KiB buffer per connection cost
      // about 50 µs of CPU per login (BENCHMARKS.md), which no floor should carry.
      const buffer = new Uint8Array(512);
      // One decoder per client: a character split across reads stays with its client.
      const decoder = new TextDecoder();
      const lines = new LineReader();
      try {
        for (let count; (count = await conn.read(buffer)) !== null;) {
          lines.push(decoder.decode(buffer.subarray(0, count), { stream: true }), (line) => {
            const out = handleLine(client, line);
            if (out === "welcome") client.send(encoder.encode(`NOTICE welcome: ${client.name}\n`));
            else if (out) {
              for (const other of clients) if (other !== client && other.name) other.send(out);
            }
          });
        }
      } catch {
        // Reset by the peer.
      }
      clients.delete(client);
      conn.close();
    })();
  }
}

/** A client of the `node` floor server. */
interface NodeClient {
  name: string;
  socket: net.Socket;
  corked: boolean;
}

/** Serves with `node:net`. */
function serveNode(port: number): void {
  const clients = new Set<NodeClient>();
  const corked: NodeClient[] = [];
  const uncorkAll = () => {
    for (const client of corked.splice(0)) {
      client.corked = false;
      client.socket.uncork();
    }
  };
  net.createServer({ noDelay: true }, (socket) => {
    const client: NodeClient = { name: "", socket, corked: false };
    clients.add(client);
    const lines = new LineReader();
    socket.setEncoding("utf8");
    socket.on("data", (text: string) =>
      lines.push(text, (line) => {
        const out = handleLine(client, line);
        if (out === "welcome") return void socket.write(`NOTICE welcome: ${client.name}\n`);
        if (!out) return;
        if (corked.length === 0) queueMicrotask(uncorkAll);
        for (const other of clients) {
          if (other === client || !other.name) continue;
          if (!other.corked) {
            other.corked = true;
            other.socket.cork();
            corked.push(other);
          }
          other.socket.write(out);
        }
      }));
    socket.on("error", () => {});
    socket.on("close", () => clients.delete(client));
  }).listen(port, "127.0.0.1");
}

/**
 * What a line asks for: the welcome (the first line names the client), a
 * broadcast's bytes, or nothing.
 */
function handleLine(client: { name: string }, line: string): "welcome" | Uint8Array | undefined {
  if (client.name === "") {
    client.name = line;
    return "welcome";
  }
  return line.startsWith("*") ? encoder.encode(`[${client.name}]: ${line.slice(1)}\n`) : undefined;
}

/** Splits text into lines (LF or CRLF), keeping a partial line for the next push. */
class LineReader {
  #rest = "";

  push(text: string, onLine: (line: string) => void): void {
    const all = this.#rest + text;
    let start = 0;
    for (let end; (end = all.indexOf("\n", start)) !== -1; start = end + 1) {
      onLine(all.slice(start, all[end - 1] === "\r" ? end - 1 : end));
    }
    this.#rest = all.slice(start);
  }
}

if (import.meta.main) {
  const [portText, api = "deno"] = Deno.args;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || (api !== "deno" && api !== "node")) {
    // deno-lint-ignore no-console -- a bench tool's usage
    console.error("Usage: deno run --allow-net bench/floor_server.ts PORT [deno|node]");
    Deno.exit(2);
  }
  if (api === "node") serveNode(port);
  else await serveDeno(port);
}
