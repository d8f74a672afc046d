/**
 * Every line the server sends, and how it is encoded.
 *
 * A chat line starts with `[`; every other server line starts with an
 * upper-case keyword, so no notice or error can be mistaken for chat, and
 * the original Go client, which prints whatever arrives, shows them as
 * readable text. PROTOCOL.md holds the grammar; tests pin each format.
 *
 * @module
 */

/** Why the server refused something; the code after `ERROR`. */
export const ErrorCode = {
  /** The login name is held by a user who is online. */
  NameTaken: "name-taken",
  /** The login name breaks the name rule. */
  NameInvalid: "name-invalid",
  /** A line was longer than the limit; it was dropped. */
  LineTooLong: "line-too-long",
  /** A special command the server does not know. */
  UnknownCommand: "unknown-command",
  /** No name arrived within the login timeout. */
  LoginTimeout: "login-timeout",
} as const;

/** One of {@linkcode ErrorCode}'s values. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/** What the server announces; the code after `NOTICE`. */
export const NoticeCode = {
  /** The server is going down; the connection closes next. */
  Shutdown: "shutdown",
} as const;

/** One of {@linkcode NoticeCode}'s values. */
export type NoticeCode = typeof NoticeCode[keyof typeof NoticeCode];

const encoder = new TextEncoder();

/**
 * Encodes one line for the wire, adding its LF.
 *
 * @param line A line without LF.
 * @returns Its UTF-8 bytes, LF-terminated.
 */
export function encodeLine(line: string): Uint8Array {
  return encoder.encode(line + "\n");
}

/**
 * The chat line everyone but the sender receives: the original server's
 * format, byte for byte.
 *
 * @param name The sender.
 * @param text The message, sanitised.
 * @returns `[name]: text`
 */
export function chatLine(name: string, text: string): string {
  return `[${name}]: ${text}`;
}

/**
 * An error reply.
 *
 * @param code What went wrong, for programs.
 * @param text What went wrong, for people.
 * @returns `ERROR code: text`
 */
export function errorLine(code: ErrorCode, text: string): string {
  return `ERROR ${code}: ${text}`;
}

/**
 * A server notice.
 *
 * @param code What happened, for programs.
 * @param text What happened, for people.
 * @returns `NOTICE code: text`
 */
export function noticeLine(code: NoticeCode, text: string): string {
  return `NOTICE ${code}: ${text}`;
}
