import assert from "@nanochat/assert";
import { MAX_NAME_LENGTH, NAME_RULE, nameKey, nameProblem } from "../../protocol/username.ts";

Deno.test("nameProblem() accepts letters, digits, '_', '-' and '.' in any script", () => {
  const names = [
    "alice",
    "Alice",
    "a",
    "7",
    "007",
    "_",
    ".",
    "-",
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
