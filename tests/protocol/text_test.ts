import assert from "@nanochat/assert";
import {
  decodeSafeText,
  decodeUtf8,
  REPLACEMENT_CHARACTER,
  sanitize,
} from "../../protocol/text.ts";

const encoder = new TextEncoder();

function hex(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The characters sanitize() must replace: C0 but TAB, DEL, C1. */
function isUnsafe(codePoint: number): boolean {
  return (codePoint <= 0x1f && codePoint !== 0x09) || (codePoint >= 0x7f && codePoint <= 0x9f);
}

const unsafeCodePoints = Array.from({ length: 0xa0 }, (_, codePoint) => codePoint).filter(isUnsafe);

Deno.test("sanitize() replaces every C0 control but TAB, DEL and every C1 control", () => {
  assert.equal(unsafeCodePoints.length, 31 + 1 + 32);
  for (const codePoint of unsafeCodePoints) {
    const control = String.fromCodePoint(codePoint);
    assert.equal(sanitize(`a${control}b`), "a\uFFFDb", hex(codePoint));
  }
});

Deno.test("sanitize() replaces each control with one character, keeping the length", () => {
  const controls = unsafeCodePoints.map((codePoint) => String.fromCodePoint(codePoint)).join("");
  assert.equal(sanitize(controls), REPLACEMENT_CHARACTER.repeat(controls.length));
  assert.equal(REPLACEMENT_CHARACTER, "\uFFFD");
});

Deno.test("sanitize() leaves every other code point of the Basic Multilingual Plane alone", () => {
  for (let codePoint = 0; codePoint <= 0xffff; codePoint++) {
    if (isUnsafe(codePoint) || (codePoint >= 0xd800 && codePoint <= 0xdfff)) continue;
    const character = String.fromCodePoint(codePoint);
    if (sanitize(character) !== character) assert.fail(`${hex(codePoint)} was changed`);
  }
});

Deno.test("sanitize() keeps TAB and ordinary Unicode", () => {
  const texts = [
    "a\tb",
    "\t\t",
    "plain ASCII ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./",
    "emoji 😀 👍🏽 🇫🇷",
    "family 👩\u200D👩\u200D👧",
    "CJK 你好，世界 日本語 한국어",
    "combining e\u0301 a\u0308 n\u0303 Z\u0351\u0352",
    "RTL שלום مرحبا",
    "no-break\u00A0space, ¡soft\u00ADhyphen!",
  ];
  for (const text of texts) {
    assert.equal(sanitize(text), text, JSON.stringify(text));
    assert.equal(decodeSafeText(encoder.encode(text)), text, JSON.stringify(text));
  }
});

Deno.test("sanitize() neutralises terminal escape sequences", () => {
  const cases: { name: string; text: string; expected: string }[] = [
    {
      name: "CSI colour",
      text: "\x1b[31mred\x1b[0m",
      expected: "\uFFFD[31mred\uFFFD[0m",
    },
    {
      name: "CSI clear screen and cursor home",
      text: "\x1b[2J\x1b[H",
      expected: "\uFFFD[2J\uFFFD[H",
    },
    {
      name: "OSC 52 clipboard write ended by BEL",
      text: "\x1b]52;c;cm0gLXJmIH4=\x07",
      expected: "\uFFFD]52;c;cm0gLXJmIH4=\uFFFD",
    },
    {
      name: "OSC 52 clipboard write ended by ST",
      text: "\x1b]52;c;cm0gLXJmIH4=\x1b\\",
      expected: "\uFFFD]52;c;cm0gLXJmIH4=\uFFFD\\",
    },
    {
      name: "OSC 0 window title",
      text: "\x1b]0;pwned\x07",
      expected: "\uFFFD]0;pwned\uFFFD",
    },
    {
      name: "C1 CSI",
      text: "\x9b31mred",
      expected: "\uFFFD31mred",
    },
    {
      name: "C1 OSC 52 ended by C1 ST",
      text: "\x9d52;c;cm0gLXJmIH4=\x9c",
      expected: "\uFFFD52;c;cm0gLXJmIH4=\uFFFD",
    },
    {
      name: "a forged second line",
      text: "hi\r\n[admin]: bye",
      expected: "hi\uFFFD\uFFFD[admin]: bye",
    },
    {
      name: "bell and backspaces",
      text: "\x07oops\x08\x08\x08\x08",
      expected: "\uFFFDoops\uFFFD\uFFFD\uFFFD\uFFFD",
    },
  ];
  for (const { name, text, expected } of cases) {
    const safe = sanitize(text);
    assert.equal(safe, expected, name);
    assert.equal(decodeSafeText(encoder.encode(text)), expected, `${name}, from UTF-8`);
  }
});

Deno.test("decodeSafeText() replaces C1 controls encoded as UTF-8", () => {
  for (let codePoint = 0x80; codePoint <= 0x9f; codePoint++) {
    const utf8 = Uint8Array.of(0x61, 0xc2, codePoint, 0x62);
    assert.equal(decodeUtf8(utf8), `a${String.fromCodePoint(codePoint)}b`, hex(codePoint));
    assert.equal(decodeSafeText(utf8), "a\uFFFDb", hex(codePoint));
  }
  // 0xC2 0x9B is CSI: with it, "[2J" would clear the screen.
  assert.equal(decodeSafeText(Uint8Array.of(0xc2, 0x9b, 0x32, 0x4a)), "\uFFFD2J");
});

Deno.test("decodeSafeText() turns invalid UTF-8 into U+FFFD and valid text", () => {
  const cases: { name: string; bytes: number[]; expected: string }[] = [
    { name: "a lone continuation byte", bytes: [0x61, 0x80, 0x62], expected: "a\uFFFDb" },
    { name: "continuation bytes only", bytes: [0x80, 0xbf], expected: "\uFFFD\uFFFD" },
    { name: "0xFF", bytes: [0xff], expected: "\uFFFD" },
    { name: "0xFE", bytes: [0x61, 0xfe], expected: "a\uFFFD" },
    { name: "overlong '/' in two bytes", bytes: [0xc0, 0xaf], expected: "\uFFFD\uFFFD" },
    { name: "overlong NUL in two bytes", bytes: [0xc0, 0x80], expected: "\uFFFD\uFFFD" },
    { name: "overlong ESC in two bytes", bytes: [0xc0, 0x9b], expected: "\uFFFD\uFFFD" },
    {
      name: "overlong '/' in three bytes",
      bytes: [0xe0, 0x80, 0xaf],
      expected: "\uFFFD".repeat(3),
    },
    {
      name: "overlong '/' in four bytes",
      bytes: [0xf0, 0x80, 0x80, 0xaf],
      expected: "\uFFFD".repeat(4),
    },
    { name: "a UTF-16 surrogate", bytes: [0xed, 0xa0, 0x80], expected: "\uFFFD".repeat(3) },
    {
      name: "a code point above U+10FFFF",
      bytes: [0xf4, 0x90, 0x80, 0x80],
      expected: "\uFFFD".repeat(4),
    },
    { name: "a truncated 3-byte sequence at the end", bytes: [0xe2, 0x82], expected: "\uFFFD" },
    {
      name: "a truncated 3-byte sequence mid-text",
      bytes: [0xe2, 0x82, 0x61],
      expected: "\uFFFDa",
    },
    { name: "a truncated 4-byte sequence", bytes: [0xf0, 0x9f, 0x98], expected: "\uFFFD" },
    { name: "a lead byte before a lead byte", bytes: [0xc3, 0xc3, 0xa9], expected: "\uFFFDé" },
    { name: "a lead byte before a control", bytes: [0xc2, 0x1b, 0x5b], expected: "\uFFFD\uFFFD[" },
  ];
  for (const { name, bytes, expected } of cases) {
    const text = decodeSafeText(Uint8Array.from(bytes));
    assert.equal(text, expected, name);
    assert.ok(text.isWellFormed(), `${name}: lone surrogate in the result`);
    assert.equal(decodeUtf8(encoder.encode(text)), text, `${name}: does not re-encode`);
  }
});

Deno.test("decodeUtf8() decodes without sanitising", () => {
  assert.equal(decodeUtf8(encoder.encode("\x1b[2Jé😀")), "\x1b[2Jé😀");
  assert.equal(decodeUtf8(Uint8Array.of(0x61, 0xff)), "a\uFFFD");
  assert.equal(decodeUtf8(new Uint8Array()), "");
});
