import assert from "@nanochat/assert";
import { InputHistory } from "../../client/input_history.ts";
import { parseInput } from "../../client/input.ts";

Deno.test("InputHistory.previous() recalls every earlier line, whatever the draft", () => {
  const history = new InputHistory();
  for (const line of ["hello", "/who", "bye"]) history.add(line);
  assert.equal(history.previous("zzz"), "bye");
  assert.equal(history.previous("bye"), "/who");
  assert.equal(history.previous("/who"), "hello");
  assert.equal(history.previous("hello"), undefined, "nothing before the first");
});

Deno.test("InputHistory.next() goes back to the draft as it was before the first Up", () => {
  const history = new InputHistory();
  history.add("one");
  history.add("two");
  assert.equal(history.next(), undefined, "Down on the draft does nothing");
  assert.equal(history.previous("half typed"), "two");
  assert.equal(history.previous("two, edited"), "one");
  assert.equal(history.next(), "two");
  assert.equal(history.next(), "half typed");
  assert.equal(history.next(), undefined);
});

Deno.test("InputHistory.add() skips empty lines and repeats, and starts again from the draft", () => {
  const history = new InputHistory();
  for (const line of ["a", "", "  ", "a", "b"]) history.add(line);
  assert.equal(history.previous(""), "b");
  history.add("c");
  assert.equal(history.previous(""), "c", "after a line is sent, Up starts from the newest");
  assert.equal(history.previous("c"), "b");
  assert.equal(history.previous("b"), "a");
  assert.equal(history.previous("a"), undefined);
});

Deno.test("parseInput() refuses a line over the server's 4096-byte limit and keeps it", () => {
  const cases: { input: string; bytes: number }[] = [
    { input: "x".repeat(4096), bytes: 4097 }, // with the "*" that makes it a message
    { input: "中".repeat(1366), bytes: 4099 },
    { input: `/msg bob ${"y".repeat(4090)}`, bytes: 4098 }, // MSG bob …
  ];
  for (const { input, bytes } of cases) {
    assert.deepEqual(parseInput(input), {
      kind: "invalid",
      reason: `Not sent: ${bytes} bytes, over the server's limit of 4096; shorten it`,
      keep: true,
    });
  }
  assert.equal(parseInput("x".repeat(4095)).kind, "send", "4096 bytes with the *");
  assert.equal(parseInput("中".repeat(1365)).kind, "send");
});
