/**
 * The client for scripts and pipes: stdin lines go out (as typed input, so
 * `/` commands work too), server lines come out on stdout as received but
 * sanitised, with no colour and no prompt (the history replayed at login
 * too, unless left out; timestamps in UTC, as the history's own are); only when stdout is a terminal
 * are they wrapped to its width, as the interactive client wraps them. End
 * of stdin sends QUIT after everything before it. With `listen`, stdin is
 * not read at all: the client only records the chat until the server closes
 * or a signal stops it.
 *
 * @module
 */

import { describeEnd, ExitCode } from "./exit_codes.ts";
import { INPUT_HELP, parseInput } from "./input.ts";
import { parseServerLine } from "../protocol/server_lines.ts";
import { isKeepaliveReply, KEEPALIVE_TOKEN, plainLine } from "./render.ts";
import { isGhostRefusal, lostBecause, redial, shouldReconnect } from "./reconnect.ts";
import { ReplayFilter } from "./replay_filter.ts";
import type { ServerLink } from "./server_link.ts";
import { terminalRows } from "./wrap.ts";

/** How the scripted client runs. */
export interface ScriptOptions {
  /** Only receive; never read stdin. */
  readonly listen: boolean;
  /** Start each printed line with the UTC time, `HH:MM:SSZ`. */
  readonly timestamps: boolean;
  /** Print the `HISTORY` lines the server replays; false leaves them out. */
  readonly history: boolean;
  /** Reports client-side problems (to stderr). */
  readonly warn: (message: string) => void;
  /**
   * Logs in again after a lost connection (with `listen`); none: the
   * client exits when the connection ends.
   */
  readonly reconnect?: () => Promise<ServerLink>;
}

const encoder = new TextEncoder();

/** How much typed input may wait to be sent before stdin is read further. */
const STDIN_AHEAD_BYTES = 64 * 1024;

/**
 * Runs the scripted client until stdin ends (then QUIT), a signal, or the
 * server closing.
 *
 * @param link The logged-in connection.
 * @param options Listen-only, timestamps, and where warnings go.
 * @returns The exit code.
 */
export async function runScripted(link: ServerLink, options: ScriptOptions): Promise<number> {
  let quitting = false;
  let stdinFailed = false;
  let connected = true;
  const stopRedialing = new AbortController();
  const quit = (line = "QUIT") => {
    if (quitting) return;
    quitting = true;
    if (connected) link.quit(line);
    else stopRedialing.abort();
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const onSignal = () => quit();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);

  if (!options.listen) {
    void (async () => {
      try {
        for await (const input of stdinLines()) {
          const action = parseInput(input);
          if (action.kind === "send") link.send(action.line);
          if (action.kind === "invalid") options.warn(action.reason);
          if (action.kind === "help") INPUT_HELP.forEach((line) => options.warn(line));
          if (action.kind === "bell") options.warn("/bell is for the interactive client");
          if (action.kind === "quit") return quit(action.line);
          // Read no further ahead than the server takes lines (flood control).
          if (link.queuedBytes > STDIN_AHEAD_BYTES) await link.flushed();
        }
      } catch (error) {
        options.warn(
          `cannot read stdin: ${error instanceof Error ? error.message : String(error)}`,
        );
        stdinFailed = true;
      }
      quit();
    })();
  }
  const toTerminal = Deno.stdout.isTerminal();
  const replay = new ReplayFilter();
  const print = async (line: string) => {
    if (isKeepaliveReply(line)) return;
    if (!options.history && parseServerLine(line).kind === "history") return;
    const text = plainLine(line, options.timestamps, new Date());
    const output = toTerminal ? terminalRows(text, terminalColumns()) : text + "\n";
    // Awaiting stdout holds off reading the socket while a pipe is full.
    await writeAll(Deno.stdout, encoder.encode(output));
  };
  let end = await link.receive(async (line) => {
    for (const shown of replay.take(line)) await print(shown);
  });
  let reconnected = false;
  // A name refused on reconnecting is most likely this client's own ghost:
  // it goes once the server notices the old connection is gone.
  const again = () =>
    !quitting && (shouldReconnect(end, false) || (reconnected && isGhostRefusal(end)));
  const login = options.reconnect;
  while (login !== undefined && again()) {
    connected = false;
    if (end.rejectedName === undefined) {
      options.warn(`connection lost (${lostBecause(end)}); reconnecting`);
    }
    const next = await redial(login, stopRedialing.signal);
    if (next === undefined) break;
    link = next;
    connected = true;
    reconnected = true;
    options.warn(`reconnected to ${link.address}`);
    replay.resume();
    link.send(`PING ${KEEPALIVE_TOKEN}`); // its answer ends the replayed history
    end = await link.receive(async (line) => {
      for (const shown of replay.take(line)) await print(shown);
    });
  }
  for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  const { code, message } = describeEnd(end, quitting);
  if (message !== "") options.warn(message);
  return code === ExitCode.Ok && stdinFailed ? ExitCode.Failure : code;
}

/** The width of the terminal on stdout, read at every line: it may be resized. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80; // not a terminal after all
  }
}

async function* stdinLines(): AsyncGenerator<string> {
  let pending = "";
  for await (const text of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    const lines = (pending + text).split("\n");
    pending = lines.pop()!;
    for (const line of lines) yield line.endsWith("\r") ? line.slice(0, -1) : line;
  }
  if (pending !== "") yield pending;
}

async function writeAll(
  writer: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await writer.write(bytes.subarray(written));
  }
}
