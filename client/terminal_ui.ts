/**
 * The interactive client: a line editor (history, cursor keys) at the
 * bottom, incoming lines printed above it. The client draws the input block
 * (prompt and draft, however many rows they take) itself, measured in
 * terminal cells ({@linkcode InputBlock}): each incoming line clears the
 * whole block, is printed where the block began, and the block is drawn
 * again below it with the cursor where it was, so no line is lost and no
 * row of the draft is left behind, whatever the draft's length, its wide
 * characters or the window's size. The client wraps each line to the
 * window's width itself ({@linkcode terminalRows}), indenting the rows after
 * the first, so no message can make a row that looks like the start of
 * another.
 *
 * `node:readline` does the editing (history, Tab to complete names and
 * rooms) into an output that is thrown away; it needs no permissions in
 * Deno.
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
import { Writable } from "node:stream";
import { parseServerLine } from "../protocol/server_lines.ts";
import { describeEnd } from "./exit_codes.ts";
import { INPUT_HELP, type Keypress, parseInput, roomKeyOf } from "./input.ts";
import { InputBlock } from "./input_block.ts";
import { InputHistory } from "./input_history.ts";
import { NameColors } from "./name_colors.ts";
import { ChatState } from "./chat_state.ts";
import { roomKey } from "../protocol/room_name.ts";
import { isGhostRefusal, lostBecause, redial, shouldReconnect } from "./reconnect.ts";
import { ReplayFilter } from "./replay_filter.ts";
import { canSuspend, stopJob } from "./suspend.ts";
import { attentionOf, type BellMode, ringsBell } from "./mentions.ts";
import {
  isKeepaliveReply,
  KEEPALIVE_TOKEN,
  renderInfo,
  type RenderOptions,
  renderOwnAction,
  renderOwnMessage,
  renderPrompt,
  renderServerLine,
} from "./render.ts";
import type { ServerLink } from "./server_link.ts";
import { PasswordBook } from "./password_book.ts";
import { maskDraft, secretCommand } from "./secret_input.ts";
import { terminalRows } from "./wrap.ts";

const encoder = new TextEncoder();

const BELL = "\x07";

/** What each bell mode does, as `/bell` says it. */
const BELL_MODES: Readonly<Record<BellMode, string>> = {
  on: "rings for every message",
  off: "never rings",
  mentions: "rings when you are named or sent a private message",
};

/**
 * A line that names the user, highlighted: in reverse video, its own
 * styles taken up again inside it.
 */
function highlightRow(text: string, render: RenderOptions): string {
  if (!render.style.enabled) return text;
  return render.style.highlight(text.replaceAll("\x1b[0m", "\x1b[0m\x1b[7m"));
}

/** The editor's state that the screen shows: readline keeps it public. */
interface EditorState {
  line: string;
  cursor: number;
}

/**
 * Runs the interactive client until the user quits or the server goes away.
 *
 * @param link The logged-in connection.
 * @param name The user's name, for showing their own messages.
 * @param render How to show lines.
 * @param reconnect Logs in again, as the name given, after a lost
 * connection; none: the client exits when the connection ends.
 * @param passwords The passwords known, which `reconnect` logs in with; the
 * client adds those `/register` and `/password` set.
 * @returns The exit code.
 */
