/**
 * The input block at the bottom of the interactive client: the prompt and
 * the draft, laid out by the client in terminal cells, and the one place
 * that knows where that block is on screen.
 *
 * Left to the terminal (and to `node:readline`'s guess of how the terminal
 * wraps), a draft longer than a row leaves the cursor on a row the client
 * does not know about, and every line printed above it lands on the wrong
 * row: lines vanish under redrawn drafts and stale rows stay behind. Here
 * the client lays the block out itself ({@linkcode layoutInput}): rows of at
 * most the window's width, a wide character that would straddle the edge
 * moved whole to the next row, written with the terminal's own wrapping off.
 * So it always knows the row the cursor is on, and {@linkcode InputBlock}
 * can go back to the block's first row, clear everything below, print a
 * received line of any height there, and draw the block again under it.
 *
 * A block taller than the window shows only the rows around the cursor, so
 * a long paste never scrolls copies of itself into the scrollback.
 *
 * @module
 */

import stringWidth from "string-width";
import { STYLE_SEQUENCE } from "./style.ts";
import { sanitizeForTerminal } from "./terminal_text.ts";
import { AUTOWRAP_OFF, AUTOWRAP_ON } from "./wrap.ts";

const CLEAR_DOWN = "\x1b[J";

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The input block as laid out for one width. */
export interface InputLayout {
  /** The rows to write, prompt included, each at most `columns` cells. */
  readonly rows: string[];
  /** How many cells each row uses. */
  readonly widths: number[];
  /** The row the cursor is on, from 0. */
  readonly cursorRow: number;
  /** The cell the cursor is in, from 0. */
  readonly cursorColumn: number;
}

/**
 * Lays out the prompt and the draft in rows of at most `columns` cells. A
 * wide character that would straddle the edge starts the next row; a cursor
 * after a full last row is on a new, empty row, as terminals put it.
 *
 * @param prompt The prompt, possibly with the client's SGR styles.
 * @param draft What the user has typed; shown sanitised.
 * @param cursor Where the cursor is in `draft`, in UTF-16 code units.
 * @param columns The window's width; at least 1.
 * @returns The rows and where the cursor goes.
 *
 * @example A wide character at the edge goes to the next row
 * ```ts
 * import { layoutInput } from "./input_block.ts";
 * import assert from "node:assert/strict";
 *
 * const layout = layoutInput("> ", "abc中", 3, 6);
 * assert.deepEqual(layout.rows, ["> abc", "中"]);
 * assert.deepEqual([layout.cursorRow, layout.cursorColumn], [1, 0]);
 * ```
 */
export function layoutInput(
  prompt: string,
  draft: string,
  cursor: number,
  columns: number,
): InputLayout {
  const rows: string[] = [];
  const widths: number[] = [];
  let row = "";
  let column = 0;
  let cursorRow = -1;
  let cursorColumn = 0;
  const breakRow = () => {
    rows.push(row);
    widths.push(column);
    row = "";
    column = 0;
  };
  const place = (text: string, cells: number) => {
    if (column > 0 && column + cells > columns) breakRow();
    row += text;
    column += cells;
  };
  for (const [index, part] of prompt.split(STYLE_SEQUENCE).entries()) {
    if (index % 2 === 1) row += part;
    else for (const { segment } of graphemes.segment(part)) place(segment, stringWidth(segment));
  }
  for (const { segment, index } of graphemes.segment(draft)) {
    const shown = sanitizeForTerminal(segment);
    const cells = stringWidth(shown);
    if (cursorRow === -1 && index >= cursor) {
      // The cursor sits on this character: where it lands, after any wrap.
      if (column > 0 && column + Math.max(cells, 1) > columns) breakRow();
      cursorRow = rows.length;
      cursorColumn = column;
    }
    place(shown, cells);
  }
  if (cursorRow === -1) {
    if (column >= columns) breakRow();
    cursorRow = rows.length;
    cursorColumn = column;
  }
  rows.push(row);
  widths.push(column);
  return { rows, widths, cursorRow, cursorColumn };
}

