import assert from "node:assert/strict";
import { type ChatEvent, encodeHistory } from "../../protocol/events.ts";
import { LineCodec } from "../../protocol/line_codec.ts";
import { HistoryReplay, type ReplayLimits } from "../../server/history_replay.ts";
import { Logger } from "../../server/log.ts";
import { TokenBucket } from "../../server/token_bucket.ts";

const codec = new LineCodec("#lobby");
const decoder = new TextDecoder();

function said(id: string, text: string): ChatEvent {
  return { id, time: 0, room: "#lobby", kind: "message", from: "bob", to: "", text };
}

/**
 * A session that records what it is sent and whether it was called a slow
 * reader; with `holdFlushes`, each `flushed()` waits until `flush()`.
 */
function fakeOutput(holdFlushes = false) {
  const sent: string[] = [];
  const waits: (() => void)[] = [];
  let waited = Promise.withResolvers<void>();
  let slow = false;
  return {
    sent,
    get slow() {
      return slow;
    },
    /** Resolves once a chunk was sent and the replay waits for it to be written. */
    waiting: () => waited.promise,
    /** Lets the waiting replay go on. */
    flush: () => waits.shift()?.(),
    output: {
      id: 1,
      codec,
      send: (bytes: Uint8Array) => void sent.push(decoder.decode(bytes).trimEnd()),
      flushed: () => {
        if (!holdFlushes) return Promise.resolve();
        const written = Promise.withResolvers<void>();
        waits.push(written.resolve);
        waited.resolve();
        waited = Promise.withResolvers<void>();
        return written.promise;
      },
      slowReader: () => void (slow = true),
    },
  };
}

function limits(overrides: Partial<ReplayLimits> = {}): ReplayLimits {
  return {
    maxReplyBytes: 64 * 1024,
    maxHeldBytes: 64 * 1024,
    historyBudget: new TokenBucket({ ratePerSecond: 1e9, burst: 1e9 }),
    log: new Logger(() => {}),
    ...overrides,
  };
}

/** 30 lines of about 900 bytes: several 8 KiB chunks. */
function longHistory(): ChatEvent[] {
  return Array.from({ length: 30 }, (_, i) => said(String(i), `${i} ${"x".repeat(900)}`));
}

function line(text: string): Uint8Array {
  return new TextEncoder().encode(`${text}\n`);
}

Deno.test("HistoryReplay sends the history first, then what was held meanwhile, in order", async () => {
  const { sent, output } = fakeOutput();
  const history = Promise.withResolvers<readonly ChatEvent[]>();
  const over = Promise.withResolvers<void>();
  const replay = new HistoryReplay(output, limits(), () => true, over.resolve);
  replay.addHistory(history.promise);
  replay.hold(line("live one"));
  replay.hold(line("live two"));
  assert.deepEqual(sent, [], "nothing before the history");
  history.resolve([said("1", "old one"), said("2", "old two")]);
  await over.promise;
  assert.equal(sent.length, 4);
  assert.match(sent[0]!, /old one/);
  assert.match(sent[1]!, /old two/);
  assert.deepEqual(sent.slice(2), ["live one", "live two"]);
});

Deno.test("HistoryReplay sends an event both live and in the history once, live, after the history", async () => {
  const { sent, output } = fakeOutput();
  const over = Promise.withResolvers<void>();
  const replay = new HistoryReplay(output, limits(), () => true, over.resolve);
  const history = Promise.withResolvers<readonly ChatEvent[]>();
  replay.addHistory(history.promise);
  replay.hold(line("[bob]: new"), "2");
  history.resolve([said("1", "old"), said("2", "new")]);
  await over.promise;
  assert.equal(sent.length, 2, sent.join("\n"));
  assert.match(sent[0]!, /old/);
  assert.equal(sent[1], "[bob]: new");
});

Deno.test("HistoryReplay sends a second room's history after what waited before it", async () => {
  const { sent, output } = fakeOutput();
  const over = Promise.withResolvers<void>();
  const replay = new HistoryReplay(output, limits(), () => true, over.resolve);
  const first = Promise.withResolvers<readonly ChatEvent[]>();
  replay.addHistory(first.promise);
  replay.hold(line("between"));
  replay.addHistory(Promise.resolve([said("9", "second room")]));
  first.resolve([said("1", "first room")]);
  await over.promise;
  assert.equal(sent.length, 3, sent.join("\n"));
  assert.match(sent[0]!, /first room/);
  assert.equal(sent[1], "between");
  assert.match(sent[2]!, /second room/);
});

