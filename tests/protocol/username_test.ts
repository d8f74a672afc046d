import assert from "@nanochat/assert";
import {
  MAX_MARKS,
  MAX_MARKS_PER_CHARACTER,
  MAX_NAME_LENGTH,
  NAME_RULE,
  nameKey,
  nameProblem,
  nameSkeleton,
  RESERVED_NAMES,
} from "../../protocol/username.ts";

Deno.test("nameProblem() accepts letters, digits, '_', '-' and '.' in any script", () => {
  const names = [
    "alice",
    "Alice",
    "a",
    "7",
    "007",
    "user_1",
    "a-b.c",
    "José",
    "Jose\u0301", // "José" with a combining acute accent
    "Zoë",
    "李",
    "李小龍",
    "Ωμέγα",
    "Дмитрий",
    "محمد",
    "ｆｕｌｌｗｉｄｔｈ",
    "a".repeat(MAX_NAME_LENGTH),
    "李".repeat(MAX_NAME_LENGTH),
    // 32 code points but 64 UTF-16 units: the limit counts code points.
    "𝒜".repeat(MAX_NAME_LENGTH),
  ];
  assert.equal(MAX_NAME_LENGTH, 32);
  for (const name of names) {
    assert.equal(nameProblem(name), undefined, JSON.stringify(name));
  }
});

Deno.test("nameProblem() rejects names that are empty, too long or hold other characters", () => {
  const cases: { why: string; name: string }[] = [
    { why: "empty", name: "" },
    { why: "a space", name: " " },
    { why: "an inner space", name: "al ice" },
    { why: "a leading space", name: " alice" },
    { why: "a trailing space", name: "alice " },
    { why: "a tab", name: "al\tice" },
    { why: "a NUL", name: "alice\x00" },
    { why: "an LF", name: "alice\n" },
    { why: "a CR", name: "alice\r" },
    { why: "an escape sequence", name: "\x1b[31malice" },
    { why: "DEL", name: "alice\x7f" },
    { why: "a C1 control", name: "alice\x9b" },
    { why: "'['", name: "[alice" },
    { why: "']'", name: "alice]" },
    { why: "a forged chat prefix", name: "[bob]:" },
    { why: "':'", name: "al:ice" },
    { why: "a leading '*'", name: "*alice" },
    { why: "only '*'", name: "*" },
    { why: "an inner '*'", name: "al*ice" },
    { why: "33 ASCII letters", name: "a".repeat(MAX_NAME_LENGTH + 1) },
    { why: "33 CJK characters", name: "李".repeat(MAX_NAME_LENGTH + 1) },
    { why: "33 astral letters", name: "𝒜".repeat(MAX_NAME_LENGTH + 1) },
    { why: "U+FFFD", name: "\uFFFD" },
    { why: "U+FFFD after letters", name: "alice\uFFFD" },
    { why: "a leading combining mark", name: "\u0301alice" },
    { why: "an emoji", name: "alice😀" },
    { why: "a zero-width space", name: "al\u200Bice" },
    { why: "a right-to-left override", name: "alice\u202Egnp" },
    { why: "a no-break space", name: "al\u00A0ice" },
    { why: "a full-width colon", name: "al：ice" },
    { why: "'@'", name: "alice@host" },
  ];
  for (const { why, name } of cases) {
    const problem = nameProblem(name);
    assert.equal(typeof problem, "string", `${why}: ${JSON.stringify(name)}`);
  }
});

Deno.test("nameProblem() says why in a sentence", () => {
  assert.equal(nameProblem(""), `Name is empty: it must be ${NAME_RULE}`);
  assert.equal(
    nameProblem("a".repeat(33)),
    `Name is 33 characters long: it must be ${NAME_RULE}`,
  );
  assert.equal(nameProblem("al ice"), `Name must be ${NAME_RULE}`);
  for (const name of ["", "a".repeat(40), "[x]"]) {
    const problem = nameProblem(name) ?? "";
    assert.match(problem, /^[A-Z].*[^.]$/, JSON.stringify(name));
  }
});

