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
      let pending = "";
      return {
        push(text, onPayload) {
          // The tester parses every delivery: this loop looks at each line in
          // place and copies out only payloads (about 4 times faster than
          // splitting every line and parsing it with parseServerLine).
          const all = pending + text;
          let start = 0;
          for (let lf = all.indexOf("\n"); lf !== -1; lf = all.indexOf("\n", start)) {
            const end = all.charCodeAt(lf - 1) === 13 ? lf - 1 : lf;
            const text = chatText(all, start, end, tag);
            if (text !== undefined) onPayload(text);
            else if (all.startsWith(WELCOME, start)) onPayload("w");
            start = lf + 1;
          }
          pending = all.slice(start);
        },
      };
    },
  };
}

/**
 * The text of a chat line `TAG[name]: text` found in `all` between `start`
 * and `end`, as `parseServerLine` reads a chat line (a name without `]`),
 * without copying anything else; `undefined` for any other line.
 */
export function chatText(all: string, start: number, end: number, tag = ""): string | undefined {
  if (tag !== "" && !all.startsWith(tag, start)) return undefined;
  const open = start + tag.length;
  if (all.charCodeAt(open) !== 91) return undefined; // "["
  const close = all.indexOf("]", open + 1);
  if (close === -1 || close + 3 > end || !all.startsWith(": ", close + 1)) return undefined;
  return all.slice(close + 3, end);
}

const JSON_MESSAGE = '{"type":"event",';
const JSON_TEXT = '"kind":"message","from":';
const JSON_WELCOME = '{"type":"welcome",';

/**
 * The payload in one WebSocket event of nanochat's JSON (a chat message's
 * `text`, which the tester's payloads keep free of quotes and escapes), `w`
 * for the welcome, else `undefined`; found in place, without `JSON.parse`.
 *
 * @example
 * ```ts
 * import { jsonPayload } from "./wire.ts";
 * import assert from "node:assert/strict";
 *
 * const event = '{"type":"event","id":"x-1","time":1,"room":"#lobby","kind":"message","from":"s","to":"","text":"b 0 1 2.5"}';
 * assert.equal(jsonPayload(event), "b 0 1 2.5");
 * ```
 */
export function jsonPayload(message: string): string | undefined {
  if (message.startsWith(JSON_WELCOME)) return "w";
  if (!message.startsWith(JSON_MESSAGE) || !message.includes(JSON_TEXT)) return undefined;
  const start = message.lastIndexOf('"text":"');
  if (start === -1 || !message.endsWith('"}')) return undefined;
  return message.slice(start + 8, -2);
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
      // A pushed message is *3, $7, message, $N, channel, $N, payload. Lines
      // are looked at in place; only payloads are copied out.
      let pending = "";
      let linesToPayload = -1;
      return {
        push(text, onPayload) {
          const all = pending + text;
          let start = 0;
          for (let lf = all.indexOf("\n"); lf !== -1; lf = all.indexOf("\n", start)) {
            const end = all.charCodeAt(lf - 1) === 13 ? lf - 1 : lf;
            if (linesToPayload > 0 && --linesToPayload === 0) {
              linesToPayload = -1;
              onPayload(all.slice(start, end));
            } else if (end - start === 7 && all.startsWith("message", start)) {
              linesToPayload = 4; // $N, channel, $N, payload
            } else if (end - start === 9 && all.startsWith("subscribe", start)) {
              onPayload("w"); // the subscription is confirmed: the welcome,
              onPayload("p"); // and ready, like a probe
            }
            start = lf + 1;
          }
          pending = all.slice(start);
        },
      };
    },
  };
}

/** A payload's fields: `b SENDER SEQUENCE SENT_AT_MS`. */
export interface Payload {
  sender: number;
  sequence: number;
  sentAt: number;
}

/**
 * Reads a payload without splitting it: the tester reads millions.
 *
 * @param text What a receiver got.
 * @returns The fields, or `undefined` if it is not a well-formed payload.
 */
export function parsePayload(text: string): Payload | undefined {
  if (text.charCodeAt(0) !== 98 || text.charCodeAt(1) !== 32) return undefined; // "b "
  let at = 2;
  const integer = () => {
    const first = at;
    let value = 0;
    for (let code = text.charCodeAt(at); code >= 48 && code <= 57; code = text.charCodeAt(++at)) {
      value = value * 10 + code - 48;
    }
    return at > first && at - first < 16 ? value : -1;
  };
  const sender = integer();
  if (sender < 0 || text.charCodeAt(at++) !== 32) return undefined;
  const sequence = integer();
  if (sequence < 0 || text.charCodeAt(at++) !== 32) return undefined;
  const sentAt = Number(text.slice(at));
  if (at === text.length || !Number.isFinite(sentAt)) return undefined;
  return { sender, sequence, sentAt };
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
