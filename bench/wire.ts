/**
 * How the load test speaks to each kind of server: nanochat's line protocol
 * (any server that speaks it, the original Go one included) or Redis
 * pub/sub, so both are measured by the same tool with the same workload.
 *
 * A payload is `b SENDER SEQUENCE SENT_AT_MS`; a probe is `p`. Receivers hand
 * every payload they find to the caller, and `w` for the server's welcome
 * (nanochat's welcome notice, Redis's subscription confirmation);
 * everything else is skipped.
 *
 * @module
 */

import { parseServerLine } from "../protocol/server_lines.ts";

/** Which server the load test drives. */
export type BenchProtocolName = "nanochat" | "redis";

/** Finds payloads in a connection's text as it arrives. */
export interface PayloadParser {
  /**
   * Takes the next chunk of text.
   *
   * @param text Decoded text, split anywhere.
   * @param onPayload Called with each payload found, in order.
   */
  push(text: string, onPayload: (payload: string) => void): void;
}

/** One protocol's side of the load test. */
export interface BenchProtocol {
  readonly name: BenchProtocolName;
  /** What a receiver sends first: log in, or subscribe. */
  receiverHello(index: number): string;
  /** What a sender sends first. */
  senderHello(index: number): string;
  /** One message carrying `payload`. */
  message(payload: string): string;
  /** A parser for what a receiver gets. */
  parser(): PayloadParser;
}

const CHANNEL = "nanochat-bench";
const WELCOME = "NOTICE welcome:";

/** Splits text into CRLF- or LF-terminated lines, keeping the unfinished rest. */
class LineBuffer {
  #pending = "";

  lines(text: string, onLine: (line: string) => void): void {
    const all = this.#pending + text;
    let start = 0;
    for (let lf = all.indexOf("\n"); lf !== -1; lf = all.indexOf("\n", start)) {
      onLine(all.charCodeAt(lf - 1) === 13 ? all.slice(start, lf - 1) : all.slice(start, lf));
      start = lf + 1;
    }
    this.#pending = all.slice(start);
  }
}

/**
 * nanochat's protocol: names as first lines, `*payload`, payloads in
 * `[name]: payload`; in a room other than the lobby, everyone joins it
 * after logging in, and its lines start with the room.
 *
 * @param room The room to talk in; the lobby when absent.
 * @returns The driver.
 */
export function nanochatProtocol(room?: string): BenchProtocol {
  const join = room === undefined ? "" : `JOIN ${room}\n`;
  const tag = room === undefined ? "" : `${room} `;
  // Names stay unique when several rooms are driven at once.
  const suffix = room === undefined ? "" : `-${room.slice(1)}`;
  return {
    name: "nanochat",
    receiverHello: (index) => `bench-r${index}${suffix}\n${join}`,
    senderHello: (index) => `bench-s${index}${suffix}\n${join}`,
    message: (payload) => `*${payload}\n`,
    parser() {
      const buffer = new LineBuffer();
      return {
        push(text, onPayload) {
          buffer.lines(text, (line) => {
            if (line.startsWith(WELCOME)) return onPayload("w");
            // Only live chat lines; a look at the first bytes spares the
            // parser the many lines that cannot be one.
            if (!line.startsWith(tag) || line.charCodeAt(tag.length) !== 91) return; // "["
            const parsed = parseServerLine(line.slice(tag.length));
            if (parsed.kind === "chat") onPayload(parsed.text);
          });
        },
      };
    },
  };
}

/**
 * Redis pub/sub: SUBSCRIBE and PUBLISH on one channel, in RESP.
 *
 * @param room A channel of its own for this room; one shared channel when absent.
 * @returns The driver.
 */
export function redisProtocol(room?: string): BenchProtocol {
  const channel = room === undefined ? CHANNEL : `${CHANNEL}${room}`;
  return {
    name: "redis",
    receiverHello: () => resp(["SUBSCRIBE", channel]),
    senderHello: () => "",
    message: (payload) => resp(["PUBLISH", channel, payload]),
    parser() {
      // A pushed message is *3, $7, message, $N, channel, $N, payload.
      const buffer = new LineBuffer();
      let linesToPayload = -1;
      return {
        push(text, onPayload) {
          buffer.lines(text, (line) => {
            if (linesToPayload > 0 && --linesToPayload === 0) {
              linesToPayload = -1;
              onPayload(line);
            } else if (line === "message") {
              linesToPayload = 4; // $N, channel, $N, payload
            } else if (line === "subscribe") {
              onPayload("w"); // the subscription is confirmed: the welcome,
              onPayload("p"); // and ready, like a probe
            }
          });
        },
      };
    },
  };
}

function resp(parts: string[]): string {
  return `*${parts.length}\r\n${
    parts.map((part) => `$${byteLength(part)}\r\n${part}\r\n`).join("")
  }`;
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * The protocol driver for a name.
 *
 * @param name `nanochat` or `redis`.
 * @param room A room (a channel for Redis) to talk in; the lobby when absent.
 * @returns Its driver.
 */
export function benchProtocol(name: BenchProtocolName, room?: string): BenchProtocol {
  return name === "redis" ? redisProtocol(room) : nanochatProtocol(room);
}
