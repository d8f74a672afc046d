import assert from "@nanochat/assert";
import { DEFAULT_MAX_LINE_BYTES, type Frame, LineSplitter } from "../../protocol/line_splitter.ts";

const LF = 0x0a;
const CR = 0x0d;

/** How a too-long frame reads in expected frame lists. */
const TOO_LONG = Symbol("too-long");

type FrameDescription = string | typeof TOO_LONG;

/** One byte per character, so tests can write any byte, valid UTF-8 or not. */
function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}

/** The inverse of {@linkcode bytes}: one character per byte. */
function latin1(line: Uint8Array): string {
  let text = "";
  for (const byte of line) text += String.fromCharCode(byte);
  return text;
}

function describe(frames: readonly Frame[]): FrameDescription[] {
  return frames.map((frame) => frame.kind === "line" ? latin1(frame.bytes) : TOO_LONG);
}

/** Pushes each chunk in turn, returning every frame in stream order. */
function pushAll(splitter: LineSplitter, chunks: readonly Uint8Array[]): Frame[] {
  return chunks.flatMap((chunk) => splitter.push(chunk));
}

/** The frames of the chunks, pushed one by one into a new splitter. */
function split(maxLineBytes: number, chunks: readonly string[]): FrameDescription[] {
  return describe(pushAll(new LineSplitter({ maxLineBytes }), chunks.map(bytes)));
}

Deno.test("LineSplitter.push() handles the edge cases of the line format", () => {
  const maxLineBytes = 4;
  const cases: { name: string; chunks: string[]; expected: FrameDescription[] }[] = [
    { name: "an empty line", chunks: ["\n"], expected: [""] },
    { name: "consecutive LFs", chunks: ["\n\n"], expected: ["", ""] },
    { name: "several lines in one chunk", chunks: ["a\nbb\nccc\n"], expected: ["a", "bb", "ccc"] },
    { name: "empty chunks change nothing", chunks: ["", "a", "", "\n", ""], expected: ["a"] },
    { name: "CRLF drops the CR", chunks: ["ab\r\n"], expected: ["ab"] },
    { name: "a CRLF-only line is empty", chunks: ["\r\n"], expected: [""] },
    { name: "CR and LF in different chunks", chunks: ["ab\r", "\n"], expected: ["ab"] },
    { name: "a lone CR mid-line is kept", chunks: ["a\rb\n"], expected: ["a\rb"] },
    { name: "a CR not before the LF is kept", chunks: ["\rab\n"], expected: ["\rab"] },
    { name: "only the CR right before the LF goes", chunks: ["ab\r\r\n"], expected: ["ab\r"] },
    { name: "a CR ending a chunk, not the line", chunks: ["ab\r", "c\n"], expected: ["ab\rc"] },
    { name: "exactly maxLineBytes", chunks: ["abcd\n"], expected: ["abcd"] },
    { name: "exactly maxLineBytes over chunks", chunks: ["ab", "cd", "\n"], expected: ["abcd"] },
    { name: "exactly maxLineBytes with the CR", chunks: ["abc\r\n"], expected: ["abc"] },
    { name: "the CR counts towards the limit", chunks: ["abcd\r\n"], expected: [TOO_LONG] },
    {
      name: "maxLineBytes + 1 is dropped up to the LF and the next line is intact",
      chunks: ["abcde\nok\n"],
      expected: [TOO_LONG, "ok"],
    },
    {
      name: "maxLineBytes + 1 over chunks is dropped up to the LF",
      chunks: ["abcd", "efgh\nok\n"],
      expected: [TOO_LONG, "ok"],
    },
    {
      name: "a full buffer and then one byte more",
      chunks: ["abcd", "e", "fg\n", "ok\n"],
      expected: [TOO_LONG, "ok"],
    },
    {
      name: "a too-long line spanning many chunks is reported once",
      chunks: ["abc", "def", "ghi", "jkl", "mno\n", "ok\n"],
      expected: [TOO_LONG, "ok"],
    },
    {
      name: "a too-long line whose LF comes alone",
      chunks: ["abcdefgh", "\n", "ok\n"],
      expected: [TOO_LONG, "ok"],
    },
    {
      name: "two too-long lines in a row",
      chunks: ["abcdefg\nhijklmn\nok\n"],
      expected: [TOO_LONG, TOO_LONG, "ok"],
    },
    { name: "an unterminated tail is not emitted", chunks: ["ab\ncd"], expected: ["ab"] },
    {
      name: "an unterminated tail is reported once it is too long",
      chunks: ["ab\ncdefg"],
      expected: ["ab", TOO_LONG],
    },
  ];
  for (const { name, chunks, expected } of cases) {
    const frames = split(maxLineBytes, chunks);
    assert.deepEqual(frames, expected, `${name}: ${JSON.stringify(chunks)}`);
  }
});