Deno.test("HistoryReplay makes a user who holds more than maxHeldBytes a slow reader, and drops the excess", async () => {
  const fake = fakeOutput();
  const over = Promise.withResolvers<void>();
  const replay = new HistoryReplay(
    fake.output,
    limits({ maxHeldBytes: 10 }),
    () => true,
    over.resolve,
  );
  const history = Promise.withResolvers<readonly ChatEvent[]>();
  replay.addHistory(history.promise);
  replay.hold(line("12345678"));
  assert.equal(fake.slow, false);
  replay.hold(line("more"));
  assert.equal(fake.slow, true);
  history.resolve([]);
  await over.promise;
  assert.deepEqual(fake.sent, ["12345678"], "what was over the cap is not held");
});

Deno.test("HistoryReplay sends a long history a chunk at a time, each once the last was written", async () => {
  const fake = fakeOutput(true);
  const over = Promise.withResolvers<void>();
  const replay = new HistoryReplay(fake.output, limits(), () => true, over.resolve);
  replay.addHistory(Promise.resolve(longHistory()));
  await fake.waiting();
  const firstChunk = fake.sent.length;
  assert.ok(firstChunk >= 8 && firstChunk < 30, `${firstChunk} lines in the first chunk`);
  replay.hold(line("live"));
  assert.equal(fake.sent.length, firstChunk, "nothing more until the chunk is written");
  for (let chunk = 0; chunk < 10 && fake.sent.length < 31; chunk++) {
    const waiting = fake.waiting();
    fake.flush();
    await Promise.race([waiting, over.promise]);
  }
  await over.promise;
  assert.equal(fake.sent.length, 31);
  assert.match(fake.sent[29]!, /\[bob\]: 29 x/);
  assert.equal(fake.sent[30], "live", "the live line after the whole history");
});

Deno.test("HistoryReplay stops between chunks for a user who left", async () => {
  const fake = fakeOutput(true);
  let present = true;
  const over = Promise.withResolvers<void>();
  const replay = new HistoryReplay(fake.output, limits(), () => present, over.resolve);
  replay.addHistory(Promise.resolve(longHistory()));
  replay.hold(line("live"));
  await fake.waiting();
  const sentBeforeLeaving = fake.sent.length;
  present = false;
  fake.flush();
  await over.promise;
  assert.equal(fake.sent.length, sentBeforeLeaving, "nothing after the user left");
});

Deno.test("HistoryReplay logs a history the store could not give, and still sends what was held", async () => {
  const { sent, output } = fakeOutput();
  const log: string[] = [];
  const over = Promise.withResolvers<void>();
  const replay = new HistoryReplay(
    output,
    limits({ log: new Logger((entry) => log.push(entry)) }),
    () => true,
    over.resolve,
  );
  replay.addHistory(Promise.reject(new Error("disk on fire")));
  replay.hold(line("live"));
  await over.promise;
  assert.deepEqual(sent, ["live"]);
  assert.equal(log.length, 1);
  assert.match(log[0]!, /history-error conn=1 .*disk on fire/);
});

Deno.test("HistoryReplay sends only the newest events that fit maxReplyBytes", async () => {
  const { sent, output } = fakeOutput();
  const events = Array.from({ length: 20 }, (_, i) => said(String(i), `line ${i + 10}`));
  const oneLine = encodeHistory(codec, events[0]!).length;
  const over = Promise.withResolvers<void>();
  const replay = new HistoryReplay(
    output,
    limits({ maxReplyBytes: oneLine * 5 + 10 }),
    () => true,
    over.resolve,
  );
  replay.addHistory(Promise.resolve(events));
  await over.promise;
  assert.equal(sent.length, 5, sent.join("\n"));
  assert.match(sent[0]!, /line 25$/);
  assert.match(sent.at(-1)!, /line 29$/);
});

Deno.test("HistoryReplay stops for a user who left, and says it is over", async () => {
  const { sent, output } = fakeOutput();
  let present = true;
  const over = Promise.withResolvers<void>();
  const replay = new HistoryReplay(output, limits(), () => present, over.resolve);
  const history = Promise.withResolvers<readonly ChatEvent[]>();
  replay.addHistory(history.promise);
  replay.hold(line("live"));
  present = false;
  history.resolve([said("1", "old")]);
  await over.promise;
  assert.deepEqual(sent, []);
});