/** Where the block is drawn. */
interface Drawn {
  readonly columns: number;
  /** The widths of the rows shown. */
  readonly widths: number[];
  /** The row of the cursor among those shown. */
  readonly cursorRow: number;
  readonly cursorColumn: number;
}

/** The terminal the block is drawn on. */
export interface BlockTerminal {
  /** Writes text at once, in order. */
  write(text: string): void;
  /** The window's size now. */
  size(): { columns: number; rows: number };
}

/**
 * The input block on screen: draws it, and prints lines above it.
 */
export class InputBlock {
  readonly #terminal: BlockTerminal;
  #drawn: Drawn | undefined;
  #prompt = "";
  #draft = "";
  #cursor = 0;

  /**
   * @param terminal Where to draw.
   */
  constructor(terminal: BlockTerminal) {
    this.#terminal = terminal;
  }

  /**
   * Sets what the block shows; call {@linkcode InputBlock.draw} to show it.
   *
   * @param prompt The prompt.
   * @param draft The text typed so far.
   * @param cursor The cursor's place in `draft`, in UTF-16 code units.
   */
  update(prompt: string, draft: string, cursor: number): void {
    this.#prompt = prompt;
    this.#draft = draft;
    this.#cursor = cursor;
  }

  /** Redraws the block where it is. */
  draw(): void {
    this.#terminal.write(this.#toTop() + this.#render());
  }

  /**
   * Prints text above the block, then draws the block below it.
   *
   * @param text Rows to print, each ending in a newline, wrapped to the
   * window's width already.
   */
  printAbove(text: string): void {
    this.#terminal.write(this.#toTop() + text + this.#render());
  }

  /** Removes the block, leaving the cursor where it started. */
  erase(): void {
    this.#terminal.write(this.#toTop());
    this.#drawn = undefined;
  }

  /**
   * Takes a new window width into account: a terminal that reflows (tmux,
   * VTE, kitty, iTerm2) splits each row wider than the window into several,
   * so the cursor is further down the block than it was drawn.
   */
  resized(): void {
    const drawn = this.#drawn;
    if (drawn === undefined) return;
    const columns = this.#terminal.size().columns;
    if (columns >= drawn.columns) return;
    let cursorRow = 0;
    for (const width of drawn.widths.slice(0, drawn.cursorRow)) {
      cursorRow += Math.max(1, Math.ceil(width / columns));
    }
    cursorRow += Math.floor(drawn.cursorColumn / columns);
    this.#drawn = { ...drawn, cursorRow, columns };
  }

  /** Goes to the first column of the block's first row and clears below. */
  #toTop(): string {
    const up = this.#drawn?.cursorRow ?? 0;
    return `${up > 0 ? `\x1b[${up}A` : ""}\r${CLEAR_DOWN}`;
  }

  #render(): string {
    const size = this.#terminal.size();
    const columns = Math.max(1, size.columns);
    const layout = layoutInput(this.#prompt, this.#draft, this.#cursor, columns);
    // A block taller than the window shows the rows around the cursor.
    const fits = Math.max(1, size.rows - 1);
    const first = Math.max(0, Math.min(layout.cursorRow - fits + 1, layout.rows.length - fits));
    const rows = layout.rows.slice(first, first + fits);
    const widths = layout.widths.slice(first, first + fits);
    const cursorRow = layout.cursorRow - first;
    const up = rows.length - 1 - cursorRow;
    const column = layout.cursorColumn;
    this.#drawn = { columns, widths, cursorRow, cursorColumn: column };
    // A prompt's style must not run on into the rows below it.
    const reset = this.#prompt.includes("\x1b[") ? "\x1b[0m" : "";
    return AUTOWRAP_OFF + rows.join(`${reset}\r\n`) + reset + AUTOWRAP_ON +
      (up > 0 ? `\x1b[${up}A` : "") + "\r" + (column > 0 ? `\x1b[${column}C` : "");
  }
}