export async function runTerminalUi(
  link: ServerLink,
  name: string,
  render: RenderOptions,
  reconnect?: (name: string) => Promise<ServerLink>,
  passwords: PasswordBook = new PasswordBook(),
): Promise<number> {
  // Colours by order of appearance, yours first, kept across reconnections.
  render = { ...render, names: new NameColors([name]) };
  let state = new ChatState(name);
  const promptNow = () => renderPrompt(state.rooms.current, state.rooms.joined, render.style);
  const block = new InputBlock({ write: writeToTerminal, size: terminalSize });
  // readline edits; what it would draw is thrown away, since the block is drawn here.
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const editor = readline.createInterface({
    input: process.stdin,
    output: discard,
    historySize: 0, // Up and Down go through `history` instead
    terminal: true,
    completer: (line: string) => {
      // Completing a password would show the names it starts like.
      if (maskDraft(line) !== line) return [[], line];
      const [matches, word] = state.complete(line);
      if (matches.length > 1) show(renderInfo(matches.join("  "), render));
      return [matches, word];
    },
  });
  const editorState = editor as unknown as EditorState;
  // readline measures the whole line for every key typed at its end, to place
  // a cursor it draws nowhere here: a 5,000-character paste took seconds.
  editor.getCursorPos = () => ({ rows: 0, cols: 1 });
  const history = new InputHistory();
  // A password being typed after /register and the like is drawn as stars.
  const refresh = () => block.update(promptNow(), maskDraft(editorState.line), editorState.cursor);
  const show = (text: string) => {
    refresh();
    block.printAbove(terminalRows(text, terminalSize().columns));
  };
  // Keys come in bursts (a paste is one read): the block is drawn once per burst.
  let drawPending = false;
  const drawSoon = () => {
    if (drawPending) return;
    drawPending = true;
    queueMicrotask(() => {
      drawPending = false;
      if (ended) return;
      refresh();
      block.draw();
    });
  };
  let ended = false;
  let quitting = false;
  let connected = true;
  const stopRedialing = new AbortController();
  const quit = (line = "QUIT") => {
    if (ended || quitting) return;
    quitting = true;
    if (connected) link.quit(line);
    else stopRedialing.abort();
  };
  const replay = new ReplayFilter();
  let bell: BellMode = "mentions";

  const editorHistory = editor as unknown as { history: string[] };
  editor.on("line", (input: string) => {
    const secret = secretCommand(input);
    if (secret !== undefined) {
      // Up must never bring a password back: readline has just recorded the line.
      if (editorHistory.history[0] === input) editorHistory.history.shift();
      if (connected) {
        passwords.sent(secret, state.name);
        show(renderInfo(secret.masked, render));
      }
    } else {
      history.add(input);
    }
    const action = parseInput(input);
    if (action.kind === "send" && !connected) {
      // Nothing typed is lost: the line goes back to be sent when connected.
      editor.write(input);
      show(renderInfo("Not connected: your line is kept, send it once reconnected", render));
      return;
    }
    const { rooms } = state;
    switch (action.kind) {
      case "send": {
        link.send(action.line);
        // Shown where the server will put it; nowhere if it will refuse it.
        const room = action.room ?? rooms.current;
        if (action.message !== undefined && room !== undefined && rooms.isJoined(room)) {
          const tag = rooms.isCurrent(room) ? undefined : room;
          const prefix = roomKey(room) === roomKey(rooms.defaultRoom) ? "" : `${room} `;
          replay.remember(`${prefix}[${state.name}]: ${action.message}`);
          show(renderOwnMessage(state.name, action.message, render, new Date(), tag));
        } else if (action.action !== undefined && rooms.current !== undefined) {
          const room = rooms.current;
          const prefix = roomKey(room) === roomKey(rooms.defaultRoom) ? "" : `${room} `;
          replay.remember(`${prefix}* ${state.name} ${action.action}`);
          show(renderOwnAction(state.name, action.action, render, new Date()));
        }
        return;
      }
      case "quit":
        return quit(action.line);
      case "help":
        return INPUT_HELP.forEach((line) => show(renderInfo(line, render)));
      case "bell":
        bell = action.mode ?? bell;
        return show(renderInfo(`Bell: ${BELL_MODES[bell]}. /bell on|off|mentions`, render));
      case "invalid":
        if (action.keep) editor.write(input);
        return show(renderInfo(action.reason, render));
      case "nothing":
        return;
    }
  });
  // Ctrl-C; a second one while leaving gives up on a goodbye that hangs.
  editor.on("SIGINT", () => quitting ? link.close() : quit());
  editor.on("close", () => quit()); // Ctrl-D on an empty line
  // Ctrl-Z: the shell gets the terminal back in its ordinary mode; on `fg`
  // the block is drawn again below whatever the shell printed meanwhile.
  const suspend = () => {
    block.erase();
    process.stdin.setRawMode(false);
    stopJob();
  };
  const resume = () => {
    if (ended) return;
    process.stdin.setRawMode(true);
    refresh();
    block.draw();
  };
  if (canSuspend) {
    editor.on("SIGTSTP", suspend);
    Deno.addSignalListener("SIGCONT", resume);
  }
  const onKeypress = (_text: string | undefined, key: Keypress | undefined) => {
    if (key !== undefined && !key.ctrl && !key.meta && (key.name === "up" || key.name === "down")) {
      const recalled = key.name === "up" ? history.previous(editorState.line) : history.next();
      if (recalled !== undefined) {
        [editorState.line, editorState.cursor] = [recalled, recalled.length];
      }
      // A Ctrl key readline has no binding for: it leaves the line alone.
      Object.assign(key, { name: "nanochat-history", ctrl: true });
      return;
    }
    const target = roomKeyOf(key);
    if (target === undefined) return;
    // readline binds Ctrl-N and Ctrl-P to its history, as Up and Down are:
    // this listener runs before readline's and hands it a key it ignores.
    (key as { name?: string }).name = "nanochat-room";
    const { rooms } = state;
    const room = target.kind === "nth" ? rooms.nth(target.position) : rooms.neighbour(target.step);
    if (connected && room !== undefined && !rooms.isCurrent(room)) link.send(`SWITCH ${room}`);
  };
  process.stdin.prependListener("keypress", onKeypress);
  // After readline's own listener: the draft has changed by now.
  process.stdin.on("keypress", drawSoon);
  const onResize = () => {
    block.resized();
    drawSoon();
  };
  const resizeSignal = Deno.build.os === "windows" ? undefined : "SIGWINCH";
  if (resizeSignal !== undefined) Deno.addSignalListener(resizeSignal, onResize);
  refresh();
  block.draw();

  let answered = false;
  let reconnected = false;
  const onLine = (line: string) => {
    // Connected once the server has answered the name, unless it refused it.
    if (!answered && parseServerLine(line).kind !== "error") {
      const how = reconnected ? "Reconnected" : "Connected";
      show(renderInfo(
        `${how} to ${link.address} as ${state.name}. /help for help, Ctrl-D to quit.`,
        render,
      ));
    }
    answered = true;
    passwords.observe(line);
    for (const shown of replay.take(line)) {
      state.observe(shown);
      if (isKeepaliveReply(shown)) continue;
      const attention = attentionOf(shown, state.name);
      const text = renderServerLine(shown, render, new Date(), state.rooms);
      show(attention === "mention" ? highlightRow(text, render) : text);
      if (ringsBell(attention, bell)) writeToTerminal(BELL);
    }
  };
  let end = await link.receive(onLine);
  // A name refused on reconnecting is most likely this client's own ghost:
  // it goes once the server notices the old connection is gone.
  const again = () =>
    !quitting && (shouldReconnect(end, false) || (reconnected && isGhostRefusal(end)));
  while (reconnect !== undefined && again()) {
    connected = false;
    if (end.rejectedName === undefined) {
      const lost = `Connection lost: ${lostBecause(end)}. Reconnecting; Ctrl-C to quit.`;
      show(renderInfo(lost, render));
    }
    const rooms = state.rooms;
    const next = await redial(() => reconnect(state.name), stopRedialing.signal);
    if (next === undefined) break;
    link = next;
    connected = true;
    reconnected = true;
    answered = false;
    state = new ChatState(state.name);
    replay.resume();
    // The rooms the user was in, and which was current, are taken up again.
    for (const room of rooms.joined) {
      if (roomKey(room.name) !== roomKey(rooms.defaultRoom)) link.send(`JOIN ${room.name}`);
    }
    const current = rooms.current;
    if (current !== undefined && roomKey(current) !== roomKey(rooms.defaultRoom)) {
      link.send(`SWITCH ${current}`);
    }
    link.send(`PING ${KEEPALIVE_TOKEN}`); // its answer ends the replayed history
    end = await link.receive(onLine);
  }
  ended = true;
  if (resizeSignal !== undefined) Deno.removeSignalListener(resizeSignal, onResize);
  if (canSuspend) Deno.removeSignalListener("SIGCONT", resume);
  process.stdin.off("keypress", onKeypress);
  process.stdin.off("keypress", drawSoon);
  block.erase();
  editor.close();
  const { code, message } = describeEnd(end, quitting);
  if (message !== "") {
    // Capitalised like every other line the client shows; stderr's stay lower case.
    const sentence = message.charAt(0).toUpperCase() + message.slice(1);
    writeToTerminal(terminalRows(renderInfo(sentence, render), terminalSize().columns));
  }
  return code;
}

/** Writes to the terminal at once, so that what is drawn keeps its order. */
function writeToTerminal(text: string): void {
  const bytes = encoder.encode(text);
  for (let written = 0; written < bytes.length;) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}

/** The window's size, read every time: it may have been resized. */
function terminalSize(): { columns: number; rows: number } {
  try {
    const { columns, rows } = Deno.consoleSize();
    return { columns: columns || 80, rows: rows || 24 };
  } catch {
    return { columns: 80, rows: 24 };
  }
}
