/**
 * The `nanochat` command: routes a subcommand to its module.
 *
 * Exit codes: 0 success, 1 a runtime failure (such as a port in use),
 * 2 a usage error. Users never see a stack trace.
 *
 * @module
 */

import { BENCH_USAGE, parseBenchArgs, runBenchCommand } from "./bench/cli.ts";
import { CONNECT_USAGE, parseConnectArgs } from "./client/cli.ts";
import { connect } from "./client/connect.ts";
import { flushLog } from "./server/log.ts";
import { VERSION } from "./server/version.ts";
import { describeServeError, parseServeArgs, runServe, SERVE_USAGE } from "./server/cli.ts";

/** A subcommand: parse argv, then run. */
interface Subcommand<Options> {
  /** One line for the top-level help. */
  summary: string;
  /** The full help text. */
  usage: string;
  /** Throws TypeError, RangeError or SyntaxError for bad arguments. */
  parse(args: string[]): Options | "help";
  /** Resolves with the exit code. */
  run(options: Options): Promise<number>;
  /** One line explaining why `run` threw; the error's message if absent. */
  describeError?(error: unknown): string;
}

// deno-lint-ignore no-explicit-any
const SUBCOMMANDS: Record<string, Subcommand<any>> = {
  serve: {
    summary: "run a chat server",
    usage: SERVE_USAGE,
    parse: parseServeArgs,
    run: runServe,
    describeError: describeServeError,
  },
  connect: {
    summary: "join a chat server (interactive in a terminal, plain in a pipe)",
    usage: CONNECT_USAGE,
    parse: parseConnectArgs,
    run: connect,
  },
  bench: {
    summary: "load-test a server (or redis-server, for comparison)",
    usage: BENCH_USAGE,
    parse: parseBenchArgs,
    run: runBenchCommand,
  },
};

const USAGE = `nanochat ${VERSION}: a small chat server speaking a line-based protocol over TCP

Usage: nanochat <command> [options]

Commands:
${Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`).join("\n")}

Options:
  -h, --help     show this help (also: nanochat <command> --help)
  -V, --version  print the version

Chat with any server using nc or telnet: the first line is your name,
then *text sends a message and QUIT leaves.`;

/**
 * Runs the command line.
 *
 * @param args The arguments after the program name.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    printError(USAGE);
    return 2;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    print(USAGE);
    return 0;
  }
  if (name === "-V" || name === "--version") {
    print(`nanochat ${VERSION}`);
    return 0;
  }
  const subcommand = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (subcommand === undefined) {
    return usageError(`unknown command "${name}"`, "nanochat --help");
  }
  let options;
  try {
    options = subcommand.parse(rest);
  } catch (error) {
    return usageError(
      error instanceof Error ? error.message : String(error),
      `nanochat ${name} --help`,
    );
  }
  if (options === "help") {
    print(subcommand.usage);
    return 0;
  }
  try {
    return await subcommand.run(options);
  } catch (error) {
    const message = subcommand.describeError?.(error) ??
      (error instanceof Error ? error.message : String(error));
    printError(`nanochat: ${message}`);
    return 1;
  }
}

function usageError(message: string, helpCommand: string): number {
  printError(`nanochat: ${message}\nRun '${helpCommand}' for usage.`);
  return 2;
}

function print(text: string): void {
  // deno-lint-ignore no-console -- printing is this command's job
  console.log(text);
}

function printError(text: string): void {
  flushLog(); // the server's log lines come first
  // deno-lint-ignore no-console -- printing is this command's job
  console.error(text);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
