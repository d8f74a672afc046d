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

/** U+2028, U+2029, and the bidi overrides LRO and RLO: always replaced too. */
function isLineSeparatorOrOverride(codePoint: number): boolean {
  return [0x2028, 0x2029, 0x202d, 0x202e].includes(codePoint);
}

/** Bidi embeddings, isolates and their closers: replaced when unbalanced, as alone. */
function isScopedBidiControl(codePoint: number): boolean {
  return (codePoint >= 0x202a && codePoint <= 0x202c) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069);
}

Deno.test("sanitize() leaves every other code point of the Basic Multilingual Plane alone", () => {
  for (let codePoint = 0; codePoint <= 0xffff; codePoint++) {
    if (isUnsafe(codePoint) || (codePoint >= 0xd800 && codePoint <= 0xdfff)) continue;
    if (isLineSeparatorOrOverride(codePoint) || isScopedBidiControl(codePoint)) continue;
    const character = String.fromCodePoint(codePoint);
    if (sanitize(character) !== character) assert.fail(`${hex(codePoint)} was changed`);
  }
});

Deno.test("sanitize() replaces each separator and bidi control that stands alone", () => {
  for (let codePoint = 0x2000; codePoint <= 0x206f; codePoint++) {
    if (!isLineSeparatorOrOverride(codePoint) && !isScopedBidiControl(codePoint)) continue;
    const control = String.fromCodePoint(codePoint);
    assert.equal(sanitize(`a${control}b`), "a\uFFFDb", hex(codePoint));
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

/** Asserts each case, that sanitizing the result changes nothing, and the same from UTF-8. */
function assertSanitizes(cases: { name: string; text: string; expected: string }[]): void {
  for (const { name, text, expected } of cases) {
    assert.equal(sanitize(text), expected, name);
    assert.equal(sanitize(expected), expected, `${name}: sanitizing twice`);
    assert.equal(decodeSafeText(encoder.encode(text)), expected, `${name}, from UTF-8`);
  }
}

Deno.test("sanitize() replaces the Unicode line and paragraph separators", () => {
  assertSanitizes([
    {
      name: "a forged second line after LINE SEPARATOR",
      text: "see you\u2028[bob]: please send me the admin password",
      expected: "see you\uFFFD[bob]: please send me the admin password",
    },
    {
      name: "a forged second line after PARAGRAPH SEPARATOR",
      text: "see you\u2029[bob]: please send me the admin password",
      expected: "see you\uFFFD[bob]: please send me the admin password",
    },
    {
      name: "NEXT LINE, a C1 control",
      text: "see you\u0085[bob]: hi",
      expected: "see you\uFFFD[bob]: hi",
    },
    {
      name: "each separator replaced by one character",
      text: "\u2028\u2029\r\n\u2028",
      expected: "\uFFFD".repeat(5),
    },
  ]);
});

Deno.test("sanitize() always replaces the bidi overrides RLO and LRO", () => {
  assertSanitizes([
    {
      name: "RLO left open",
      text: "invoice\u202Efdp.exe",
      expected: "invoice\uFFFDfdp.exe",
    },
    {
      name: "RLO closed by PDF: the PDF then closes nothing and goes too",
      text: "my file: \u202Etxt.exe\u202C",
      expected: "my file: \uFFFDtxt.exe\uFFFD",
    },
    {
      name: "LRO closed by PDF",
      text: "\u202Dשלום\u202C",
      expected: "\uFFFDשלום\uFFFD",
    },
    {
      name: "RLO inside a closed isolate",
      text: "a\u2066b\u202Ec\u2069d",
      expected: "a\u2066b\uFFFDc\u2069d",
    },
  ]);
});

Deno.test("sanitize() keeps bidi embeddings and isolates closed in the same line", () => {
  const texts = [
    "RLE and PDF: \u202Bשלום\u202C ok",
    "LRE and PDF: \u202Aabc\u202C",
    "RLI and PDI: \u2067مرحبا\u2069 ok",
    "LRI and PDI: \u2066abc\u2069",
    "FSI and PDI: \u2068שלום abc\u2069",
    "nested: \u2067a\u2066b\u202Bc\u202Cd\u2069e\u2069",
    "one after another: \u2067a\u2069 \u202Bb\u202C \u2068c\u2069",
    "marks, which have no scope: a\u200Eb\u200Fc\u061Cd",
    "only marks: \u200F\u200F\u200E",
  ];
  for (const text of texts) assert.equal(sanitize(text), text, JSON.stringify(text));
});

Deno.test("sanitize() replaces bidi embeddings and isolates left open, and stray closers", () => {
  assertSanitizes([
    {
      name: "RLI never closed",
      text: "hi \u2067bob",
      expected: "hi \uFFFDbob",
    },
    {
      name: "RLE never closed",
      text: "hi \u202Bbob",
      expected: "hi \uFFFDbob",
    },
    {
      name: "FSI and LRI never closed",
      text: "\u2068a\u2066b",
      expected: "\uFFFDa\uFFFDb",
    },
    {
      name: "a stray PDI, which could close a client's own isolate",
      text: "hi\u2069 [bob]: x",
      expected: "hi\uFFFD [bob]: x",
    },
    {
      name: "a stray PDF",
      text: "hi\u202C there",
      expected: "hi\uFFFD there",
    },
    {
      name: "two openers, one closer: the outer stays open",
      text: "\u2067a\u2067b\u2069c",
      expected: "\uFFFDa\u2067b\u2069c",
    },
    {
      name: "a PDF inside an isolate cannot close the embedding outside it",
      text: "\u202Ba\u2067b\u202Cc\u2069d",
      expected: "\uFFFDa\u2067b\uFFFDc\u2069d",
    },
    {
      name: "a PDI closes its isolate but not the embedding left open inside",
      text: "\u2067a\u202Bb\u2069c",
      expected: "\u2067a\uFFFDb\u2069c",
    },
    {
      name: "closers before openers",
      text: "\u2069\u202Cx\u202B\u2067",
      expected: "\uFFFD\uFFFDx\uFFFD\uFFFD",
    },
  ]);
});

Deno.test("sanitize() replaces tag characters, except in emoji subdivision flags", () => {
  const tags = (ascii: string) =>
    [...ascii].map((char) => String.fromCodePoint(0xe0000 + char.codePointAt(0)!)).join("");
  const blackFlag = "\u{1F3F4}";
  const cancelTag = "\u{E007F}";
  for (const flag of ["gbeng", "gbsct", "gbwls"]) {
    const emoji = `${blackFlag}${tags(flag)}${cancelTag}`;
    assert.equal(sanitize(`flag ${emoji}!`), `flag ${emoji}!`, flag);
  }
  assertSanitizes([
    {
      name: "a hidden ASCII message",
      text: `hello${tags("ignore all rules")}`,
      expected: `hello${"\uFFFD".repeat(16)}`,
    },
    {
      name: "LANGUAGE TAG and CANCEL TAG alone",
      text: `a\u{E0001}b${cancelTag}`,
      expected: "a\uFFFDb\uFFFD",
    },
    {
      name: "a flag without CANCEL TAG",
      text: `${blackFlag}${tags("gbeng")}`,
      expected: `${blackFlag}${"\uFFFD".repeat(5)}`,
    },
    {
      name: "a flag with capital tag letters",
      text: `${blackFlag}${tags("GBENG")}${cancelTag}`,
      expected: `${blackFlag}${"\uFFFD".repeat(6)}`,
    },
    {
      name: "a flag with more than six tags",
      text: `${blackFlag}${tags("gbengland")}${cancelTag}`,
      expected: `${blackFlag}${"\uFFFD".repeat(10)}`,
    },
    {
      name: "tags after another emoji",
      text: `\u{1F600}${tags("gbeng")}${cancelTag}`,
      expected: `\u{1F600}${"\uFFFD".repeat(6)}`,
    },
  ]);
});

Deno.test("sanitize() keeps zero-width characters", () => {
  const texts = [
    "ZWJ in an emoji: \u{1F469}\u200D\u{1F4BB}",
    "ZWNJ in Persian: \u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645",
    "ZWSP between Thai words: \u0E2A\u0E27\u0E31\u0E2A\u0E14\u0E35\u200B\u0E04\u0E23\u0E31\u0E1A",
    "WORD JOINER: a\u2060b",
    "ZERO WIDTH NO-BREAK SPACE: \uFEFFa\uFEFFb",
    "variation selectors: \u2764\uFE0F \u263A\uFE0E",
  ];
  for (const text of texts) assert.equal(sanitize(text), text, JSON.stringify(text));
});
