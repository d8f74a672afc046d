/**
 * The interactive client: a line editor (history, cursor keys) at the
 * bottom, incoming lines printed above it. Each incoming line clears the
 * input row, prints, and redraws the prompt with the half-typed text and the
 * cursor where they were, so typing is never clobbered. The client wraps
 * each line to the window's width itself ({@linkcode terminalRows}), indenting
 * the rows after the first, so no message can make a row that looks like
 * the start of another.
 *
 * `node:readline` does the editing (history, Tab to complete names and
 * rooms); it needs no permissions in Deno.
 *
 * The prompt names the current room and the others with unread messages
 * (`#lobby [#rust 3]> `); it changes when the server confirms a join, part
 * or switch, not when the user asks. Alt-1…Alt-9, Ctrl-N and Ctrl-P send
 * `SWITCH` for the room they stand for.
 *
 * @module
 */

import process from "node:process";
import * as readline from "node:readline";
import stringWidth from "string-width";
import { parseServerLine } from "../protocol/server_lines.ts";
import { describeEnd } from "./exit_codes.ts";
import { INPUT_HELP, type Keypress, parseInput, roomKeyOf } from "./input.ts";
import { ChatState } from "./chat_state.ts";
import {
  isKeepaliveReply,
  renderInfo,
  type RenderOptions,
  renderOwnAction,
  renderOwnMessage,
  renderPrompt,
  renderServerLine,
} from "./render.ts";
import type { ServerLink } from "./server_link.ts";
import { terminalRows } from "./wrap.ts";

// The client's own styles, which take no cells.
// deno-lint-ignore no-control-regex -- matching the client's own SGR sequences is the point
const SGR = /\x1b\[[0-9;]*m/g;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Runs the interactive client until the user quits or the server goes away.
 *
 * @param link The logged-in connection.
 * @param name The user's name, for showing their own messages.
 * @param render How to show lines.
 * @returns The exit code.
 */
export async function runTerminalUi(
  link: ServerLink,
  name: string,
  render: RenderOptions,
): Promise<number> {
  const output = process.stdout;
  const state = new ChatState(name);
  const { rooms } = state;
  const promptNow = () => renderPrompt(rooms.current, rooms.joined, render.style);
  const editor = readline.createInterface({
    input: process.stdin,
    output,
    prompt: promptNow(),
    historySize: 1000,
    terminal: true,
    completer: (line: string) => state.complete(line),
  });
  const show = (text: string) => {
    readline.cursorTo(output, 0);
    readline.clearLine(output, 0);
    output.write(terminalRows(text, columnsOf(output)));
    editor.prompt(true);
  };
  let ended = false;
  let quitting = false;
  const quit = (line = "QUIT") => {
    if (ended || quitting) return;
    quitting = true;
    link.quit(line);
  };

  editor.on("line", (input: string) => {
    eraseEchoedInput(editor.getPrompt() + input, output);
    const action = parseInput(input);
    switch (action.kind) {
      case "send": {
        link.send(action.line);
        // Shown where the server will put it; nowhere if it will refuse it.
        const room = action.room ?? rooms.current;
        if (action.message !== undefined && room !== undefined && rooms.isJoined(room)) {
          const tag = rooms.isCurrent(room) ? undefined : room;
          show(renderOwnMessage(state.name, action.message, render, new Date(), tag));
        } else if (action.action !== undefined && rooms.current !== undefined) {
          show(renderOwnAction(state.name, action.action, render, new Date()));
        } else {
          editor.prompt();
        }
        return;
      }
      case "quit":
        return quit(action.line);
      case "help":
        return INPUT_HELP.forEach((line) => show(renderInfo(line, render)));
      case "invalid":
        return show(renderInfo(action.reason, render));
      case "nothing":
        return editor.prompt();
    }
  });
  // Ctrl-C; a second one while leaving gives up on a goodbye that hangs.
  editor.on("SIGINT", () => quitting ? link.close() : quit());
  editor.on("close", () => quit()); // Ctrl-D on an empty line
  const onKeypress = (_text: string | undefined, key: Keypress | undefined) => {
    const target = roomKeyOf(key);
    if (target === undefined) return;
    // readline binds Ctrl-N and Ctrl-P to its history, as Up and Down are:
    // this listener runs before readline's and hands it a key it ignores.
    (key as { name?: string }).name = "nanochat-room";
    const room = target.kind === "nth" ? rooms.nth(target.position) : rooms.neighbour(target.step);
    if (room !== undefined && !rooms.isCurrent(room)) link.send(`SWITCH ${room}`);
  };
  process.stdin.prependListener("keypress", onKeypress);

  let answered = false;
  const end = await link.receive((line) => {
    // Connected once the server has answered the name, unless it refused it.
    if (!answered && parseServerLine(line).kind !== "error") {
      show(renderInfo(
        `Connected to ${link.address} as ${name}. /help for help, Ctrl-D to quit.`,
        render,
      ));
    }
    answered = true;
    state.observe(line);
    const prompt = promptNow();
    if (prompt !== editor.getPrompt()) editor.setPrompt(prompt); // shown by show()
    if (!isKeepaliveReply(line)) show(renderServerLine(line, render, new Date(), rooms));
  });
  ended = true;
  process.stdin.off("keypress", onKeypress);
  readline.cursorTo(output, 0);
  readline.clearLine(output, 0);
  editor.close();
  const { code, message } = describeEnd(end, quitting);
  if (message !== "") output.write(terminalRows(renderInfo(message, render), columnsOf(output)));
  return code;
}

/** The terminal's width, read at every line: the window may have been resized. */
function columnsOf(output: typeof process.stdout): number {
  return output.columns || 80;
}

/** Removes the prompt and text readline left on screen for an entered line. */
function eraseEchoedInput(echoed: string, output: typeof process.stdout): void {
  const columns = columnsOf(output);
  const rows = Math.max(1, Math.ceil(echoedCells(echoed.replace(SGR, ""), columns) / columns));
  readline.moveCursor(output, 0, -rows);
  readline.clearScreenDown(output);
}

/**
 * The cells the terminal uses for a line it wraps itself, counted as
 * readline counts them: a wide character that would straddle the edge
 * leaves the row's last cell empty.
 */
function echoedCells(text: string, columns: number): number {
  let cells = 0;
  for (const { segment } of graphemes.segment(text)) {
    const width = stringWidth(segment);
    if (width === 2 && (cells + 1) % columns === 0) cells++;
    cells += width;
  }
  return cells;
}