Deno.test("nameKey() is equal for names that differ only in case or width", () => {
  const pairs: [string, string][] = [
    ["Alice", "alice"],
    ["ALICE", "alice"],
    ["Alice", "ALICE"],
    ["aLiCe", "AlIcE"],
    ["Ａｌｉｃｅ", "alice"],
    ["ＡＬＩＣＥ", "Alice"],
    ["José", "Jose\u0301"],
    ["JOSÉ", "josé"],
    ["ﬁsh", "fish"],
    ["Ωmega", "ωMEGA"],
    ["ДМИТРИЙ", "дмитрий"],
  ];
  for (const [first, second] of pairs) {
    assert.equal(nameKey(first), nameKey(second), `${first} / ${second}`);
  }
});

Deno.test("nameKey() differs for different names", () => {
  const pairs: [string, string][] = [
    ["alice", "alicf"],
    ["alice", "alice_"],
    ["alice", "alic"],
    ["li", "李"],
    ["李", "季"],
    ["jose", "josé"],
    ["a.b", "a-b"],
  ];
  for (const [first, second] of pairs) {
    assert.notEqual(nameKey(first), nameKey(second), `${first} / ${second}`);
  }
});

Deno.test("nameKey() of a key is the key itself", () => {
  for (const name of ["Alice", "Ａｌｉｃｅ", "JOSÉ", "Jose\u0301", "ﬁsh", "李"]) {
    const key = nameKey(name);
    assert.equal(nameKey(key), key, name);
  }
});

Deno.test("nameKey() is equal for names that differ only in case in any script", () => {
  assert.equal(nameProblem("σασ"), undefined);
  assert.equal(nameKey("ΣΑΣ"), nameKey("σασ"));
  assert.equal(nameKey("Straße"), nameKey("STRASSE"));
});

Deno.test("nameProblem() refuses invisible (default-ignorable) characters, naming them", () => {
  const cases: { why: string; name: string; codePoint: string }[] = [
    { why: "U+034F COMBINING GRAPHEME JOINER", name: "alice\u034F", codePoint: "U+034F" },
    { why: "VARIATION SELECTOR-15", name: "alice\uFE0E", codePoint: "U+FE0E" },
    { why: "VARIATION SELECTOR-16", name: "alice\uFE0F", codePoint: "U+FE0F" },
    { why: "VARIATION SELECTOR-17", name: "alice\u{E0100}", codePoint: "U+E0100" },
    { why: "VARIATION SELECTOR-256", name: "ali\u{E01EF}ce", codePoint: "U+E01EF" },
    { why: "MONGOLIAN FREE VARIATION SELECTOR ONE", name: "alice\u180B", codePoint: "U+180B" },
    { why: "MONGOLIAN FREE VARIATION SELECTOR FOUR", name: "alice\u180F", codePoint: "U+180F" },
    { why: "HANGUL FILLER alone", name: "\u3164", codePoint: "U+3164" },
    { why: "HANGUL CHOSEONG FILLER alone", name: "\u115F", codePoint: "U+115F" },
    { why: "HANGUL JUNGSEONG FILLER alone", name: "\u1160", codePoint: "U+1160" },
    { why: "HALFWIDTH HANGUL FILLER alone", name: "\uFFA0", codePoint: "U+FFA0" },
    { why: "a run of Hangul fillers", name: "\u3164\u3164\u3164", codePoint: "U+3164" },
    { why: "a Hangul filler after a name", name: "alice\u3164", codePoint: "U+3164" },
    { why: "ZERO WIDTH JOINER", name: "ali\u200Dce", codePoint: "U+200D" },
    { why: "ZERO WIDTH NON-JOINER", name: "ali\u200Cce", codePoint: "U+200C" },
    { why: "ZERO WIDTH SPACE", name: "al\u200Bice", codePoint: "U+200B" },
    { why: "WORD JOINER", name: "alice\u2060", codePoint: "U+2060" },
    { why: "SOFT HYPHEN", name: "ali\u00ADce", codePoint: "U+00AD" },
    { why: "HANGUL filler before a letter", name: "\u3164bob", codePoint: "U+3164" },
  ];
  for (const { why, name, codePoint } of cases) {
    assert.equal(nameProblem(name), `Name has an invisible character (${codePoint})`, why);
  }
});

