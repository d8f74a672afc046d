/**
 * WebSocket framing (RFC 6455, section 5) as the server needs it: a
 * bounded reader of what a client sends, and the encoding of what the
 * server sends back.
 *
 * Deno's own WebSocket accepts messages of up to 63 MiB and has no option
 * to lower that (denoland/deno#15809), so nanochat reads the frames itself:
 * the reader never holds more than one message of at most `maxMessageBytes`
 * (plus one control frame's 125 bytes), however the bytes arrive.
 *
 * @module
 */

/** The opcodes of RFC 6455, section 5.2. */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** Close codes of RFC 6455, section 7.4.1, that nanochat sends. */
export const CloseCode = {
  /** The session ended as it should (QUIT, shutdown). */
  Normal: 1000,
  /** A malformed or unmasked frame. */
  ProtocolError: 1002,
  /** A binary message: nanochat speaks text only. */
  UnsupportedData: 1003,
  /** The session ended because of an error (a refusal, a timeout, a flood). */
  PolicyViolation: 1008,
  /** A message longer than a chat line may be. */
  MessageTooBig: 1009,
} as const;

/** What {@linkcode WebSocketFrameReader.push} finds in the bytes it is given. */
export type WebSocketInput =
  /** A complete text message, put together from its fragments. */
  | { readonly kind: "text"; readonly bytes: Uint8Array }
  /** A ping; answer it with a pong carrying the same payload. */
  | { readonly kind: "ping"; readonly payload: Uint8Array }
  /** A pong; nothing to do. */
  | { readonly kind: "pong" }
  /** The client is closing. */
  | { readonly kind: "close"; readonly code: number | undefined }
  /** The client broke the protocol or a limit; close with `code`. Nothing follows. */
  | { readonly kind: "fail"; readonly code: number; readonly reason: string };

/** The longest payload a control frame may have (section 5.5). */
const MAX_CONTROL_PAYLOAD = 125;

/**
 * Reads client frames from a byte stream, whatever the chunking, holding
 * at most one message of the allowed size.
 *
 * @example
 * ```ts
 * import { encodeClientFrame, Opcode, WebSocketFrameReader } from "./websocket_frames.ts";
 * import assert from "node:assert/strict";
 *
 * const reader = new WebSocketFrameReader({ maxMessageBytes: 16 });
 * const frame = encodeClientFrame(Opcode.Text, new TextEncoder().encode("*hi"));
 * const inputs = [...reader.push(frame.subarray(0, 3)), ...reader.push(frame.subarray(3))];
 * assert.equal(inputs.length, 1);
 * assert.equal(inputs[0]!.kind, "text");
 * ```
 */
export class WebSocketFrameReader {
  readonly #maxMessageBytes: number;
  /** Bytes of the frame being read that do not make a whole frame yet. */
  #pending = new Uint8Array(0);
  /** The fragments of a text message whose last frame has not come. */
  #fragments: Uint8Array[] | undefined;
  #fragmentBytes = 0;
  #failed = false;

  /**
   * Creates a reader.
   *
   * @param options `maxMessageBytes`: the longest message accepted, fragments together.
   */
  constructor(options: { maxMessageBytes: number }) {
    this.#maxMessageBytes = options.maxMessageBytes;
  }

