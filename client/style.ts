/**
 * ANSI text styles that can be switched off as a whole.
 *
 * Written here rather than taken from `node:util`'s `styleText`, which asks
 * for env permission on a TTY; whether to colour is decided once, by the
 * caller, with `Deno.noColor` and `isTerminal()`, which need no permission.
 *
 * @module
 */

/** Foreground colours that read well on dark and light backgrounds. */
const NAME_COLORS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96] as const;

/** How many distinct colours names can get. */
export const NAME_COLOR_COUNT = NAME_COLORS.length;

/** Wraps text in ANSI styles, or leaves it alone when disabled. */
export interface Style {
  /** Whether styles are written at all. */
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  /** Not bold, unlike names: room tags. */
  cyan(text: string): string;
  /** Reverse video: lines that name the user, and private messages. */
  highlight(text: string): string;
  /** One of {@linkcode NAME_COLOR_COUNT} colours, bold. */
  nameColor(index: number, text: string): string;
}

/**
 * Creates a style set.
 *
 * @param enabled False gives plain text for every style.
 * @returns The styles.
 */
export function createStyle(enabled: boolean): Style {
  const wrap = (open: string, text: string) => enabled ? `\x1b[${open}m${text}\x1b[0m` : text;
  return {
    enabled,
    bold: (text) => wrap("1", text),
    dim: (text) => wrap("2", text),
    red: (text) => wrap("31", text),
    yellow: (text) => wrap("33", text),
    cyan: (text) => wrap("36", text),
    highlight: (text) => wrap("7", text),
    nameColor: (index, text) => wrap(`1;${NAME_COLORS[index % NAME_COLOR_COUNT]}`, text),
  };
}