Deno.test("nameProblem() refuses more than 2 stacked marks on a character or 16 in a name", () => {
  assert.equal(MAX_MARKS_PER_CHARACTER, 2);
  assert.equal(MAX_MARKS, 16);
  const tooMany = "Name has too many combining marks: at most 2 on one character and 16 in all";
  const refused: { why: string; name: string }[] = [
    { why: "Zalgo: one letter and 31 marks", name: "a" + "\u0301".repeat(31) },
    { why: "three marks on one letter", name: "alice\u0301\u0302\u0303" },
    { why: "ệ (two marks after NFD) and one more", name: "\u1EC7\u0301" },
    { why: "17 marks, at most 2 on each letter", name: "\u1EC7".repeat(8) + "\u00E9" },
    { why: "an enclosing mark counts", name: "a\u20DD\u0301\u0302" },
  ];
  for (const { why, name } of refused) assert.equal(nameProblem(name), tooMany, why);
  const accepted: { why: string; name: string }[] = [
    { why: "ệ precomposed: two marks after NFD", name: "\u1EC7" },
    { why: "ệ decomposed", name: "e\u0323\u0302" },
    { why: "Vietnamese", name: "Nguy\u1EC5nTh\u1ECBMinhKhai" },
    { why: "exactly 16 marks", name: "\u1EC7".repeat(8) },
    { why: "pointed Hebrew", name: "\u05D9\u05B4\u05E9\u05B0\u05C2\u05E8\u05B8\u05D0\u05B5\u05DC" },
    {
      why: "Devanagari: spacing vowel signs are not counted",
      name:
        "\u0938\u094D\u0935\u093E\u092E\u0940\u0935\u093F\u0935\u0947\u0915\u093E\u0928\u0928\u094D\u0926",
    },
  ];
  for (const { why, name } of accepted) assert.equal(nameProblem(name), undefined, why);
});

Deno.test("nameProblem() refuses names without a letter or digit", () => {
  const reason = "Name must have at least one letter or digit";
  for (const name of ["--", "...", "_", ".", "-", "_-_.", "-".repeat(MAX_NAME_LENGTH)]) {
    assert.equal(nameProblem(name), reason, JSON.stringify(name));
  }
  for (const name of ["-a-", "_7", "...x", "\u00B2"]) {
    assert.equal(nameProblem(name), undefined, JSON.stringify(name));
  }
});

Deno.test("nameProblem() refuses reserved names in any case, width or lookalike", () => {
  assert.ok(RESERVED_NAMES.includes("server"));
  assert.ok(Object.isFrozen(RESERVED_NAMES));
  for (const word of RESERVED_NAMES) {
    for (const name of [word, word.toUpperCase(), word[0]!.toUpperCase() + word.slice(1)]) {
      assert.equal(nameProblem(name), `The name ${name} is reserved`, name);
    }
  }
  const lookalikes: { why: string; name: string }[] = [
    { why: "the protocol's keyword", name: "NOTICE" },
    { why: "full-width", name: "\uFF33\uFF25\uFF32\uFF36\uFF25\uFF32" },
    { why: "Cyrillic Ѕ and Е", name: "\u0405\u0415RV\u0415R" },
    { why: "Greek Eta for H", name: "\u0397ELP" },
    { why: "zeros for o", name: "r00t" },
    { why: "rn for m", name: "adrnin" },
    { why: "capital I for l", name: "HEIP" },
  ];
  for (const { why, name } of lookalikes) {
    assert.equal(nameProblem(name), `The name ${name} is reserved`, why);
  }
  for (const name of ["server2", "admins", "helper", "mee", "whom", "quitter", "notices"]) {
    assert.equal(nameProblem(name), undefined, name);
  }
});

