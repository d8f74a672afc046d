/**
 * A connection's outbound queue, after ergo's `irc/socket.go`.
 *
 * Its contract:
 * 1. `send()` MUST NOT block or await: it queues and returns at once, so one
 *    slow reader never slows whoever is sending to it.
 * 2. The outbox MUST NOT reorder: bytes reach the writer in `send()` order.
 * 3. One flusher MUST write everything pending in one `write` call (looping
 *    only over partial writes), because a write per line costs ~10× more.
 *    When it starts is the scheduler's choice, but it MUST start at once
 *    when half the cap (or 64 KiB) is waiting, so the cap only ever counts
 *    bytes the reader was offered and did not take.
 * 4. Bytes not yet taken by the writer MUST stay under `maxQueuedBytes`; the
 *    `send()` that would pass it closes the outbox and reports an overflow,
 *    so a reader that stopped reading costs bounded memory.
 * 5. `send()` MUST NOT mutate or keep ownership of its bytes beyond the
 *    write, so one encoded broadcast line can be shared by every recipient;
 *    a batch joined from the same lines is shared the same way.
 *
 * @module
 */

/** Where an outbox writes: a `Deno.Conn` fits. */
export interface ByteWriter {
  /** Writes some prefix of `bytes`, resolving with how many were written. */
  write(bytes: Uint8Array): Promise<number>;
}

/** Options for {@linkcode Outbox}. */
export interface OutboxOptions {
  /**
   * The most bytes that may wait for the writer, including a write under way.
   *
   * @default {1048576}
   */
  maxQueuedBytes?: number;
  /** Called once, synchronously, when a `send()` would pass the cap. */
  onOverflow?: () => void;
  /** Called once when the writer fails; the outbox is closed by then. */
  onWriteError?: (error: unknown) => void;
  /** Called with the byte count of each completed write, for metrics. */
  onWritten?: (byteCount: number) => void;
  /**
   * Decides when a flush runs.
   *
   * @default {queueMicrotask} (once the current task is done)
   */
  schedule?: (flush: () => void) => void;
}

/** Queued bytes that start a scheduled flush at once. */
const EARLY_FLUSH_BYTES = 64 * 1024;

/** The outbound byte cap used when none is given: 1 MiB. */
export const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;

/** A per-connection send queue with a single flusher and a byte cap. */
export class Outbox {
  readonly #writer: ByteWriter;
  readonly #maxQueuedBytes: number;
  readonly #onOverflow: () => void;
  readonly #onWriteError: (error: unknown) => void;
  readonly #onWritten: ((byteCount: number) => void) | undefined;
  readonly #schedule: (flush: () => void) => void;
  readonly #earlyFlushBytes: number;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  /** A flush is scheduled or under way. */
  #flushing = false;
  /** The scheduled flush has not started yet. */
  #waiting = false;
  #closed = false;
  #idle: PromiseWithResolvers<void> | undefined;

  /**
   * Creates an outbox in front of a writer.
   *
   * @param writer Where the bytes go.
   * @param options The cap and the failure callbacks.
   */
  constructor(writer: ByteWriter, options: OutboxOptions = {}) {
    this.#writer = writer;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.#onOverflow = options.onOverflow ?? (() => {});
    this.#onWriteError = options.onWriteError ?? (() => {});
    this.#onWritten = options.onWritten;
    this.#schedule = options.schedule ?? queueMicrotask;
    this.#earlyFlushBytes = Math.min(EARLY_FLUSH_BYTES, this.#maxQueuedBytes / 2);
  }

  /** Bytes queued or being written. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** True once closed by `close()`, an overflow or a write error. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues bytes for the writer. Never blocks.
   *
   * @param bytes The bytes to send; must not be changed afterwards.
   * @returns False if the outbox is closed, or closed by this overflow.
   */
  send(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#queuedBytes + bytes.length > this.#maxQueuedBytes) {
      this.close();
      this.#onOverflow();
      return false;
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    if (!this.#flushing) {
      this.#flushing = true;
      this.#waiting = true;
      // Flush later (by default once the current task is done), so a burst
      // of sends is one write.
      this.#schedule(() => this.#startFlush());
    } else if (this.#waiting && this.#queuedBytes >= this.#earlyFlushBytes) {
      // Enough for an efficient write already: waiting longer would only
      // count bytes against the cap that the reader was never offered.
      this.#startFlush();
    }
    return true;
  }

  /**
   * Waits until everything sent so far is written, or the outbox is closed.
   *
   * @returns A promise that never rejects.
   */
  flushed(): Promise<void> {
    if (!this.#flushing || this.#closed) return Promise.resolve();
    this.#idle ??= Promise.withResolvers();
    return this.#idle.promise;
  }

  /** Drops whatever is queued and refuses further sends. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#settle();
  }

  #startFlush(): void {
    if (!this.#waiting) return; // started early already
    this.#waiting = false;
    void this.#flush();
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const batch = join(this.#queue);
        this.#queue = [];
        // One await per write call: this loop runs for every busy client
        // every round, so it stays one async frame.
        let written = await this.#writer.write(batch);
        while (written < batch.length && !this.#closed) {
          written += await this.#writer.write(batch.subarray(written));
        }
        this.#onWritten?.(written);
        if (!this.#closed) this.#queuedBytes -= batch.length;
      }
    } catch (error) {
      if (!this.#closed) {
        this.close();
        this.#onWriteError(error);
      }
    } finally {
      this.#flushing = false;
      this.#settle();
    }
  }

  #settle(): void {
    this.#idle?.resolve();
    this.#idle = undefined;
  }
}

/** The last batch {@linkcode join} made, shared while the next outbox queues the same chunks. */
let lastChunks: readonly Uint8Array[] = [];
let lastJoined: Uint8Array | undefined;

/**
 * Batches up to this size are kept for the next outbox: a round of broadcast
 * lines, or the batch an early flush writes (just over `EARLY_FLUSH_BYTES`),
 * which in a burst every recipient reaches at the same line.
 */
const SHARED_BATCH_BYTES = 4 * EARLY_FLUSH_BYTES;

/**
 * Joins queued chunks into one write. A broadcast queues the same encoded
 * bytes in every recipient's outbox, so in a busy round outbox after outbox
 * holds the same chunks in the same order: they then share one joined copy
 * (never changed, like the chunks), instead of a copy each.
 */
function join(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  if (lastJoined !== undefined && sameChunks(chunks, lastChunks)) return lastJoined;
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  if (length <= SHARED_BATCH_BYTES) {
    lastChunks = chunks;
    lastJoined = joined;
  }
  return joined;
}

function sameChunks(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) {
    if (a[index] !== b[index]) return false;
  }
  return true;
}
