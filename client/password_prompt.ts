/**
 * Asks for a password in the terminal with echo off: the terminal is put in
 * raw mode and the client draws nothing for the keys typed, not even stars,
 * so neither the screen nor the scrollback ever holds the password or its
 * length. Backspace deletes the last character, Enter ends it, Ctrl-C (or
 * Ctrl-D on an empty password) gives up.
 *
 * {@linkcode PasswordEditor} is the keys-to-password logic alone, for tests;
 * {@linkcode promptPassword} drives it from the terminal.
 *
 * @module
 */

const ENTER_KEYS = new Set([0x0d, 0x0a]);
const BACKSPACE_KEYS = new Set([0x7f, 0x08]);
const CTRL_C = 0x03;
const CTRL_D = 0x04;
const CTRL_U = 0x15;
const ESCAPE = 0x1b;

/** Where typing a password stands after some keys. */
export type PasswordEntry =
  | { readonly kind: "typing" }
  | { readonly kind: "done"; readonly password: string }
  | { readonly kind: "aborted" };

/** Turns the bytes of keys typed in raw mode into a password. */
export class PasswordEditor {
  #bytes: number[] = [];
  #entry: PasswordEntry = { kind: "typing" };

  /**
   * Takes the bytes of one read (a key, or a paste); what follows Enter or
   * Ctrl-C is ignored.
   *
   * @param bytes What the terminal sent.
   * @returns Where the entry stands.
   *
   * @example
   * ```ts
   * import { PasswordEditor } from "./password_prompt.ts";
   * import assert from "node:assert/strict";
   *
   * const editor = new PasswordEditor();
   * editor.take(new TextEncoder().encode("secrex\x7ft"));
   * assert.deepEqual(editor.take(new Uint8Array([13])), { kind: "done", password: "secret" });
   * ```
   */
  take(bytes: Uint8Array): PasswordEntry {
    for (let i = 0; i < bytes.length && this.#entry.kind === "typing"; i++) {
      const byte = bytes[i]!;
      if (ENTER_KEYS.has(byte)) {
        this.#entry = {
          kind: "done",
          password: new TextDecoder().decode(new Uint8Array(this.#bytes)),
        };
      } else if (byte === CTRL_C || (byte === CTRL_D && this.#bytes.length === 0)) {
        this.#entry = { kind: "aborted" };
      } else if (BACKSPACE_KEYS.has(byte)) {
        this.#backspace();
      } else if (byte === CTRL_U) {
        this.#bytes = [];
      } else if (byte === ESCAPE) {
        // An arrow or function key: its sequence is in the same read.
        i = bytes.length;
      } else if (byte >= 0x20 || byte === 0x09) {
        this.#bytes.push(byte);
      }
    }
    return this.#entry;
  }

  /** Drops the last character: all the bytes of its UTF-8 encoding. */
  #backspace(): void {
    while (this.#bytes.length > 0) {
      const byte = this.#bytes.pop()!;
      if ((byte & 0xc0) !== 0x80) break; // not a continuation byte: the start of the character
    }
  }
}

/**
 * Asks for a password on the terminal, with echo off.
 *
 * @param prompt What to show first, such as `Password for alice: `.
 * @returns The password, or `undefined` if the user gave up (Ctrl-C, Ctrl-D,
 * or the end of input).
 */
export async function promptPassword(prompt: string): Promise<string | undefined> {
  const encoder = new TextEncoder();
  Deno.stdout.writeSync(encoder.encode(prompt));
  const editor = new PasswordEditor();
  const buffer = new Uint8Array(1024);
  let entry: PasswordEntry = { kind: "typing" };
  Deno.stdin.setRaw(true);
  try {
    while (entry.kind === "typing") {
      const count = await Deno.stdin.read(buffer);
      if (count === null) return undefined;
      entry = editor.take(buffer.subarray(0, count));
    }
  } finally {
    buffer.fill(0);
    Deno.stdin.setRaw(false);
    Deno.stdout.writeSync(encoder.encode("\r\n"));
  }
  return entry.kind === "done" ? entry.password : undefined;
}
