/**
 * Smoke test of a built `nanochat` binary, run by the release workflow on each
 * target's own runner before the binary is published:
 *
 * ```sh
 * deno run --allow-run --allow-net scripts/smoke.ts dist/nanochat [PORT]
 * ```
 *
 * It checks that `--version` prints deno.json's version, starts
 * `serve 127.0.0.1:PORT --http 127.0.0.1:PORT+1` (default 7777), fetches the
 * web page and its script (carried inside the binary), connects one user
 * with `--listen`, pipes one message through a second user, and checks the
 * listener printed it.
 * Everything stays on loopback; every wait is bounded.
 *
 * @module
 */

import denoConfig from "../deno.json" with { type: "json" };

const WAIT_MS = 15_000;
const MESSAGE = "hello from the smoke test";

/** A running process whose output lines are collected as they arrive. */
class Running implements AsyncDisposable {
  readonly lines: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #reading: Promise<void>;
  #ended = false;

  constructor(binary: string, args: string[], stream: "stdout" | "stderr") {
    this.#child = new Deno.Command(binary, {
      args,
      stdin: "null",
      stdout: stream === "stdout" ? "piped" : "null",
      stderr: stream === "stderr" ? "piped" : "null",
    }).spawn();
    this.#reading = this.#collect(this.#child[stream]);
  }

  /** Waits until a collected line matches `pattern`. */
  async waitFor(pattern: RegExp, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!this.lines.some((line) => pattern.test(line))) {
      if (this.#ended || Date.now() > deadline) {
        throw new Error(`Did not see ${what}; output was:\n${this.lines.join("\n")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (pending + chunk).split("\n");
      pending = parts.pop()!;
      this.lines.push(...parts.map((line) => line.replace(/\r$/, "")));
    }
    if (pending !== "") this.lines.push(pending);
    this.#ended = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      // SIGTERM exercises the server's graceful shutdown; Windows has no such signal.
      this.#child.kill(Deno.build.os === "windows" ? "SIGKILL" : "SIGTERM");
    } catch {
      // It has already exited.
    }
    await this.#child.status;
    await this.#reading;
  }
}

/** Runs the binary to completion, with `stdin` as its input. */
async function runToEnd(binary: string, args: string[], stdin = ""): Promise<Deno.CommandOutput> {
  const child = new Deno.Command(binary, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(WAIT_MS),
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  return await child.output();
}

/**
 * Runs the smoke test; throws an Error that says what went wrong.
 *
 * @param binary The path of the `nanochat` binary.
 * @param port The loopback port to serve on.
 */
export async function smoke(binary: string, port: number): Promise<void> {
  const decoder = new TextDecoder();
  const version = await runToEnd(binary, ["--version"]);
  const expected = `nanochat ${denoConfig.version}`;
  if (decoder.decode(version.stdout).trim() !== expected) {
    throw new Error(
      `--version printed "${decoder.decode(version.stdout).trim()}", not "${expected}"`,
    );
  }
  print(`ok ${binary} --version: ${expected}`);

  const address = `127.0.0.1:${port}`;
  const web = `127.0.0.1:${port + 1}`;
  await using server = new Running(
    binary,
    ["serve", address, "--in-memory", "--http", web],
    "stderr",
  );
  await server.waitFor(/\blistening\b/, `the server listening on ${address}`);
  await server.waitFor(/\bweb addr=/, `the web page served on ${web}`);
  print(`ok serve ${address} --http ${web}`);
  for (const [path, wanted] of [["/", /<!doctype html>/i], ["/app.js", /\S/]] as const) {
    const response = await fetch(`http://${web}${path}`);
    const body = await response.text();
    if (response.status !== 200 || !wanted.test(body)) {
      throw new Error(`GET ${path} answered ${response.status}: ${body.slice(0, 80)}`);
    }
  }
  print("ok the web page and its script are in the binary");

  await using listener = new Running(
    binary,
    ["connect", address, "listener", "--listen"],
    "stdout",
  );
  await listener.waitFor(/^NOTICE welcome:/, "the listener's welcome");
  print("ok connect --listen");

  const sender = await runToEnd(binary, ["connect", address, "sender"], `${MESSAGE}\n`);
  if (sender.code !== 0) {
    throw new Error(`the sender exited ${sender.code}: ${decoder.decode(sender.stderr)}`);
  }
  await listener.waitFor(new RegExp(`^\\[sender\\]: ${MESSAGE}$`), "the message at the listener");
  print("ok a message piped through connect reached the listener");
}

function print(text: string): void {
  // deno-lint-ignore no-console -- reporting progress is this script's job
  console.log(text);
}

if (import.meta.main) {
  const [binary, port = "7777"] = Deno.args;
  if (binary === undefined) {
    print("Usage: deno run --allow-run --allow-net scripts/smoke.ts BINARY [PORT]");
    Deno.exit(2);
  }
  try {
    await smoke(binary, Number(port));
    print("smoke test passed");
  } catch (error) {
    print(`smoke test failed: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
