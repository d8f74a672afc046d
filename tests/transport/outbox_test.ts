import assert from "@nanochat/assert";
import { type ByteWriter, DEFAULT_MAX_QUEUED_BYTES, Outbox } from "../../transport/outbox.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Takes every write in full at once and records what each call got. */
class RecordingWriter implements ByteWriter {
  readonly calls: string[] = [];

  write(bytes: Uint8Array): Promise<number> {
    this.calls.push(text(bytes));
    return Promise.resolve(bytes.length);
  }
}

/** Records each write and holds it until the test releases it. */
class HeldWriter implements ByteWriter {
  readonly calls: string[] = [];
  #held: { length: number; resolve: (written: number) => void }[] = [];
  #arrived: (() => void) | undefined;

  write(bytes: Uint8Array): Promise<number> {
    this.calls.push(text(bytes));
    const { promise, resolve } = Promise.withResolvers<number>();
    this.#held.push({ length: bytes.length, resolve });
    this.#arrived?.();
    this.#arrived = undefined;
    return promise;
  }

  /** Resolves once a write call is being held. */
  held(): Promise<void> {
    if (this.#held.length > 0) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#arrived = resolve;
    return promise;
  }

  /** Completes the oldest held write, taking all its bytes. */
  release(): void {
    const write = this.#held.shift();
    if (write === undefined) throw new Error("No write is being held");
    write.resolve(write.length);
  }
}

/** Takes at most three bytes per call, like a socket with a full buffer. */
class PartialWriter implements ByteWriter {
  readonly offered: number[] = [];
  readonly taken: number[] = [];

  write(bytes: Uint8Array): Promise<number> {
    const taken = bytes.subarray(0, 3);
    this.offered.push(bytes.length);
    this.taken.push(...taken);
    return Promise.resolve(taken.length);
  }
}

/** Keeps the very byte arrays it is given. */
class KeepingWriter implements ByteWriter {
  readonly writes: Uint8Array[] = [];
  write(bytes: Uint8Array): Promise<number> {
    this.writes.push(bytes);
    return Promise.resolve(bytes.length);
  }
}

/** Fails every write. */
class FailingWriter implements ByteWriter {
  readonly error = new Error("Connection reset");
  calls = 0;

  write(): Promise<number> {
    this.calls++;
    return Promise.reject(this.error);
  }
}

/** Whether the promise settles once the microtasks already due have run. */
async function settlesNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  for (let turn = 0; turn < 10; turn++) await Promise.resolve();
  return settled;
}

Deno.test("Outbox.send() turns a synchronous burst into one write, in order", async () => {
  const writer = new RecordingWriter();
  const outbox = new Outbox(writer);
  const lines = Array.from({ length: 100 }, (_, index) => `line ${index}\n`);
  for (const line of lines) assert.equal(outbox.send(encoder.encode(line)), true);
  assert.deepEqual(writer.calls, [], "send() wrote before returning");
  await outbox.flushed();
  assert.deepEqual(writer.calls, [lines.join("")]);
});

Deno.test("Outbox.send() during a write queues for the next single write", async () => {
  const writer = new HeldWriter();
  const outbox = new Outbox(writer);
  outbox.send(encoder.encode("a\n"));
  await writer.held();
  outbox.send(encoder.encode("b\n"));
  outbox.send(encoder.encode("c\n"));
  outbox.send(encoder.encode("d\n"));
  assert.deepEqual(writer.calls, ["a\n"]);
  writer.release();
  await writer.held();
  assert.deepEqual(writer.calls, ["a\n", "b\nc\nd\n"]);
  writer.release();
  await outbox.flushed();
  assert.deepEqual(writer.calls, ["a\n", "b\nc\nd\n"]);
});

Deno.test("Outbox.send() keeps send() order across many batches", async () => {
  const writer = new HeldWriter();
  const outbox = new Outbox(writer);
  const sent: string[] = [];
  let next = 0;
  const sendLines = (count: number) => {
    for (let index = 0; index < count; index++) {
      const line = `${next++}\n`;
      sent.push(line);
      outbox.send(encoder.encode(line));
    }
  };
  sendLines(1);
  for (let batch = 1; batch <= 10; batch++) {
    await writer.held();
    sendLines(batch);
    writer.release();
  }
  await writer.held();
  writer.release();
  await outbox.flushed();
  assert.equal(writer.calls.length, 11);
  assert.equal(writer.calls.join(""), sent.join(""));
});

Deno.test("Outbox.send() loops over partial writes until every byte is taken in order", async () => {
  const writer = new PartialWriter();
  const outbox = new Outbox(writer);
  outbox.send(encoder.encode("hello\n"));
  outbox.send(encoder.encode("world\n"));
  await outbox.flushed();
  outbox.send(encoder.encode("again\n"));
  await outbox.flushed();
  assert.equal(decoder.decode(Uint8Array.from(writer.taken)), "hello\nworld\nagain\n");
  // Each call is offered exactly what the previous calls left.
  assert.deepEqual(writer.offered, [12, 9, 6, 3, 6, 3]);
  assert.equal(outbox.queuedBytes, 0);
});

