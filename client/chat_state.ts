/**
 * What the client learns from the lines it receives: its own current name
 * (it changes with NICK) and the names of other users, for tab completion.
 *
 * @module
 */

import { parseServerLine } from "../protocol/server_lines.ts";
import { nameKey, nameProblem } from "../protocol/username.ts";

// The texts of the notices about users; each starts with the user's name.
const JOINED = /^(\S+) joined$/;
const LEFT = /^(\S+) /;
const RENAMED = /^(\S+) is now (\S+)$/;

/** How many other users' names the client remembers for completion. */
const MAX_KNOWN_NAMES = 5000;

/** The client's view of who is who. */
export class ChatState {
  #name: string;
  readonly #others = new Map<string, string>();

  /**
   * Starts with the name the user logged in with.
   *
   * @param name The login name.
   */
  constructor(name: string) {
    this.#name = name;
  }

  /** The user's own name, as the server last confirmed it. */
  get name(): string {
    return this.#name;
  }

  /** Other users' names seen so far and not seen leaving, sorted. */
  get otherNames(): string[] {
    return [...this.#others.values()].sort((a, b) => a.localeCompare(b));
  }

  /**
   * Learns from one server line.
   *
   * @param line A line as received.
   */
  observe(line: string): void {
    const parsed = parseServerLine(line);
    switch (parsed.kind) {
      case "chat":
      case "private":
      case "action":
        return this.#add(parsed.name);
      case "who":
        this.#others.clear();
        for (const name of parsed.names) this.#add(name);
        return;
      case "notice":
        return this.#notice(parsed.code, parsed.text);
    }
  }

  #notice(code: string, text: string): void {
    const match = text.match(code === "join" ? JOINED : code === "nick" ? RENAMED : LEFT);
    if (!match) return;
    if (code === "join") this.#add(match[1]!);
    else if (code === "nick") this.#rename(match[1]!, match[2]!);
    else if (code === "quit" || code === "disconnect") this.#others.delete(nameKey(match[1]!));
  }

  /**
   * Completes the last word of a half-typed line with a known name.
   *
   * @param input The line so far.
   * @returns The names that fit and the word they would replace, in the
   * shape `node:readline`'s completer wants.
   */
  complete(input: string): [string[], string] {
    const word = input.slice(input.lastIndexOf(" ") + 1);
    if (word === "") return [[], word];
    const prefix = nameKey(word);
    const matches = this.otherNames.filter((name) => nameKey(name).startsWith(prefix));
    // A single match is taken whole, with a space to go on typing after it.
    return [matches.length === 1 ? [`${matches[0]} `] : matches, word];
  }

  #add(name: string): void {
    // Only valid names: completions reach the terminal unsanitised.
    if (nameProblem(name) !== undefined || nameKey(name) === nameKey(this.#name)) return;
    const key = nameKey(name);
    this.#others.delete(key); // re-inserted as the newest
    this.#others.set(key, name);
    // Big rooms announce no departures, and a server may invent names:
    // remember only the most recently seen ones.
    if (this.#others.size > MAX_KNOWN_NAMES) this.#others.delete(this.#others.keys().next().value!);
  }

  #rename(oldName: string, newName: string): void {
    if (nameKey(oldName) === nameKey(this.#name)) {
      this.#name = newName;
      this.#others.delete(nameKey(newName));
      return;
    }
    this.#others.delete(nameKey(oldName));
    this.#add(newName);
  }
}
