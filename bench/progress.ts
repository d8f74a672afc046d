/**
 * A progress line for long load tests: rewritten in place on a terminal,
 * and silent when the output is a pipe or a file, so reports stay clean.
 *
 * @module
 */

/** Where the line goes: `Deno.stdout` or anything alike. */
export interface ProgressOutput {
  writeSync(bytes: Uint8Array): number;
  isTerminal(): boolean;
}

const encoder = new TextEncoder();

/** One line of progress, shown only on a terminal. */
export class ProgressLine {
  readonly #output: ProgressOutput | undefined;
  #shown = false;

  /**
   * Writes to `output` if it is a terminal, and nowhere otherwise.
   *
   * @param output Where to show the line.
   * @default {Deno.stdout}
   */
  constructor(output: ProgressOutput = Deno.stdout) {
    this.#output = output.isTerminal() ? output : undefined;
  }

  /** Whether anything will be shown. */
  get active(): boolean {
    return this.#output !== undefined;
  }

  /**
   * Replaces the line's text.
   *
   * @param text One line, without a line break.
   */
  show(text: string): void {
    if (this.#output === undefined) return;
    this.#output.writeSync(encoder.encode(`\r${text}\x1b[K`));
    this.#shown = true;
  }

  /** Erases the line, before a report is printed in its place. */
  clear(): void {
    if (this.#output === undefined || !this.#shown) return;
    this.#output.writeSync(encoder.encode("\r\x1b[K"));
    this.#shown = false;
  }
}
