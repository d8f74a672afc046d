/**
 * The web page's {@linkcode Codec}: each event or reply becomes one JSON
 * object in one WebSocket text frame, ready to write. The objects are
 * specified in PROTOCOL.md ("The web page and its WebSocket").
 *
 * @module
 */

import { ERROR_CLOSES } from "./errors.ts";
import type { ChatEvent, Codec, Reply } from "./events.ts";
import { ACCOUNT_TEXTS } from "./line_codec.ts";
import { encodeFrame, Opcode } from "./websocket_frames.ts";

const encoder = new TextEncoder();

/**
 * An event's fields in a fixed order, under a type.
 *
 * @param type `event` for live events, `history` for replayed ones.
 * @param event The event.
 * @returns The object to serialise.
 */
function eventObject(type: "event" | "history", event: ChatEvent): Record<string, unknown> {
  const { id, time, room, kind, from, to, text } = event;
  return { type, id, time, room, kind, from, to, text };
}

/**
 * The JSON object a reply becomes.
 *
 * @param reply The reply.
 * @returns The object, with `type` first.
 *
 * @example
 * ```ts
 * import { replyObject } from "./json_codec.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(replyObject({ kind: "parted", room: "#rust" }), { type: "parted", room: "#rust" });
 * ```
 */
export function replyObject(reply: Reply): Record<string, unknown> {
  switch (reply.kind) {
    case "history":
      return eventObject("history", reply.event);
    case "error":
      return {
        type: "error",
        code: reply.error.code,
        text: reply.error.text,
        closes: ERROR_CLOSES[reply.error.code],
      };
    case "account":
      return {
        type: "account",
        notice: reply.notice,
        name: reply.name,
        text: ACCOUNT_TEXTS[reply.notice](reply.name),
      };
    default: {
      const { kind, ...fields } = reply;
      return { type: kind, ...fields };
    }
  }
}

/** Encodes an object as one text frame. */
function frame(object: Record<string, unknown>): Uint8Array {
  return encodeFrame(Opcode.Text, encoder.encode(JSON.stringify(object)));
}

/** The WebSocket's codec: JSON objects in text frames. */
export class JsonCodec implements Codec {
  event(event: ChatEvent, _toSender: boolean): Uint8Array {
    // The event says who it is from and to: both sides read it the same way.
    return frame(eventObject("event", event));
  }

  reply(reply: Reply): Uint8Array {
    return frame(replyObject(reply));
  }
}

/** The one JSON codec; it holds no state. */
export const jsonCodec: Codec = new JsonCodec();