Deno.test("Outbox.queuedBytes counts bytes being written until the write completes", async () => {
  const writer = new HeldWriter();
  const outbox = new Outbox(writer);
  assert.equal(outbox.queuedBytes, 0);
  outbox.send(new Uint8Array(5));
  assert.equal(outbox.queuedBytes, 5);
  await writer.held();
  assert.equal(outbox.queuedBytes, 5, "bytes under way still count");
  outbox.send(new Uint8Array(3));
  assert.equal(outbox.queuedBytes, 8);
  writer.release();
  await writer.held();
  assert.equal(outbox.queuedBytes, 3);
  writer.release();
  await outbox.flushed();
  assert.equal(outbox.queuedBytes, 0);
});

Deno.test("Outbox.send() that would pass maxQueuedBytes closes the outbox once", async () => {
  const writer = new HeldWriter();
  let overflows = 0;
  const outbox = new Outbox(writer, { maxQueuedBytes: 10, onOverflow: () => overflows++ });
  assert.equal(outbox.send(encoder.encode("123456")), true);
  await writer.held();
  assert.equal(outbox.send(encoder.encode("7890")), true, "reaching the cap is allowed");
  assert.equal(outbox.queuedBytes, 10);
  assert.equal(overflows, 0);

  assert.equal(outbox.send(encoder.encode("!")), false);
  assert.equal(outbox.closed, true);
  assert.equal(overflows, 1);
  assert.equal(outbox.queuedBytes, 0);

  assert.equal(outbox.send(encoder.encode("x")), false);
  assert.equal(outbox.send(new Uint8Array()), false);
  assert.equal(overflows, 1);

  writer.release();
  await outbox.flushed();
  assert.deepEqual(writer.calls, ["123456"], "only the write under way went out");
});

Deno.test("Outbox.send() calls onOverflow synchronously", () => {
  let overflowed = false;
  const outbox = new Outbox(new RecordingWriter(), {
    maxQueuedBytes: 2,
    onOverflow: () => overflowed = true,
  });
  assert.equal(outbox.send(new Uint8Array(3)), false);
  assert.equal(overflowed, true);
  assert.equal(outbox.closed, true);
});

Deno.test("Outbox() caps the queue at DEFAULT_MAX_QUEUED_BYTES by default", async () => {
  assert.equal(DEFAULT_MAX_QUEUED_BYTES, 1024 * 1024);
  const writer = new RecordingWriter();
  const full = new Outbox(writer);
  assert.equal(full.send(new Uint8Array(DEFAULT_MAX_QUEUED_BYTES)), true);
  await full.flushed();
  const overfull = new Outbox(writer);
  assert.equal(overfull.send(new Uint8Array(DEFAULT_MAX_QUEUED_BYTES - 1)), true);
  assert.equal(overfull.send(new Uint8Array(2)), false);
  assert.equal(overfull.closed, true);
  await overfull.flushed();
  assert.equal(writer.calls.length, 1);
});

Deno.test("Outbox closes and calls onWriteError once when the writer fails", async () => {
  const writer = new FailingWriter();
  const errors: unknown[] = [];
  const outbox = new Outbox(writer, { onWriteError: (error) => errors.push(error) });
  outbox.send(encoder.encode("a\n"));
  outbox.send(encoder.encode("b\n"));
  await outbox.flushed();
  assert.equal(outbox.closed, true);
  assert.deepEqual(errors, [writer.error]);
  assert.equal(errors[0], writer.error);
  assert.equal(outbox.queuedBytes, 0);
  assert.equal(outbox.send(encoder.encode("c\n")), false);
  await outbox.flushed();
  assert.equal(writer.calls, 1);
  assert.equal(errors.length, 1);
});

Deno.test("Outbox.flushed() resolves once the queued bytes are written", async () => {
  const writer = new HeldWriter();
  const outbox = new Outbox(writer);
  outbox.send(encoder.encode("a\n"));
  const flushed = outbox.flushed();
  await writer.held();
  outbox.send(encoder.encode("b\n"));
  writer.release();
  await writer.held();
  assert.equal(await settlesNow(flushed), false, "resolved with b\\n still held");
  writer.release();
  await flushed;
  assert.deepEqual(writer.calls, ["a\n", "b\n"]);
  assert.equal(outbox.queuedBytes, 0);
});

Deno.test("Outbox.flushed() resolves at once when idle", async () => {
  const writer = new RecordingWriter();
  const outbox = new Outbox(writer);
  assert.equal(await settlesNow(outbox.flushed()), true, "a new outbox");
  outbox.send(encoder.encode("a\n"));
  await outbox.flushed();
  assert.equal(await settlesNow(outbox.flushed()), true, "after a flush");
});

Deno.test("Outbox.flushed() resolves at once when closed, even with a write under way", async () => {
  const writer = new HeldWriter();
  const outbox = new Outbox(writer);
  outbox.send(encoder.encode("a\n"));
  const flushed = outbox.flushed();
  await writer.held();
  outbox.close();
  assert.equal(await settlesNow(flushed), true, "the wait from before close()");
  assert.equal(await settlesNow(outbox.flushed()), true, "a wait after close()");
  writer.release();
});