Deno.test("LineSplitter.push() with maxLineBytes 1 allows one byte or a bare CR", () => {
  assert.deepEqual(split(1, ["a\n\r\nab\nb\n"]), ["a", "", TOO_LONG, "b"]);
});

Deno.test("LineSplitter.bufferedBytes counts the unterminated line only", () => {
  const splitter = new LineSplitter({ maxLineBytes: 4 });
  assert.equal(splitter.bufferedBytes, 0);
  splitter.push(bytes("ab\nc"));
  assert.equal(splitter.bufferedBytes, 1);
  splitter.push(bytes("de"));
  assert.equal(splitter.bufferedBytes, 3);
  splitter.push(bytes("f\n"));
  assert.equal(splitter.bufferedBytes, 0);
});

Deno.test("LineSplitter.push() reports a too-long line in the chunk that passes the limit", () => {
  const splitter = new LineSplitter({ maxLineBytes: 4 });
  assert.deepEqual(describe(splitter.push(bytes("abcd"))), []);
  assert.equal(splitter.bufferedBytes, 4);
  assert.deepEqual(describe(splitter.push(bytes("e"))), [TOO_LONG]);
  assert.equal(splitter.bufferedBytes, 0);
  assert.deepEqual(describe(splitter.push(bytes("fghijkl"))), []);
  assert.deepEqual(describe(splitter.push(bytes("mn\nok\n"))), ["ok"]);
});

Deno.test("LineSplitter.push() returns lines that do not share the chunk's memory", () => {
  const splitter = new LineSplitter({ maxLineBytes: 8 });
  const wholeLine = bytes("one\n");
  const tail = bytes("tw");
  const [first] = splitter.push(wholeLine);
  splitter.push(tail);
  const end = bytes("o\n");
  const [second] = splitter.push(end);
  wholeLine.fill(0);
  tail.fill(0);
  end.fill(0);
  assert.deepEqual(describe([first!, second!]), ["one", "two"]);
});

Deno.test("LineSplitter.reset() drops the unterminated line and returns its byte count", () => {
  const splitter = new LineSplitter({ maxLineBytes: 8 });
  assert.deepEqual(describe(splitter.push(bytes("ab\ncde"))), ["ab"]);
  assert.equal(splitter.bufferedBytes, 3);
  assert.equal(splitter.reset(), 3);
  assert.equal(splitter.bufferedBytes, 0);
  assert.deepEqual(describe(splitter.push(bytes("fg\n"))), ["fg"]);
  assert.equal(splitter.reset(), 0);
});

Deno.test("LineSplitter.reset() stops skipping a too-long line", () => {
  const splitter = new LineSplitter({ maxLineBytes: 4 });
  assert.deepEqual(describe(splitter.push(bytes("abcdefgh"))), [TOO_LONG]);
  assert.equal(splitter.reset(), 0);
  assert.deepEqual(describe(splitter.push(bytes("ok\n"))), ["ok"]);
});

Deno.test("LineSplitter() limits lines to DEFAULT_MAX_LINE_BYTES by default", () => {
  const longest = "x".repeat(DEFAULT_MAX_LINE_BYTES);
  assert.equal(DEFAULT_MAX_LINE_BYTES, 4096);
  assert.deepEqual(
    describe(new LineSplitter().push(bytes(`${longest}\n${longest}y\nok\n`))),
    [longest, TOO_LONG, "ok"],
  );
});

Deno.test("LineSplitter() rejects a maxLineBytes that is not a positive integer", () => {
  for (const maxLineBytes of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(
      () => new LineSplitter({ maxLineBytes }),
      RangeError,
      `maxLineBytes: ${maxLineBytes}`,
    );
  }
});

Deno.test("LineSplitter.push() gives the same frames for every split into 2 and 3 chunks", () => {
  const maxLineBytes = 4;
  const text = "ab\r\ncdefgh\n\r\nxy\rz\nabcd\n\nabc\r\r\nabcde\nok\ntail";
  const stream = bytes(text);
  const expected = split(maxLineBytes, [text]);
  assert.deepEqual(expected, ["ab", TOO_LONG, "", "xy\rz", "abcd", "", TOO_LONG, TOO_LONG, "ok"]);
  for (let first = 0; first <= stream.length; first++) {
    const chunks = [stream.subarray(0, first), stream.subarray(first)];
    const frames = describe(pushAll(new LineSplitter({ maxLineBytes }), chunks));
    assert.deepEqual(frames, expected, `split at ${first}`);
    for (let second = first; second <= stream.length; second++) {
      const chunks = [
        stream.subarray(0, first),
        stream.subarray(first, second),
        stream.subarray(second),
      ];
      const frames = describe(pushAll(new LineSplitter({ maxLineBytes }), chunks));
      assert.deepEqual(frames, expected, `split at ${first} and ${second}`);
    }
  }
});

