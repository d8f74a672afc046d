/**
 * Names kept in order as they come and go, for `WHO`: a list of short
 * sorted blocks rather than one sorted array. One array made every join and
 * every departure move half the room's names (`splice`): at 10,000 users,
 * logging everyone in and out moved 100 million entries, several percent
 * of the server's time at logins. A block holds at most
 * {@linkcode MAX_BLOCK} names, so a change moves at most that many and finds
 * its block by a binary search over the blocks.
 *
 * @module
 */

/** A block splits in two past this many names. */
const MAX_BLOCK = 512;

/** One sorted run: sort keys and names in the same order. */
interface Block {
  readonly keys: string[];
  readonly names: string[];
}

/**
 * Sorted names with their sort keys; a key may repeat, a name with its key
 * is one entry.
 *
 * @example Names in order of their keys
 * ```ts
 * import { SortedNames } from "./sorted_names.ts";
 * import assert from "node:assert/strict";
 *
 * const names = new SortedNames();
 * names.add("bob", "Bob");
 * names.add("alice", "alice");
 * names.add("carol", "carol");
 * names.delete("bob", "Bob");
 * assert.deepEqual(names.first(10), ["alice", "carol"]);
 * ```
 */
export class SortedNames {
  #blocks: Block[] = [];
  #size = 0;

  /** How many names are held. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds a name at its key's place (after names with the same key).
   *
   * @param key The sort key.
   * @param name The name shown.
   */
  add(key: string, name: string): void {
    this.#size++;
    const blocks = this.#blocks;
    if (blocks.length === 0) return void blocks.push({ keys: [key], names: [name] });
    const index = this.#blockFor(key);
    const block = blocks[index]!;
    const at = upperBound(block.keys, key);
    block.keys.splice(at, 0, key);
    block.names.splice(at, 0, name);
    if (block.keys.length > MAX_BLOCK) {
      const half = block.keys.length >>> 1;
      blocks.splice(index + 1, 0, {
        keys: block.keys.splice(half),
        names: block.names.splice(half),
      });
    }
  }

  /**
   * Removes one entry of `name` with `key`, if there is one.
   *
   * @param key The sort key it was added with.
   * @param name The name.
   */
  delete(key: string, name: string): void {
    const blocks = this.#blocks;
    // Entries with this key may run over several blocks: start at the first that can hold one.
    for (let index = this.#firstBlockWith(key); index < blocks.length; index++) {
      const block = blocks[index]!;
      for (let at = lowerBound(block.keys, key); at < block.keys.length; at++) {
        if (block.keys[at] !== key) return;
        if (block.names[at] !== name) continue;
        block.keys.splice(at, 1);
        block.names.splice(at, 1);
        this.#size--;
        if (block.keys.length === 0) blocks.splice(index, 1);
        return;
      }
    }
  }

  /**
   * The first names in key order; a snapshot.
   *
   * @param limit The most names to return.
   */
  first(limit: number): string[] {
    const names: string[] = [];
    for (const block of this.#blocks) {
      if (names.length >= limit) break;
      names.push(...block.names.slice(0, limit - names.length));
    }
    return names;
  }

  /** The block a new `key` goes in: the last whose first key is not above it. */
  #blockFor(key: string): number {
    let low = 0;
    let high = this.#blocks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.#blocks[middle]!.keys[0]! <= key) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** The first block that may hold `key`: the one before the first block starting at or past it. */
  #firstBlockWith(key: string): number {
    let low = 0;
    let high = this.#blocks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#blocks[middle]!.keys[0]! < key) low = middle + 1;
      else high = middle;
    }
    return Math.max(0, low - 1);
  }
}

/** The first index whose key is not below `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first index whose key is above `key`. */
function upperBound(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keys[middle]! <= key) low = middle + 1;
    else high = middle;
  }
  return low;
}