Deno.test("Outbox.close() drops queued bytes and refuses later sends", async () => {
  const writer = new RecordingWriter();
  const outbox = new Outbox(writer);
  outbox.send(encoder.encode("dropped\n"));
  outbox.close();
  assert.equal(outbox.closed, true);
  assert.equal(outbox.queuedBytes, 0);
  assert.equal(outbox.send(encoder.encode("refused\n")), false);
  await outbox.flushed();
  assert.deepEqual(writer.calls, []);
});

Deno.test("Outbox.send() leaves bytes shared between outboxes unchanged", async () => {
  const shared = encoder.encode("[alice]: hello everyone\n");
  const original = shared.slice();
  const recording = new RecordingWriter();
  const partial = new PartialWriter();
  const first = new Outbox(recording);
  const second = new Outbox(partial);
  const third = new Outbox(new HeldWriter(), { maxQueuedBytes: 4 });

  first.send(encoder.encode("before\n"));
  first.send(shared);
  first.send(encoder.encode("after\n"));
  second.send(shared);
  second.send(encoder.encode("after\n"));
  third.send(shared); // overflows, so the bytes are dropped
  await Promise.all([first.flushed(), second.flushed()]);

  assert.deepEqual(shared, original);
  assert.deepEqual(recording.calls, ["before\n[alice]: hello everyone\nafter\n"]);
  assert.equal(
    decoder.decode(Uint8Array.from(partial.taken)),
    "[alice]: hello everyone\nafter\n",
  );
  assert.equal(third.closed, true);
});

Deno.test("Outbox.send() waits for its scheduler, but writes at once when 64 KiB are waiting", async () => {
  const writer = new RecordingWriter();
  const scheduled: (() => void)[] = [];
  const outbox = new Outbox(writer, { schedule: (flush) => scheduled.push(flush) });
  outbox.send(encoder.encode("small\n"));
  await Promise.resolve();
  assert.deepEqual(writer.calls, [], "nothing is written before the scheduler says so");
  assert.equal(scheduled.length, 1);
  outbox.send(new Uint8Array(64 * 1024));
  await outbox.flushed();
  assert.equal(writer.calls.length, 1, "one early write with everything");
  scheduled[0]!(); // the scheduled flush finds it started already
  await outbox.flushed();
  assert.equal(writer.calls.length, 1);
});

Deno.test("Outbox.send() to an idle outbox writes once the current task is done", async () => {
  const writer = new HeldWriter();
  const outbox = new Outbox(writer);
  outbox.send(encoder.encode("a\n"));
  outbox.send(encoder.encode("b\n"));
  assert.deepEqual(writer.calls, [], "send() wrote before returning");
  await Promise.resolve();
  assert.deepEqual(writer.calls, ["a\nb\n"], "the write did not start with the next microtask");
  outbox.send(encoder.encode("c\n"));
  outbox.send(encoder.encode("d\n"));
  await Promise.resolve();
  assert.deepEqual(writer.calls, ["a\nb\n"], "a second write started while one was pending");
  writer.release();
  await writer.held();
  assert.deepEqual(writer.calls, ["a\nb\n", "c\nd\n"]);
  writer.release();
  await outbox.flushed();
});

Deno.test("Outbox shares one joined batch among outboxes that queued the same chunks", async () => {
  const first = encoder.encode("[alice]: one\n");
  const second = encoder.encode("[bob]: two\n");
  const writers = [new KeepingWriter(), new KeepingWriter(), new KeepingWriter()];
  const outboxes = writers.map((writer) => new Outbox(writer));
  outboxes[0]!.send(first);
  outboxes[0]!.send(second);
  outboxes[1]!.send(first);
  outboxes[1]!.send(second);
  outboxes[2]!.send(second);
  outboxes[2]!.send(first);
  await Promise.all(outboxes.map((outbox) => outbox.flushed()));
  const [a, b, c] = writers.map((writer) => writer.writes[0]!);
  assert.equal(a, b, "the same chunks were joined twice");
  assert.equal(text(a!), "[alice]: one\n[bob]: two\n");
  assert.equal(text(c!), "[bob]: two\n[alice]: one\n");
  assert.deepEqual(writers.map((writer) => writer.writes.length), [1, 1, 1]);
});

Deno.test("Outbox shares the batch of an early flush too: every recipient of a burst reaches 64 KiB at the same line", async () => {
  const writers = [new KeepingWriter(), new KeepingWriter()];
  // A scheduler that never runs: only the early flush writes.
  const outboxes = writers.map((writer) => new Outbox(writer, { schedule: () => {} }));
  const line = encoder.encode(`[alice]: ${"x".repeat(990)}\n`); // 1,000 bytes
  for (let index = 0; index < 66; index++) {
    for (const outbox of outboxes) outbox.send(line);
  }
  await Promise.all(outboxes.map((outbox) => outbox.flushed()));
  const [a, b] = writers.map((writer) => writer.writes[0]!);
  assert.equal(a!.length, 66_000, "one early write of everything queued");
  assert.equal(a, b, "each recipient copied the same 66 KB on its own");
});
