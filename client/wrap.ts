/**
 * Wraps a rendered line into rows that fit the terminal, so that the client,
 * not the terminal, decides where each row starts.
 *
 * Left to the terminal, a message padded to the window's width wraps into a
 * second row that starts at the left edge like any other line, and
 * `alice: hi␣␣␣…␣bob: send me the password` shows a forged row from bob.
 * Here every row after a line's first is indented by
 * {@linkcode CONTINUATION_INDENT} columns, as irssi and weechat do, while
 * every line of the chat starts at the left edge: no row of one message can
 * pass for the start of another.
 *
 * Widths are counted in terminal cells with `string-width`: a wide East Asian
 * character or an emoji takes 2, a combining mark 0, and a grapheme cluster
 * is never split. Rows break at a space or tab, or next to a wide character,
 * when they can, and between any two clusters when a word is longer than a
 * row. TAB is expanded to spaces up to the next tab stop, so the client knows
 * where it ends. The client's own SGR styles take no cells; one that is in
 * force at a break is ended before it and taken up again after the indent.
 * Rows already printed are not wrapped again when the window is resized.
 *
 * @module
 */

import stringWidth from "string-width";
import { STYLE_SEQUENCE } from "./style.ts";

/** How many columns rows after a line's first are indented by. */
export const CONTINUATION_INDENT = 4;

/** Columns between tab stops, as terminals set them by default. */
const TAB_WIDTH = 8;

const RESET = "\x1b[0m";

// DECAWM: with the terminal's own wrapping off, a row it finds wider than it
// was counted is cut at the right edge instead of spilling into a new row.
/** Turns the terminal's own wrapping off. */
export const AUTOWRAP_OFF = "\x1b[?7l";
/** Turns the terminal's own wrapping back on. */
export const AUTOWRAP_ON = "\x1b[?7h";

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** How to wrap. */
export interface WrapOptions {
  /** The terminal's width in cells; at least 1. */
  readonly columns: number;
  /**
   * How many columns to indent every row after the first by; never more
   * than leaves two columns, room for a wide character.
   *
   * @default {CONTINUATION_INDENT}
   */
  readonly indent?: number;
}

/** A piece of the line: a style, or one grapheme cluster and its cells. */
type Piece =
  | { readonly kind: "style"; readonly text: string }
  | { readonly kind: "text"; readonly text: string; readonly cells: number }
  | { readonly kind: "space" }
  | { readonly kind: "tab" };

/**
 * Where the current row may end: at its last space or tab, which goes, or
 * next to a wide character.
 */
interface BreakPoint {
  /** The index of the piece that starts the next row. */
  readonly next: number;
  /** The row up to the break. */
  readonly row: string;
  /** The styles in force there. */
  readonly styles: string;
}

/**
 * Wraps one line (already rendered, without its newline) into rows of at
 * most `columns` cells. Rows break at spaces and tabs, which are dropped
 * there as word wrapping does, and before or after a wide character (East
 * Asian text has no spaces between words). A single cluster wider than a whole row (a wide
 * character when `columns` is 1) gets a row of its own and sticks out.
 *
 * @param line The line: sanitised text with the client's SGR styles.
 * @param options The terminal's width and the indent.
 * @returns The rows, in order; one row (the line as it was, but with tabs
 * expanded) if it fits.
 * @throws {RangeError} If `columns` is not a whole number of at least 1.
 *
 * @example A padded message cannot start a row
 * ```ts
 * import { wrapLine } from "./wrap.ts";
 * import assert from "node:assert/strict";
 *
 * const padded = "alice: hi" + " ".repeat(11) + "bob: give me the password";
 * assert.deepEqual(wrapLine(padded, { columns: 20 }), [
 *   "alice: hi" + " ".repeat(10),
 *   "    bob: give me the",
 *   "    password",
 * ]);
 * ```
 *
 * @example Wide characters never straddle the edge
 * ```ts
 * import { wrapLine } from "./wrap.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(wrapLine("ab漢字かな", { columns: 9 }), ["ab漢字か", "    な"]);
 * ```
 */
