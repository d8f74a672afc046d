/**
 * The passwords the client holds in memory, and only there, to log in again
 * after a lost connection: the one it logged in with (from the file or the
 * prompt), and the one a `/register` or `/password` set once the server
 * confirmed it. They are kept per name (the user may change it), never
 * written anywhere, and forgotten on `/unregister`.
 *
 * @module
 */

import { parseServerLine } from "../protocol/server_lines.ts";
import { nameKey } from "../protocol/username.ts";
import type { SecretCommand } from "./secret_input.ts";

/** A change the user asked for, waiting for the server to confirm it. */
interface Pending {
  readonly word: SecretCommand["word"];
  readonly name: string;
  readonly password: string;
}

/** The notice that confirms each command. */
const CONFIRMATIONS: Readonly<Record<string, SecretCommand["word"]>> = {
  "registered": "REGISTER",
  "password-changed": "PASSWORD",
  "unregistered": "UNREGISTER",
};

/** Passwords by name, in memory only, for logging in again. */
export class PasswordBook {
  readonly #passwords = new Map<string, string>();
  #pending: Pending | undefined;

  /**
   * Remembers the password a name logged in with.
   *
   * @param name The name.
   * @param password Its password.
   */
  set(name: string, password: string): void {
    this.#passwords.set(nameKey(name), password);
  }

  /**
   * The password known for a name.
   *
   * @param name The name, in any case.
   * @returns The password, or `undefined` if none is known.
   */
  get(name: string): string | undefined {
    return this.#passwords.get(nameKey(name));
  }

  /**
   * Notes a password command the user sent, to take it up once the server
   * confirms it (a refused one changes nothing).
   *
   * @param command The command.
   * @param name The user's name when they sent it.
   */
  sent(command: SecretCommand, name: string): void {
    if (command.word === "PASS") return;
    this.#pending = { word: command.word, name, password: command.password };
  }

  /**
   * Learns from a server line: `NOTICE registered:`, `NOTICE
   * password-changed:` and `NOTICE unregistered:` confirm what was sent.
   *
   * @param line A line as received.
   */
  observe(line: string): void {
    const parsed = parseServerLine(line);
    if (parsed.kind !== "notice" || this.#pending === undefined) return;
    const word = CONFIRMATIONS[parsed.code];
    if (word === undefined || word !== this.#pending.word) return;
    const { name, password } = this.#pending;
    this.#pending = undefined;
    if (word === "UNREGISTER") this.#passwords.delete(nameKey(name));
    else this.set(name, password);
  }
}
