/**
 * Runs the real `nanochat` command line as a subprocess, with exactly the
 * permission the deno.json tasks grant it (`--allow-net`).
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
 * The argv that runs `nanochat` with the given arguments.
 *
 * @param args The arguments after the program name.
 * @param permissions Deno permission flags beyond `--allow-net`.
 */
export function nanochatArgs(args: string[], permissions: string[] = []): string[] {
  return ["run", "--allow-net", ...permissions, MAIN_PATH, ...args];
}

/**
 * Runs `nanochat` with arguments and waits for it to exit.
 *
 * @param args The arguments after the program name.
 * @param stdin Text to pipe into it; none gives an empty stdin.
 * @param permissions Deno permission flags beyond `--allow-net`.
 */
export async function runCli(
  args: string[],
  stdin?: string,
  permissions: string[] = [],
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: nanochatArgs(args, permissions),
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Collects a stream's lines as they arrive, for tests to wait on. */
export class LineCollector {
  readonly lines: string[] = [];
  readonly done: Promise<void>;
  #wake: (() => void) | undefined;

  /** Starts reading `stream` to its end. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#collect(stream);
  }

  /**
   * Waits for a line matching `pattern` and returns it, or, given a
   * predicate, until it holds; fails after `timeoutMs`.
   */
  async waitFor(
    pattern: RegExp | (() => boolean),
    what = String(pattern),
    timeoutMs = LINE_TIMEOUT_MS,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (typeof pattern === "function") {
        if (pattern()) return "";
      } else {
        const found = this.lines.find((line) => pattern.test(line));
        if (found !== undefined) return found;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out waiting for ${what}:\n${this.lines.join("\n")}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    let pending = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (pending + text).split("\n");
      pending = parts.pop()!;
      this.lines.push(...parts);
      this.#wake?.();
    }
    if (pending !== "") this.lines.push(pending);
    this.#wake?.();
  }
}

/** A long-running `nanochat` subprocess with its output read line by line. */
export class NanochatProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stdout: LineCollector;
  readonly stderr: LineCollector;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;

  /**
   * Starts `nanochat` with arguments.
   *
   * @param args The arguments after the program name.
   * @param stdin Whether the test writes to its stdin (else it is empty).
   * @param permissions Deno permission flags beyond `--allow-net`.
   * @param options A lower limit on open files (`ulimit -n`) for the process.
   */
  constructor(
    args: string[],
    stdin = false,
    permissions: string[] = [],
    options: { openFileLimit?: number } = {},
  ) {
    // A lower open-file limit needs the shell's ulimit before exec.
    const [command, commandArgs] = options.openFileLimit === undefined
      ? [Deno.execPath(), nanochatArgs(args, permissions)]
      : [
        "sh",
        [
          "-c",
          `ulimit -n ${options.openFileLimit} && exec "$0" "$@"`,
          Deno.execPath(),
          ...nanochatArgs(args, permissions),
        ],
      ];
    this.child = new Deno.Command(command as string, {
      args: commandArgs as string[],
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    this.stdout = new LineCollector(this.child.stdout);
    this.stderr = new LineCollector(this.child.stderr);
    this.#stdin = stdin ? this.child.stdin.getWriter() : undefined;
  }

  /** Writes text to its stdin. */
  async write(text: string): Promise<void> {
    await this.#stdin!.write(new TextEncoder().encode(text));
  }

  /** Closes its stdin (end of input). */
  async closeStdin(): Promise<void> {
    await this.#stdin!.close();
  }

  /** Waits for it to exit, and for its output to be read. */
  async exited(): Promise<Deno.CommandStatus> {
    const status = await this.child.status;
    await Promise.all([this.stdout.done, this.stderr.done]);
    return status;
  }

  /** Sends a signal and waits for it to exit. */
  stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    this.child.kill(signal);
    return this.exited();
  }

  /** The process's resident memory in KiB (Linux only). */
  async residentKiB(): Promise<number> {
    // Deno asks for --allow-all to read /proc directly; cat needs only --allow-run.
    const { stdout } = await new Deno.Command("cat", { args: [`/proc/${this.child.pid}/status`] })
      .output();
    return Number(new TextDecoder().decode(stdout).match(/^VmRSS:\s+(\d+) kB$/m)![1]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.#stdin?.close().catch(() => {});
    await this.exited();
  }
}

/** The port of a `listening` log line, in the text or the JSON format. */
function parseListening(line: string): { port: number; tls: boolean }[] {
  if (line.startsWith("{")) {
    const event = JSON.parse(line);
    if (event.event !== "listening") return [];
    return [{ port: Number(event.addr.match(/:(\d+)$/)[1]), tls: event.tls }];
  }
  const match = line.match(/ listening addr=\S+:(\d+) tls=(true|false)$/);
  return match ? [{ port: Number(match[1]), tls: match[2] === "true" }] : [];
}

/** A `nanochat serve` subprocess on free loopback ports. */
export class ServerProcess extends NanochatProcess {
  #listeners: { port: number; tls: boolean }[] = [];

  /**
   * Starts `nanochat serve …` and waits until it listens.
   *
   * @param flags Flags for `serve`; without `--listen` or `--tls-listen`,
   * the address `127.0.0.1:0` is added.
   * @param options How many listeners to wait for, Deno permissions beyond
   * `--allow-net`, and a lower limit on open files.
   */
  static async start(
    flags: string[] = [],
    options: { listeners?: number; permissions?: string[]; openFileLimit?: number } = {},
  ): Promise<ServerProcess> {
    const hasAddress = flags.includes("--listen") || flags.includes("--tls-listen");
    // Tests keep nothing on disk unless they name a database.
    const storage = flags.includes("--data") ? [] : ["--in-memory"];
    const server = new ServerProcess(
      ["serve", ...(hasAddress ? [] : ["127.0.0.1:0"]), ...storage, ...flags],
      false,
      options.permissions,
      options.openFileLimit === undefined ? {} : { openFileLimit: options.openFileLimit },
    );
    const wanted = options.listeners ?? 1;
    const listeners = () => server.stderr.lines.flatMap(parseListening);
    await server.stderr.waitFor(() => listeners().length >= wanted, `${wanted} listening line(s)`);
    server.#listeners = listeners();
    return server;
  }

  /** The first port it listens on. */
  get port(): number {
    return this.#listeners[0]!.port;
  }

  /** The first port it listens on with TLS, or plain. */
  portOf(kind: "tls" | "plain"): number {
    return this.#listeners.find((listener) => listener.tls === (kind === "tls"))!.port;
  }

  /** The port of the web page (`--http`), once its start line is logged. */
  async webPort(): Promise<number> {
    const line = await this.stderr.waitFor(/ web addr=\S+:\d+ tls=/);
    return Number(/ web addr=\S+:(\d+) tls=/.exec(line)![1]);
  }
}
