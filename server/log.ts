/**
 * The server's event log: one line per event, `time event key=value…`, so an
 * operator can grep it and follow one connection by its `conn` id.
 *
 * @module
 */

/** Values a log field may hold. */
export type LogValue = string | number | boolean | undefined;

/** Receives finished log lines; the default writes them to stderr. */
export type LogSink = (line: string) => void;

const encoder = new TextEncoder();

/** Writes a line to stderr, whole, without a permission prompt. */
export const stderrSink: LogSink = (line) => {
  const bytes = encoder.encode(line + "\n");
  for (let written = 0; written < bytes.length;) {
    written += Deno.stderr.writeSync(bytes.subarray(written));
  }
};

/** Formats events as log lines. */
export class Logger {
  readonly #sink: LogSink;

  /**
   * Creates a logger.
   *
   * @param sink Where lines go.
   */
  constructor(sink: LogSink = stderrSink) {
    this.#sink = sink;
  }

  /**
   * Logs one event.
   *
   * @param event A short kebab-case name, such as `login` or `disconnect`.
   * @param fields Details; `undefined` values are left out.
   */
  event(event: string, fields: Record<string, LogValue> = {}): void {
    let line = `${new Date().toISOString()} ${event}`;
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
    }
    this.#sink(line);
  }
}

function formatValue(value: string | number | boolean): string {
  if (typeof value !== "string") return String(value);
  // Quote anything that would break key=value parsing; JSON escapes controls.
  return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
}
