import assert from "@nanochat/assert";
import { SortedNames } from "../../server/hub/sorted_names.ts";

/** The same operations on one plain sorted array: what SortedNames must match. */
function model(entries: [string, string][]): string[] {
  return [...entries].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([, name]) => name);
}

/** A small deterministic generator, so a failure repeats. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

Deno.test("SortedNames keeps names in key order through adds and deletes across many blocks", () => {
  const next = random(7);
  const names = new SortedNames();
  const held: [string, string][] = [];
  for (let step = 0; step < 6000; step++) {
    if (held.length > 0 && next() < 0.4) {
      const [key, name] = held.splice(Math.floor(next() * held.length), 1)[0]!;
      names.delete(key, name);
    } else {
      const name = `u${Math.floor(next() * 100_000)}`;
      if (held.some(([, held]) => held === name)) continue;
      held.push([name.toLowerCase(), name]);
      names.add(name.toLowerCase(), name);
    }
    if (step % 500 === 0) assert.deepEqual(names.first(Infinity), model(held));
  }
  assert.equal(names.size, held.length);
  assert.deepEqual(names.first(Infinity), model(held));
  assert.deepEqual(names.first(700), model(held).slice(0, 700));
});

Deno.test("SortedNames empties and fills again, and ignores deleting what it does not hold", () => {
  const names = new SortedNames();
  for (let i = 0; i < 2000; i++) names.add(`k${i}`, `n${i}`);
  names.delete("k5", "someone-else");
  names.delete("missing", "missing");
  assert.equal(names.size, 2000);
  for (let i = 0; i < 2000; i++) names.delete(`k${i}`, `n${i}`);
  assert.equal(names.size, 0);
  assert.deepEqual(names.first(10), []);
  names.add("b", "B");
  names.add("a", "A");
  assert.deepEqual(names.first(10), ["A", "B"]);
});
