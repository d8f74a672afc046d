/**
 * Splits a byte stream into LF-terminated lines without ever holding more
 * than one line's worth of bytes.
 *
 * std's `TextLineStream` has no length limit, so a client that never sends a
 * newline could make it buffer without end; this splitter stores at most
 * `maxLineBytes` bytes, reports an over-long line once, and skips the rest of
 * it up to the next LF. The result never depends on how TCP chunked the bytes.
 *
 * @module
 */

/** What {@linkcode LineSplitter.push} finds in the bytes it is given. */
export type Frame =
  /** A complete line, without its LF and without a CR right before the LF. */
  | { readonly kind: "line"; readonly bytes: Uint8Array }
  /** A line grew past the limit; its bytes up to the next LF are dropped. */
  | { readonly kind: "too-long" };

/** Options for {@linkcode LineSplitter}. */
export interface LineSplitterOptions {
  /**
   * The most bytes a line may hold, not counting its LF (a CR before the LF
   * counts).
   *
   * @default {4096}
   */
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** The line length limit used when none is given. */
export const DEFAULT_MAX_LINE_BYTES = 4096;

/**
 * A bounded, chunking-independent LF line splitter.
 *
 * @example Splitting bytes that arrive in arbitrary chunks
 * ```ts
 * import { LineSplitter } from "./line_splitter.ts";
 * import assert from "node:assert/strict";
 *
 * const splitter = new LineSplitter({ maxLineBytes: 8 });
 * const encoder = new TextEncoder();
 * const frames = [
 *   ...splitter.push(encoder.encode("al")),
 *   ...splitter.push(encoder.encode("ice\r\n*hi\n")),
 * ];
 * const decoder = new TextDecoder();
 * assert.deepEqual(
 *   frames.map((f) => f.kind === "line" ? decoder.decode(f.bytes) : f.kind),
 *   ["alice", "*hi"],
 * );
 * ```
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  /** Holds the unfinished line; allocated on first need, never grown. */
  #pending: Uint8Array | undefined;
  #pendingLength = 0;
  /** True while skipping the rest of an over-long line. */
  #discarding = false;

  /**
   * Creates a splitter.
   *
   * @param options The line length limit.
   */
  constructor(options: LineSplitterOptions = {}) {
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    }
    this.#maxLineBytes = maxLineBytes;
  }

  /** Bytes of an unfinished line currently held (never above the limit). */
  get bufferedBytes(): number {
    return this.#pendingLength;
  }

  /**
   * Feeds the next chunk of the stream.
   *
   * @param chunk Bytes as they came off the socket; not kept after the call.
   * @returns The frames completed by this chunk, in stream order.
   */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) {
        this.#take(chunk, start, chunk.length, frames);
        break;
      }
      if (this.#pendingLength === 0 && !this.#discarding) {
        // The common case: a whole line inside one chunk, copied out once.
        frames.push(lineFrame(chunk, start, lf, this.#maxLineBytes));
      } else {
        this.#take(chunk, start, lf, frames);
        this.#finishLine(frames);
      }
      start = lf + 1;
    }
    return frames;
  }

  /**
   * Forgets an unfinished line, as at the end of the stream: a line that never
   * got its LF was never sent.
   *
   * @returns The number of bytes dropped.
   */
  reset(): number {
    const dropped = this.#pendingLength;
    this.#pendingLength = 0;
    this.#discarding = false;
    return dropped;
  }

  /** Appends chunk[start, end) to the unfinished line, within the limit. */
  #take(chunk: Uint8Array, start: number, end: number, frames: Frame[]): void {
    if (this.#discarding || start === end) return;
    const room = this.#maxLineBytes - this.#pendingLength;
    const length = end - start;
    if (length > room) {
      this.#pendingLength = 0;
      this.#discarding = true;
      frames.push({ kind: "too-long" });
      return;
    }
    this.#pending ??= new Uint8Array(this.#maxLineBytes);
    this.#pending.set(chunk.subarray(start, end), this.#pendingLength);
    this.#pendingLength += length;
  }

  #finishLine(frames: Frame[]): void {
    if (this.#discarding) {
      this.#discarding = false;
      return;
    }
    frames.push(lineFrame(this.#pending!, 0, this.#pendingLength, this.#maxLineBytes));
    this.#pendingLength = 0;
  }
}

/** Copies bytes[start, end) out as a line, dropping a final CR. */
function lineFrame(bytes: Uint8Array, start: number, end: number, maxLineBytes: number): Frame {
  if (end - start > maxLineBytes) return { kind: "too-long" };
  if (end > start && bytes[end - 1] === CR) end--;
  return { kind: "line", bytes: bytes.slice(start, end) };
}
