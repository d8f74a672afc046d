/**
 * Runs the real `nanochat` command line as a subprocess, with exactly the
 * permissions the deno.json tasks grant it.
 *
 * @module
 */

import { LINE_TIMEOUT_MS } from "./test_client.ts";

/** The entry point under test. */
export const MAIN_PATH = new URL("../../main.ts", import.meta.url).pathname;

/** What a finished command printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `nanochat` with arguments and waits for it to exit.
 *
 * @param args The arguments after the program name.
 */
export async function runCli(args: string[]): Promise<CliResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", MAIN_PATH, ...args],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A `nanochat serve` subprocess whose stderr log is read line by line. */
export class ServerProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly #log: string[] = [];
  readonly #reading: Promise<void>;
  #wake: (() => void) | undefined;
  #port = 0;

  private constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#reading = this.#readLog();
  }

  /**
   * Starts `nanochat serve 127.0.0.1:0 …` and waits until it listens.
   *
   * @param flags Extra flags for `serve`.
   */
  static async start(flags: string[] = []): Promise<ServerProcess> {
    const process = new ServerProcess(
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-net", MAIN_PATH, "serve", "127.0.0.1:0", ...flags],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn(),
    );
    const listening = await process.waitForLog(/ listening addr=\S+:(\d+)$/);
    process.#port = Number(listening.match(/:(\d+)$/)![1]);
    return process;
  }

  /** The port the server listens on. */
  get port(): number {
    return this.#port;
  }

  /** Every stderr line so far. */
  get log(): readonly string[] {
    return this.#log;
  }

  /** Waits for a stderr line matching `pattern`. */
  async waitForLog(pattern: RegExp): Promise<string> {
    const deadline = Date.now() + LINE_TIMEOUT_MS;
    for (;;) {
      const found = this.#log.find((line) => pattern.test(line));
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No stderr line matches ${pattern}:\n${this.#log.join("\n")}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** The process's resident memory in KiB (Linux only). */
  async residentKiB(): Promise<number> {
    // Deno asks for --allow-all to read /proc directly; cat needs only --allow-run.
    const { stdout } = await new Deno.Command("cat", { args: [`/proc/${this.child.pid}/status`] })
      .output();
    const status = new TextDecoder().decode(stdout);
    return Number(status.match(/^VmRSS:\s+(\d+) kB$/m)![1]);
  }

  /**
   * Sends a signal and waits for the process to exit.
   *
   * @returns Its exit status.
   */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    this.child.kill(signal);
    const status = await this.child.status;
    await this.#reading;
    return status;
  }

  async #readLog(): Promise<void> {
    let pending = "";
    for await (const text of this.child.stderr.pipeThrough(new TextDecoderStream())) {
      const parts = (pending + text).split("\n");
      pending = parts.pop()!;
      this.#log.push(...parts);
      this.#wake?.();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.child.status;
    await this.#reading;
  }
}