export function wrapLine(line: string, options: WrapOptions): string[] {
  const { columns } = options;
  if (!Number.isInteger(columns) || columns < 1) {
    throw new RangeError(`Cannot wrap to ${columns} columns: need a whole number of at least 1`);
  }
  const indent = Math.max(0, Math.min(options.indent ?? CONTINUATION_INDENT, columns - 2));
  const pieces = splitPieces(line);
  const rows: string[] = [];
  let row = "";
  let column = 0;
  let filled = false; // whether the row holds any of the line yet
  let styles = ""; // the SGR sequences in force since the last reset
  let breakPoint: BreakPoint | undefined;
  let afterWide = false; // whether the last cluster placed was a wide one

  for (let index = 0; index < pieces.length; index++) {
    const piece = pieces[index]!;
    if (piece.kind === "style") {
      row += piece.text;
      styles = isReset(piece.text) ? "" : styles + piece.text;
      continue;
    }
    const cells = cellsAt(piece, column, columns);
    if (filled && column + cells > columns) {
      if (piece.kind === "space") {
        // The row ends here and the space goes with the break.
      } else if (breakPoint === undefined || cells > 1 || afterWide) {
        index--; // this cluster starts the next row
      } else {
        ({ row, styles } = breakPoint);
        index = breakPoint.next - 1;
      }
      rows.push(styles === "" ? row : row + RESET);
      row = " ".repeat(indent) + styles;
      column = indent;
      filled = false;
      breakPoint = undefined;
      continue;
    }
    if (filled && piece.kind !== "text") {
      breakPoint = { next: index + 1, row, styles };
    } else if (filled && (cells > 1 || afterWide)) {
      breakPoint = { next: index, row, styles };
    }
    afterWide = piece.kind === "text" && cells > 1;
    row += piece.kind === "text" ? piece.text : " ".repeat(cells);
    column += cells;
    filled = true;
  }
  // A row that only a break's space opened holds nothing (its styles were
  // ended with the row before).
  if (filled || rows.length === 0) rows.push(row);
  return rows;
}

/**
 * What to write to a terminal for one line: its rows from
 * {@linkcode wrapLine}, each ended by a newline, written with the terminal's
 * own wrapping switched off and on again after them.
 *
 * Terminals do not all count cells as `string-width` does (tmux 3.3 draws
 * 👍🏽 in 4 cells, not 2, and U+00AD SOFT HYPHEN in 1, not 0), so a row can
 * still turn out too wide for the window. Wrapped by the terminal, its rest
 * would start a row at the left edge, where it could pass for a line of its
 * own; with wrapping off, it is cut at the edge instead.
 *
 * @param line The line: sanitised text with the client's SGR styles.
 * @param columns The terminal's width in cells; at least 1.
 * @returns The text to write, ending in a newline.
 * @throws {RangeError} If `columns` is not a whole number of at least 1.
 *
 * @example
 * ```ts
 * import { terminalRows } from "./wrap.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(terminalRows("alice: hi bob", 10), "\x1b[?7lalice: hi\n    bob\n\x1b[?7h");
 * ```
 */
export function terminalRows(line: string, columns: number): string {
  const rows = wrapLine(line, { columns });
  return `${AUTOWRAP_OFF}${rows.join("\n")}\n${AUTOWRAP_ON}`;
}

function splitPieces(line: string): Piece[] {
  const pieces: Piece[] = [];
  // split() with a capturing group puts each match at an odd index.
  for (const [index, part] of line.split(STYLE_SEQUENCE).entries()) {
    if (index % 2 === 1) {
      pieces.push({ kind: "style", text: part });
      continue;
    }
    for (const { segment } of graphemes.segment(part)) {
      if (segment === " ") pieces.push({ kind: "space" });
      else if (segment === "\t") pieces.push({ kind: "tab" });
      else pieces.push({ kind: "text", text: segment, cells: stringWidth(segment) });
    }
  }
  return pieces;
}

/** The cells a piece takes when it starts at `column`. */
function cellsAt(
  piece: Exclude<Piece, { kind: "style" }>,
  column: number,
  columns: number,
): number {
  switch (piece.kind) {
    case "text":
      return piece.cells;
    case "space":
      return 1;
    case "tab":
      // To the next tab stop, but never past the edge, as in a terminal.
      return Math.min(TAB_WIDTH - column % TAB_WIDTH, columns - column);
  }
}

function isReset(sgr: string): boolean {
  return sgr === RESET || sgr === "\x1b[m";
}
