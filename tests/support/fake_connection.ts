/**
 * A {@linkcode LineConnection} with no network behind it, for unit tests of
 * sessions and users: the test pushes lines in and reads what was sent.
 *
 * @module
 */

import type { Frame } from "../../protocol/line_splitter.ts";
import type { LineConnection } from "../../transport/line_connection.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

let nextId = 1_000_000;

/** A line connection driven by the test. */
export class FakeConnection implements LineConnection {
  readonly id = nextId++;
  readonly remote = "127.0.0.1:40000";
  readonly sawTlsHandshake = false;
  /** Everything sent, one entry per `send()`. */
  readonly sent: string[] = [];
  closed = false;
  /** While true the client reads nothing: `flushed()` waits. */
  stalled = false;
  #flushWaiters: (() => void)[] = [];
  #frames: Frame[][] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  /** Delivers lines as if the client had sent them in one read. */
  push(...lines: string[]): void {
    this.#frames.push(lines.map((line) => ({ kind: "line", bytes: encoder.encode(line) })));
    this.#wake?.();
  }

  /** Ends the stream as if the client had closed it. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** The lines sent, without their LF. */
  get lines(): string[] {
    return this.sent.join("").split("\n").slice(0, -1);
  }

  async readFrames(): Promise<Frame[] | null> {
    while (this.#frames.length === 0 && !this.#ended && !this.closed) {
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    return this.#frames.shift() ?? null;
  }

  send(bytes: Uint8Array): void {
    if (!this.closed) this.sent.push(decoder.decode(bytes));
  }

  flushed(): Promise<void> {
    if (!this.stalled || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push(resolve));
  }

  /** The client reads again: whatever waited for a flush goes on. */
  resume(): void {
    this.stalled = false;
    for (const wake of this.#flushWaiters.splice(0)) wake();
  }

  close(): void {
    this.closed = true;
    this.#wake?.();
    for (const wake of this.#flushWaiters.splice(0)) wake();
  }
}
