/**
 * The server's event log: one line per event, `time event key=value…` or one
 * JSON object, so an operator can grep it and follow one connection by its
 * `conn` id.
 *
 * @module
 */

/** Values a log field may hold. */
export type LogValue = string | number | boolean | undefined;

/** How log lines are written. */
export type LogFormat = "text" | "json";

/** Receives finished log lines; the default writes them to stderr. */
export type LogSink = (line: string) => void;

const encoder = new TextEncoder();

/** Lines waiting for the end of the event loop's turn. */
let unwritten = "";
let flushScheduled = false;

/** Written at once past this many characters. */
const MAX_UNWRITTEN = 64 * 1024;

/**
 * Writes a line to stderr, whole, without a permission prompt. The lines of
 * one turn of the event loop go out in one write at its end: a write per
 * line was a tenth of the server's busy time while users logged in.
 */
export const stderrSink: LogSink = (line) => {
  unwritten += line + "\n";
  if (unwritten.length >= MAX_UNWRITTEN) return flushLog();
  if (flushScheduled) return;
  flushScheduled = true;
  // Unreferenced: pending lines never keep the process alive; `unload` writes them.
  Deno.unrefTimer(setTimeout(flushLog, 0));
};

/** Writes the lines {@linkcode stderrSink} still holds; before other output to stderr, say. */
export function flushLog(): void {
  flushScheduled = false;
  if (unwritten === "") return;
  const bytes = encoder.encode(unwritten);
  unwritten = "";
  for (let written = 0; written < bytes.length;) {
    written += Deno.stderr.writeSync(bytes.subarray(written));
  }
}

// Whatever ends the process, the lines logged before it are written.
for (const event of ["unload", "error", "unhandledrejection"]) {
  globalThis.addEventListener(event, flushLog);
}

/** Formats events as log lines. */
export class Logger {
  readonly #sink: LogSink;
  readonly #format: LogFormat;

  /**
   * Creates a logger.
   *
   * @param sink Where lines go.
   * @param format `text` (`time event key=value…`) or `json` (one object a line).
   */
  constructor(sink: LogSink = stderrSink, format: LogFormat = "text") {
    this.#sink = sink;
    this.#format = format;
  }

  /**
   * Logs one event.
   *
   * @param event A short kebab-case name, such as `login` or `disconnect`.
   * @param fields Details; `undefined` values are left out.
   */
  event(event: string, fields: Record<string, LogValue> = {}): void {
    const time = new Date().toISOString();
    if (this.#format === "json") {
      this.#sink(JSON.stringify({ time, event, ...fields }));
      return;
    }
    let line = `${time} ${event}`;
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