/** mulberry32: a tiny seeded PRNG, so a failing stream can be replayed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The obvious splitter: find every LF in the whole stream at once. */
function referenceFrames(stream: Uint8Array, maxLineBytes: number): FrameDescription[] {
  const frames: FrameDescription[] = [];
  let start = 0;
  for (let lf = stream.indexOf(LF); lf !== -1; lf = stream.indexOf(LF, start)) {
    let end = lf;
    if (end - start > maxLineBytes) {
      frames.push(TOO_LONG);
    } else {
      if (end > start && stream[end - 1] === CR) end--;
      frames.push(latin1(stream.subarray(start, end)));
    }
    start = lf + 1;
  }
  // A line without its LF is only ever reported once it is already too long.
  if (stream.length - start > maxLineBytes) frames.push(TOO_LONG);
  return frames;
}

/** Random bytes heavy in LF, CR and long LF-free runs. */
function randomStream(random: () => number, maxLineBytes: number): Uint8Array {
  const length = Math.floor(random() * 200);
  const stream = new Uint8Array(length);
  let index = 0;
  while (index < length) {
    const pick = random();
    if (pick < 0.15) {
      stream[index++] = LF;
    } else if (pick < 0.25) {
      stream[index++] = CR;
    } else if (pick < 0.35) {
      // A run around the limit, where off-by-one errors live.
      const run = maxLineBytes - 2 + Math.floor(random() * 5);
      for (let i = 0; i < run && index < length; i++) stream[index++] = 0x61;
    } else if (pick < 0.4) {
      const run = Math.floor(random() * maxLineBytes * 4);
      for (let i = 0; i < run && index < length; i++) stream[index++] = 0x62;
    } else {
      stream[index++] = Math.floor(random() * 256);
    }
  }
  return stream;
}

function randomChunks(random: () => number, stream: Uint8Array): Uint8Array[] {
  const largest = 1 + Math.floor(random() * 40);
  const chunks: Uint8Array[] = [];
  let start = 0;
  while (start < stream.length) {
    // Now and then an empty chunk, as a read of zero bytes would give.
    const size = random() < 0.05 ? 0 : 1 + Math.floor(random() * largest);
    chunks.push(stream.subarray(start, start + size));
    start += size;
  }
  return chunks;
}

Deno.test("LineSplitter.push() matches a reference splitter on random streams and chunkings", () => {
  const seed = 0x5eed;
  const random = mulberry32(seed);
  for (let run = 0; run < 400; run++) {
    const maxLineBytes = 1 + Math.floor(random() * 16);
    const stream = randomStream(random, maxLineBytes);
    const expected = referenceFrames(stream, maxLineBytes);
    const chunkings = [
      [stream],
      Array.from(stream, (byte) => Uint8Array.of(byte)),
      randomChunks(random, stream),
      randomChunks(random, stream),
    ];
    for (const [chunking, chunks] of chunkings.entries()) {
      const context =
        `seed ${seed}, run ${run}, chunking ${chunking}, maxLineBytes ${maxLineBytes}`;
      const splitter = new LineSplitter({ maxLineBytes });
      const frames: Frame[] = [];
      for (const chunk of chunks) {
        try {
          frames.push(...splitter.push(chunk));
        } catch (error) {
          throw new Error(`push() threw (${context})`, { cause: error });
        }
        assert.ok(
          splitter.bufferedBytes <= maxLineBytes,
          `bufferedBytes over the limit (${context})`,
        );
      }
      for (const frame of frames) {
        if (frame.kind === "line") {
          assert.ok(frame.bytes.length <= maxLineBytes, `line over the limit (${context})`);
          assert.ok(!frame.bytes.includes(LF), `line holds an LF (${context})`);
        }
      }
      assert.deepEqual(describe(frames), expected, context);
      const tail = stream.length - (stream.lastIndexOf(LF) + 1);
      assert.equal(splitter.reset(), tail > maxLineBytes ? 0 : tail, `reset() (${context})`);
    }
  }
});