Deno.test("nameSkeleton() is equal for names that look alike", () => {
  const pairs: { why: string; first: string; second: string }[] = [
    { why: "Cyrillic а", first: "\u0430lice", second: "alice" },
    { why: "capital I for l", first: "aIice", second: "alice" },
    { why: "capital I for l, capitalised", first: "AIice", second: "Alice" },
    { why: "Greek ο", first: "b\u03BFb", second: "bob" },
    { why: "Cyrillic і", first: "Dm\u0456try", second: "Dmitry" },
    { why: "Cyrillic р and а", first: "\u0440\u0430yp\u0430l", second: "paypal" },
    { why: "full-width", first: "\uFF41lice", second: "alice" },
    { why: "mathematical bold", first: "\u{1D41A}lice", second: "alice" },
    { why: "Greek capitals", first: "\u0391LICE", second: "ALICE" },
    { why: "zero for O (confusables.txt)", first: "b0b", second: "bob" },
    { why: "one for l (confusables.txt)", first: "a1ice", second: "alice" },
    { why: "rn for m (confusables.txt)", first: "rn", second: "m" },
    { why: "rn for m inside names", first: "arnie", second: "amie" },
    { why: "digit one, capital I and small l", first: "user1", second: "userI" },
    { why: "canonical equivalents", first: "Jos\u00E9", second: "Jose\u0301" },
    { why: "invisible characters do not count", first: "alice\uFE0F\u3164", second: "alice" },
  ];
  for (const { why, first, second } of pairs) {
    assert.equal(nameSkeleton(first), nameSkeleton(second), why);
  }
});

Deno.test("nameSkeleton() differs for names that look different", () => {
  const pairs: { why: string; first: string; second: string }[] = [
    { why: "different names", first: "alice", second: "bob" },
    { why: "different names", first: "alice", second: "carol" },
    { why: "different names", first: "bob", second: "carol" },
    { why: "a longer name", first: "alice", second: "alicia" },
    { why: "a diaeresis", first: "zo\u00EB", second: "zoe" },
    { why: "an acute accent", first: "jos\u00E9", second: "jose" },
    { why: "w is not vv", first: "w", second: "vv" },
    { why: "d is not cl", first: "d", second: "cl" },
    { why: "Han characters", first: "\u674E", second: "\u5B63" },
    { why: "case is folded after mapping: ALICE keeps its I", first: "ALICE", second: "alice" },
    { why: "so Greek ΑLICE is not alice", first: "\u0391LICE", second: "alice" },
  ];
  for (const { why, first, second } of pairs) {
    assert.notEqual(nameSkeleton(first), nameSkeleton(second), `${why}: ${first} / ${second}`);
  }
});

Deno.test("nameProblem(), nameKey() and nameSkeleton() stop every impersonation of issue 16", () => {
  const clash = (first: string, second: string) =>
    nameKey(first) === nameKey(second) || nameSkeleton(first) === nameSkeleton(second);
  const attempts: { why: string; name: string; online: string }[] = [
    { why: "COMBINING GRAPHEME JOINER", name: "alice\u034F", online: "alice" },
    { why: "VARIATION SELECTOR-15", name: "alice\uFE0E", online: "alice" },
    { why: "VARIATION SELECTOR-16", name: "alice\uFE0F", online: "alice" },
    { why: "VARIATION SELECTOR-17", name: "alice\u{E0100}", online: "alice" },
    { why: "MONGOLIAN FREE VARIATION SELECTOR ONE", name: "alice\u180B", online: "alice" },
    { why: "Cyrillic а", name: "\u0430lice", online: "alice" },
    { why: "Greek ο", name: "b\u03BFb", online: "bob" },
    { why: "capital I", name: "aIice", online: "alice" },
    { why: "case", name: "ALICE", online: "alice" },
    { why: "full width", name: "\uFF21\uFF2C\uFF29\uFF23\uFF25", online: "alice" },
    { why: "blank Hangul fillers", name: "\u3164\u115F\u1160\uFFA0", online: "alice" },
    { why: "Zalgo", name: "a" + "\u0336".repeat(31), online: "a" },
    { why: "SERVER", name: "SERVER", online: "alice" },
    { why: "NOTICE", name: "NOTICE", online: "alice" },
    { why: "--", name: "--", online: "alice" },
  ];
  for (const { why, name, online } of attempts) {
    assert.equal(nameProblem(online), undefined, `${why}: ${online} is a valid name`);
    assert.ok(nameProblem(name) !== undefined || clash(name, online), why);
  }
});
