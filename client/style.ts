/**
 * ANSI text styles that can be switched off as a whole.
 *
 * Written here rather than taken from `node:util`'s `styleText`, which asks
 * for env permission on a TTY; whether to colour is decided once, by the
 * caller ({@linkcode terminalTakesColor}).
 *
 * @module
 */

/**
 * Foreground colours that read well on dark and light backgrounds, for
 * names. Not the notices' yellow (33, 93) nor the errors' red (31, 91), so a
 * name never passes for either.
 */
const NAME_COLORS = [32, 34, 35, 36, 92, 94, 95, 96] as const;

/**
 * Splits text around the SGR sequences {@linkcode createStyle} writes,
 * keeping them: the parts at odd indexes are styles, which take no cells.
 */
// deno-lint-ignore no-control-regex -- matching our own SGR sequences is the point
export const STYLE_SEQUENCE: RegExp = /(\x1b\[[0-9;]*m)/;

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

/**
 * Whether the terminal should get colours: not with `NO_COLOR` set, nor on a
 * terminal that says it has none (`TERM=dumb`, as Emacs' shell and some
 * serial consoles set). Reading `TERM` takes env permission for it alone,
 * which the `connect` task and the binary have; without it, colour is
 * assumed.
 *
 * @returns True to colour.
 */
export function terminalTakesColor(): boolean {
  if (Deno.noColor) return false;
  const term = Deno.permissions.querySync({ name: "env", variable: "TERM" });
  return term.state !== "granted" || Deno.env.get("TERM") !== "dumb";
}
