/**
 * A real terminal for tests: a command running in a detached tmux session
 * on a private tmux server, typed into with `send-keys` and read back with
 * `capture-pane`.
 *
 * @module
 */

import { LINE_TIMEOUT_MS } from "./test_client.ts";

/** True when tmux can be run here. */
export const hasTmux: boolean = (() => {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

let nextSocket = 0;

/** One tmux pane running one command. */
export class TmuxPane implements AsyncDisposable {
  readonly #socket: string;

  private constructor(socket: string) {
    this.#socket = socket;
  }

  /**
   * Starts `argv` in a new detached session. When the command exits, the pane
   * shows `[exit N]` and stays, so tests can read the exit code off the screen.
   *
   * @param argv The command and its arguments.
   * @param size The window's size, 100 columns by 30 rows unless given.
   */
  static async start(
    argv: string[],
    size: { columns?: number; rows?: number } = {},
  ): Promise<TmuxPane> {
    const pane = new TmuxPane(`nanochat-test-${Deno.pid}-${nextSocket++}`);
    const command = argv.map(shellQuote).join(" ");
    await pane.#tmux([
      "new-session",
      "-d",
      "-x",
      String(size.columns ?? 100),
      "-y",
      String(size.rows ?? 30),
      `${command}; echo "[exit $?]"; sleep 3600`,
    ]);
    return pane;
  }

  /** Types keys (tmux key names such as `Enter`, `C-d`, `Left`, or literal text). */
  async sendKeys(...keys: string[]): Promise<void> {
    await this.#tmux(["send-keys", "-t", "0", ...keys]);
  }

  /**
   * Resizes the window, as a user dragging its edge would.
   *
   * @param columns The new width.
   * @param rows The new height, 30 unless given.
   */
  async resize(columns: number, rows = 30): Promise<void> {
    await this.#tmux(["resize-window", "-t", "0", "-x", String(columns), "-y", String(rows)]);
  }

  /**
   * Expands a tmux format for the pane's window, such as
   * `#{window_bell_flag}` (1 once the bell rang: the session is never
   * attached, so tmux keeps the flag).
   */
  async format(format: string): Promise<string> {
    return (await this.#tmux(["display-message", "-p", "-t", "0", format])).trim();
  }

  /** Types text literally (no key-name lookup). */
  async type(text: string): Promise<void> {
    await this.#tmux(["send-keys", "-t", "0", "-l", text]);
  }

  /** Types a line and presses Enter. */
  async enter(text: string): Promise<void> {
    await this.type(text);
    await this.sendKeys("Enter");
  }

  /**
   * The visible screen as text.
   *
   * @param withStyles Keep the escape sequences for colours and attributes.
   */
  async screen(withStyles = false): Promise<string> {
    return await this.#tmux(["capture-pane", "-t", "0", "-p", ...(withStyles ? ["-e"] : [])]);
  }

  /**
   * Everything the pane ever showed: its scrollback and the visible screen,
   * for asserting that something (a password) was never on it.
   */
  async scrollback(): Promise<string> {
    return await this.#tmux(["capture-pane", "-t", "0", "-p", "-S", "-", "-E", "-"]);
  }

  /** The screen's non-empty lines. */
  async lines(): Promise<string[]> {
    return (await this.screen()).split("\n").filter((line) => line.trim() !== "");
  }

  /**
   * Waits until the screen satisfies `ready`, polling it.
   *
   * @returns The screen that satisfied it.
   */
  async waitForScreen(ready: (screen: string) => boolean, what: string): Promise<string> {
    const deadline = Date.now() + 2 * LINE_TIMEOUT_MS;
    for (;;) {
      const screen = await this.screen();
      if (ready(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${what}; screen:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits for `text` to appear on screen. */
  waitForText(text: string): Promise<string> {
    return this.waitForScreen((screen) => screen.includes(text), JSON.stringify(text));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#tmux(["kill-server"]).catch(() => {});
  }

  async #tmux(args: string[]): Promise<string> {
    const output = await new Deno.Command("tmux", {
      args: ["-L", this.#socket, "-f", "/dev/null", ...args],
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(output.stdout);
    if (!output.success) {
      throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(output.stderr)}`);
    }
    return text;
  }
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
