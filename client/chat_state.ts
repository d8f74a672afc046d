/**
 * What the client learns from the lines it receives: its own current name
 * (it changes with NICK), the names of other users, for tab completion, and
 * the rooms ({@linkcode RoomState}).
 *
 * @module
 */

import { parseServerLine, type ServerLine } from "../protocol/server_lines.ts";
import { nameKey, nameProblem } from "../protocol/username.ts";
import { RoomState } from "./room_state.ts";

// The texts of the notices about users; each starts with the user's name.
const JOINED = /^(\S+) joined$/;
const LEFT = /^(\S+) /;
const RENAMED = /^(\S+) is now (\S+)$/;

/** How many other users' names the client remembers for completion. */
const MAX_KNOWN_NAMES = 5000;

/** The client's view of who is who, and of the rooms. */
export class ChatState {
  #name: string;
  readonly #others = new Map<string, string>();
  /** The rooms the user is in, the current one, unread counts. */
  readonly rooms: RoomState = new RoomState();

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
   * @returns The line, parsed.
   */
  observe(line: string): ServerLine {
    const parsed = parseServerLine(line);
    this.rooms.observe(parsed);
    switch (parsed.kind) {
      case "chat":
      case "private":
      case "action":
        this.#add(parsed.name);
        break;
      case "who":
        // One room's users, not everyone online: it adds to what is known.
        for (const name of parsed.names) this.#add(name);
        break;
      case "notice":
        this.#notice(parsed.code, parsed.text, parsed.room ?? "");
        break;
    }
    return parsed;
  }

  #notice(code: string, text: string, room: string): void {
    const match = text.match(code === "join" ? JOINED : code === "nick" ? RENAMED : LEFT);
    if (!match) return;
    // `bob was kicked by alice`: kicked out of the room the notice came from.
    if (code === "kick" && nameKey(match[1]!) === nameKey(this.#name)) this.rooms.leave(room);
    if (code === "join") this.#add(match[1]!);
    else if (code === "nick") this.#rename(match[1]!, match[2]!);
    else if (code === "quit" || code === "disconnect") this.#others.delete(nameKey(match[1]!));
  }

  /**
   * Completes the last word of a half-typed line with a known name, or with
   * a known room's name when the word starts with `#` (no user name can).
   *
   * @param input The line so far.
   * @returns The names that fit and the word they would replace, in the
   * shape `node:readline`'s completer wants.
   */
  complete(input: string): [string[], string] {
    const word = input.slice(input.lastIndexOf(" ") + 1);
    if (word === "") return [[], word];
    const prefix = nameKey(word);
    const matches = word.startsWith("#")
      ? this.rooms.complete(word)
      : this.otherNames.filter((name) => nameKey(name).startsWith(prefix));
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
