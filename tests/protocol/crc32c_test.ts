import assert from "@nanochat/assert";
import { crc32c } from "../../protocol/crc32c.ts";

Deno.test("crc32c() matches the published check values", () => {
  // "123456789" is the standard check input; the 32-byte vectors are RFC 3720 appendix B.4's.
  const cases: { name: string; bytes: Uint8Array; expected: number }[] = [
    { name: "no bytes", bytes: new Uint8Array(), expected: 0 },
    { name: '"123456789"', bytes: new TextEncoder().encode("123456789"), expected: 0xe3069283 },
    { name: "32 zeros", bytes: new Uint8Array(32), expected: 0x8a9136aa },
    { name: "32 x 0xff", bytes: new Uint8Array(32).fill(0xff), expected: 0x62a8ab43 },
    {
      name: "0 to 31",
      bytes: Uint8Array.from({ length: 32 }, (_, i) => i),
      expected: 0x46dd794e,
    },
    {
      name: "31 to 0",
      bytes: Uint8Array.from({ length: 32 }, (_, i) => 31 - i),
      expected: 0x113fdb5c,
    },
  ];
  for (const { name, bytes, expected } of cases) assert.equal(crc32c(bytes), expected, name);
});

Deno.test("crc32c() over pieces equals crc32c() over the whole", () => {
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 37) & 0xff);
  const whole = crc32c(bytes);
  for (let split = 0; split <= bytes.length; split++) {
    const pieces = crc32c(bytes.subarray(split), crc32c(bytes.subarray(0, split)));
    assert.equal(pieces, whole, `split at ${split}`);
  }
});
