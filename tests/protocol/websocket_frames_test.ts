import assert from "@nanochat/assert";
import {
  CloseCode,
  encodeClientFrame,
  encodeCloseFrame,
  encodeFrame,
  Opcode,
  WebSocketFrameReader,
  type WebSocketInput,
} from "../../protocol/websocket_frames.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function text(input: WebSocketInput | undefined): string {
  assert.equal(input?.kind, "text");
  return decoder.decode((input as { bytes: Uint8Array }).bytes);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}

Deno.test("frames read the same whatever the chunking, byte by byte included", () => {
  const bytes = concat(
    encodeClientFrame(Opcode.Text, encoder.encode("alice")),
    encodeClientFrame(Opcode.Text, encoder.encode("*" + "x".repeat(300))), // 16-bit length
    encodeClientFrame(Opcode.Ping, encoder.encode("p")),
  );
  for (const size of [1, 2, 7, bytes.length]) {
    const reader = new WebSocketFrameReader({ maxMessageBytes: 4096 });
    const inputs: WebSocketInput[] = [];
    for (let offset = 0; offset < bytes.length; offset += size) {
      inputs.push(...reader.push(bytes.subarray(offset, offset + size)));
    }
    assert.equal(inputs.length, 3, `chunks of ${size}`);
    assert.equal(text(inputs[0]), "alice");
    assert.equal(text(inputs[1]), "*" + "x".repeat(300));
    assert.deepEqual(inputs[2], { kind: "ping", payload: encoder.encode("p") });
  }
});

Deno.test("a fragmented message is put together, with a ping between its fragments", () => {
  const reader = new WebSocketFrameReader({ maxMessageBytes: 16 });
  const inputs = reader.push(concat(
    encodeClientFrame(Opcode.Text, encoder.encode("*he"), false),
    encodeClientFrame(Opcode.Ping, new Uint8Array()),
    encodeClientFrame(Opcode.Continuation, encoder.encode("ll"), false),
    encodeClientFrame(Opcode.Continuation, encoder.encode("o"), true),
  ));
  assert.deepEqual(inputs.map((input) => input.kind), ["ping", "text"]);
  assert.equal(text(inputs[1]), "*hello");
});

Deno.test("a message over the limit fails with 1009 before its payload arrives", () => {
  const reader = new WebSocketFrameReader({ maxMessageBytes: 8 });
  assert.equal(
    text(reader.push(encodeClientFrame(Opcode.Text, encoder.encode("12345678")))[0]),
    "12345678",
  );
  // Only the header of a 9-byte frame: refused at once, not buffered.
  const header = encodeClientFrame(Opcode.Text, encoder.encode("123456789")).subarray(0, 2);
  assert.deepEqual(reader.push(header), [
    { kind: "fail", code: CloseCode.MessageTooBig, reason: "message too big" },
  ]);
  assert.deepEqual(reader.push(encodeClientFrame(Opcode.Text, encoder.encode("a"))), []);
});

Deno.test("fragments over the limit together fail with 1009", () => {
  const reader = new WebSocketFrameReader({ maxMessageBytes: 8 });
  const inputs = reader.push(concat(
    encodeClientFrame(Opcode.Text, encoder.encode("12345"), false),
    encodeClientFrame(Opcode.Continuation, encoder.encode("6789"), true),
  ));
  assert.deepEqual(inputs.map((input) => input.kind === "fail" && input.code), [
    CloseCode.MessageTooBig,
  ]);
});

Deno.test("a 64-bit length is refused as too big without reading on", () => {
  const reader = new WebSocketFrameReader({ maxMessageBytes: 4096 });
  const header = Uint8Array.of(0x81, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 0);
  assert.deepEqual(reader.push(header).map((input) => input.kind === "fail" && input.code), [
    CloseCode.MessageTooBig,
  ]);
});

Deno.test("binary, unmasked, reserved bits, bad control frames and stray continuations fail", () => {
  const cases: [string, Uint8Array, number][] = [
    ["binary", encodeClientFrame(Opcode.Binary, Uint8Array.of(1)), CloseCode.UnsupportedData],
    ["unmasked", encodeFrame(Opcode.Text, encoder.encode("hi")), CloseCode.ProtocolError],
    ["reserved bit", Uint8Array.of(0xc1, 0x80, 0, 0, 0, 0), CloseCode.ProtocolError],
    [
      "long ping",
      encodeClientFrame(Opcode.Ping, new Uint8Array(126)),
      CloseCode.ProtocolError,
    ],
    [
      "fragmented ping",
      encodeClientFrame(Opcode.Ping, new Uint8Array(1), false),
      CloseCode.ProtocolError,
    ],
    [
      "continuation first",
      encodeClientFrame(Opcode.Continuation, encoder.encode("x")),
      CloseCode.ProtocolError,
    ],
    ["unknown opcode", encodeClientFrame(0x3, new Uint8Array()), CloseCode.ProtocolError],
  ];
  for (const [name, bytes, code] of cases) {
    const reader = new WebSocketFrameReader({ maxMessageBytes: 4096 });
    const inputs = reader.push(bytes);
    assert.equal(inputs.length, 1, name);
    assert.equal(inputs[0]!.kind === "fail" && inputs[0]!.code, code, name);
    assert.deepEqual(reader.push(encodeClientFrame(Opcode.Text, encoder.encode("x"))), [], name);
  }
});

Deno.test("a close frame ends the reading and carries its code", () => {
  const reader = new WebSocketFrameReader({ maxMessageBytes: 16 });
  const close = encodeClientFrame(Opcode.Close, Uint8Array.of(0x03, 0xe8));
  const inputs = reader.push(concat(close, encodeClientFrame(Opcode.Text, encoder.encode("x"))));
  assert.deepEqual(inputs, [{ kind: "close", code: 1000 }]);
});

Deno.test("server frames: the three length forms and the close frame", () => {
  assert.deepEqual([...encodeFrame(Opcode.Text, encoder.encode("hi"))], [0x81, 2, 0x68, 0x69]);
  const medium = encodeFrame(Opcode.Text, new Uint8Array(300));
  assert.deepEqual([...medium.subarray(0, 4)], [0x81, 126, 1, 44]);
  assert.equal(medium.length, 304);
  const large = encodeFrame(Opcode.Text, new Uint8Array(70_000));
  assert.deepEqual([...large.subarray(0, 10)], [0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
  assert.deepEqual([...encodeCloseFrame(1009, "big")], [0x88, 5, 0x03, 0xf1, 0x62, 0x69, 0x67]);
  assert.equal(encodeCloseFrame(1000, "x".repeat(200)).length, 2 + 125);
});

Deno.test("random bytes never throw, never make a message over the limit, and a failure is final", () => {
  // A fixed seed, so a failure can be replayed.
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let failures = 0;
  for (let round = 0; round < 300; round++) {
    const reader = new WebSocketFrameReader({ maxMessageBytes: 64 });
    let ended = false;
    for (let chunk = 0; chunk < 20; chunk++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 40) }, () => random() * 256);
      // Sometimes a valid masked frame between the noise.
      const valid = random() < 0.3 ? encodeClientFrame(Opcode.Text, bytes.subarray(0, 10)) : bytes;
      for (const input of reader.push(valid)) {
        assert.ok(!ended, "nothing after a fail or a close");
        if (input.kind === "text") assert.ok(input.bytes.length <= 64);
        if (input.kind === "fail" || input.kind === "close") ended = true;
        if (input.kind === "fail") failures++;
      }
    }
  }
  assert.ok(failures > 200, `noise is refused (${failures} of 300 rounds)`);
});