  /**
   * Takes the next bytes from the client.
   *
   * @param bytes The bytes; the reader copies what it keeps.
   * @returns What they complete, in order; after a `fail` or `close`, nothing more.
   */
  push(bytes: Uint8Array): WebSocketInput[] {
    if (this.#failed) return [];
    let data = bytes;
    if (this.#pending.length > 0) {
      data = new Uint8Array(this.#pending.length + bytes.length);
      data.set(this.#pending);
      data.set(bytes, this.#pending.length);
    }
    const inputs: WebSocketInput[] = [];
    let offset = 0;
    while (!this.#failed) {
      const frame = this.#readFrame(data, offset);
      if (frame === undefined) break;
      if ("fail" in frame) {
        inputs.push(this.#fail(frame.fail, frame.reason));
        break;
      }
      offset = frame.end;
      const input = this.#take(frame.opcode, frame.fin, frame.payload);
      if (input === undefined) continue;
      inputs.push(input);
      if (input.kind === "fail" || input.kind === "close") this.#failed = true;
    }
    this.#pending = this.#failed ? new Uint8Array(0) : data.slice(offset);
    return inputs;
  }

  /** Parses one frame at `offset`, unmasked; `undefined` when it has not all arrived. */
  #readFrame(
    data: Uint8Array,
    offset: number,
  ):
    | { opcode: number; fin: boolean; payload: Uint8Array; end: number }
    | { fail: number; reason: string }
    | undefined {
    if (data.length - offset < 2) return undefined;
    const first = data[offset]!;
    const second = data[offset + 1]!;
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    if ((first & 0x70) !== 0) return { fail: CloseCode.ProtocolError, reason: "reserved bits set" };
    if ((second & 0x80) === 0) return { fail: CloseCode.ProtocolError, reason: "unmasked frame" };
    let length = second & 0x7f;
    let header = 2;
    if (length === 126) {
      if (data.length - offset < 4) return undefined;
      length = (data[offset + 2]! << 8) | data[offset + 3]!;
      header = 4;
    } else if (length === 127) {
      if (data.length - offset < 10) return undefined;
      // Anything past 32 bits is far over every limit; the high bytes only need to be zero.
      for (let index = 2; index < 6; index++) {
        if (data[offset + index] !== 0) return { fail: CloseCode.MessageTooBig, reason: "too big" };
      }
      length = new DataView(data.buffer, data.byteOffset + offset + 6, 4).getUint32(0);
      header = 10;
    }
    const control = opcode >= 0x8;
    if (control && (length > MAX_CONTROL_PAYLOAD || !fin)) {
      return { fail: CloseCode.ProtocolError, reason: "bad control frame" };
    }
    if (!control && this.#fragmentBytes + length > this.#maxMessageBytes) {
      return { fail: CloseCode.MessageTooBig, reason: "message too big" };
    }
    const start = offset + header + 4;
    if (data.length < start + length) return undefined;
    const mask = data.subarray(offset + header, start);
    const payload = data.slice(start, start + length);
    for (let index = 0; index < payload.length; index++) payload[index]! ^= mask[index & 3]!;
    return { opcode, fin, payload, end: start + length };
  }

  /** What one whole frame means, given the fragments before it. */
  #take(opcode: number, fin: boolean, payload: Uint8Array): WebSocketInput | undefined {
    switch (opcode) {
      case Opcode.Ping:
        return { kind: "ping", payload };
      case Opcode.Pong:
        return { kind: "pong" };
      case Opcode.Close:
        return {
          kind: "close",
          code: payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : undefined,
        };
      case Opcode.Binary:
        return this.#fail(CloseCode.UnsupportedData, "binary messages are not accepted");
      case Opcode.Text:
        if (this.#fragments !== undefined) {
          return this.#fail(CloseCode.ProtocolError, "new message inside a fragmented one");
        }
        if (fin) return { kind: "text", bytes: payload };
        this.#fragments = [payload];
        this.#fragmentBytes = payload.length;
        return undefined;
      case Opcode.Continuation: {
        if (this.#fragments === undefined) {
          return this.#fail(CloseCode.ProtocolError, "continuation without a message");
        }
        this.#fragments.push(payload);
        this.#fragmentBytes += payload.length;
        if (!fin) return undefined;
        const bytes = concat(this.#fragments, this.#fragmentBytes);
        this.#fragments = undefined;
        this.#fragmentBytes = 0;
        return { kind: "text", bytes };
      }
      default:
        return this.#fail(CloseCode.ProtocolError, `unknown opcode ${opcode}`);
    }
  }

  #fail(code: number, reason: string): WebSocketInput {
    this.#failed = true;
    this.#fragments = undefined;
    return { kind: "fail", code, reason };
  }
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const whole = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}

/** The header of a frame of `length` payload bytes, unmasked. */
function frameHeader(opcode: number, length: number, masked: boolean): Uint8Array {
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) return Uint8Array.of(0x80 | opcode, maskBit | length);
  if (length < 0x10000) {
    return Uint8Array.of(0x80 | opcode, maskBit | 126, length >> 8, length & 0xff);
  }
  const header = new Uint8Array(10);
  header[0] = 0x80 | opcode;
  header[1] = maskBit | 127;
  new DataView(header.buffer).setUint32(6, length);
  return header;
}

/**
 * A whole, unfragmented frame as a server sends it (unmasked).
 *
 * @param opcode Such as {@linkcode Opcode.Text}.
 * @param payload The payload.
 * @returns Header and payload in one array.
 */
export function encodeFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const header = frameHeader(opcode, payload.length, false);
  const frame = new Uint8Array(header.length + payload.length);
  frame.set(header);
  frame.set(payload, header.length);
  return frame;
}

/**
 * A close frame with a code and a short reason.
 *
 * @param code Such as {@linkcode CloseCode.Normal}.
 * @param reason At most 123 bytes of UTF-8; longer is cut.
 * @returns The frame.
 */
export function encodeCloseFrame(code: number, reason = ""): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, MAX_CONTROL_PAYLOAD - 2);
  const payload = new Uint8Array(2 + text.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return encodeFrame(Opcode.Close, payload);
}

/**
 * A frame as a client sends it (masked), for tests and the load tester.
 *
 * @param opcode Such as {@linkcode Opcode.Text}.
 * @param payload The payload.
 * @param fin Whether it is the last frame of its message.
 * @param mask The 4-byte mask; fixed by default, which is fine on loopback.
 * @returns The frame.
 */
export function encodeClientFrame(
  opcode: number,
  payload: Uint8Array,
  fin = true,
  mask: Uint8Array = Uint8Array.of(0x12, 0x34, 0x56, 0x78),
): Uint8Array {
  const header = frameHeader(opcode, payload.length, true);
  if (!fin) header[0]! &= 0x7f;
  const frame = new Uint8Array(header.length + 4 + payload.length);
  frame.set(header);
  frame.set(mask, header.length);
  const start = header.length + 4;
  for (let index = 0; index < payload.length; index++) {
    frame[start + index] = payload[index]! ^ mask[index & 3]!;
  }
  return frame;
}
