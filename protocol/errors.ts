/**
 * The catalogue of the protocol's errors: for each, its code, its text, and
 * whether the server closes the connection after it. The server builds every
 * `ERROR` line from here and the client learns from here which ones end the
 * session, so the two cannot drift apart.
 *
 * @module
 */

/** Why the server refused something; the code after `ERROR`. */
export const ErrorCode = {
  /** The name (at login or NICK) is held by a user who is online. */
  NameTaken: "name-taken",
  /** The name (at login or NICK) breaks the name rule. */
  NameInvalid: "name-invalid",
  /** A known command with missing or extra arguments. */
  Usage: "usage",
  /** MSG to a name nobody online has. */
  NoSuchUser: "no-such-user",
  /** The client sent nothing for longer than the idle timeout. */
  IdleTimeout: "idle-timeout",
  /** A line was longer than the limit; it was dropped. */
  LineTooLong: "line-too-long",
  /** A special command the server does not know. */
  UnknownCommand: "unknown-command",
  /** No name arrived within the login timeout. */
  LoginTimeout: "login-timeout",
  /** The server has as many connections as it allows. */
  ServerFull: "server-full",
  /** The client's address has as many connections as one address may. */
  TooManyConnections: "too-many-connections",
  /** The client's address opened too many connections too recently. */
  TooManyNewConnections: "too-many-new-connections",
  /** The client stayed over its line rate too long. */
  Flood: "flood",
  /** A room name breaks the rule, or looks like an existing room's. */
  RoomInvalid: "room-invalid",
  /** A command about a room the user is not in. */
  NotInRoom: "not-in-room",
  /** `WHO` or `TOPIC` of a room that does not exist. */
  NoSuchRoom: "no-such-room",
  /** A `JOIN` past the rooms a user may be in, or the server may hold. */
  TooManyRooms: "too-many-rooms",
  /** Chat while in no room at all. */
  NoCurrentRoom: "no-current-room",
  /** A wrong password for a registered name (at login it closes the connection). */
  PasswordWrong: "password-wrong",
  /** Too many wrong passwords from this address or for this name, for now. */
  PasswordLocked: "password-locked",
  /** A new password that breaks the rule. */
  PasswordInvalid: "password-invalid",
  /** `REGISTER` of a name that is registered already. */
  AlreadyRegistered: "already-registered",
  /** `PASSWORD` or `UNREGISTER` of a name that is not registered. */
  NotRegistered: "not-registered",
  /** The same account logged in again elsewhere; this connection ends. */
  Replaced: "replaced",
  /** A command for server operators (or a room's) from someone who is not one. */
  NotOperator: "not-operator",
  /** The name or the address is banned; the connection ends. */
  Banned: "banned",
  /** The user may not speak in that room (or anywhere) for now. */
  Muted: "muted",
  /**
   * A clustered server cannot reach its Redis: a login or rename is
   * refused, a line is not sent, or every session of the node ends.
   */
  ClusterUnavailable: "cluster-unavailable",
} as const;

/** One of {@linkcode ErrorCode}'s values. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/**
 * When the server closes the connection after an error: `always`;
 * `at-login` when it refuses the name line (the same error for `NICK`
 * leaves the connection open); `never`.
 */
export type Closes = "always" | "at-login" | "never";

/** An error as the server reports it. */
export interface ProtocolError {
  /** What went wrong, for programs. */
  readonly code: ErrorCode;
  /** What went wrong, for people. */
  readonly text: string;
}

/** Whether each error ends the connection. */
export const ERROR_CLOSES: Readonly<Record<ErrorCode, Closes>> = {
  "name-taken": "at-login",
  "name-invalid": "at-login",
  "usage": "never",
  "no-such-user": "never",
  "idle-timeout": "always",
  "line-too-long": "never",
  "unknown-command": "never",
  "login-timeout": "always",
  "server-full": "always",
  "too-many-connections": "always",
  "too-many-new-connections": "always",
  "flood": "always",
  "room-invalid": "never",
  "not-in-room": "never",
  "no-such-room": "never",
  "too-many-rooms": "never",
  "no-current-room": "never",
  "password-wrong": "at-login",
  "password-locked": "at-login",
  "password-invalid": "never",
  "already-registered": "never",
  "not-registered": "never",
  "replaced": "always",
  "not-operator": "never",
  "banned": "always",
  "muted": "never",
  "cluster-unavailable": "at-login",
};

/** One builder per error: the only place error texts are written. */
export const ServerError = {
  nameTaken: (name: string): ProtocolError => ({
    code: ErrorCode.NameTaken,
    text: `The name ${name} is in use`,
  }),
  /** @param other The online user whose name the new one could pass for. */
  nameLookalike: (name: string, other: string): ProtocolError => ({
    code: ErrorCode.NameTaken,
    text: `The name ${name} looks too much like ${other}, who is online`,
  }),
  /** @param problem The rule the name breaks, from `nameProblem()`. */
  nameInvalid: (problem: string): ProtocolError => ({ code: ErrorCode.NameInvalid, text: problem }),
  /** @param usage The command's usage, such as `MSG name text`. */
  usage: (usage: string): ProtocolError => ({ code: ErrorCode.Usage, text: `Usage: ${usage}` }),
  noSuchUser: (name: string): ProtocolError => ({
    code: ErrorCode.NoSuchUser,
    text: `Nobody called ${name} is online`,
  }),
  idleTimeout: (seconds: number): ProtocolError => ({
    code: ErrorCode.IdleTimeout,
    text: `Nothing received for ${seconds} s`,
  }),
  lineTooLong: (): ProtocolError => ({
    code: ErrorCode.LineTooLong,
    text: "Line too long; it was dropped",
  }),
  /** @param word The word as sent; empty for a line that starts with a space. */
  unknownCommand: (word: string): ProtocolError => ({
    code: ErrorCode.UnknownCommand,
    text: `Unknown command ${word || "(line starts with a space)"}; type HELP for the list`,
  }),
  loginTimeout: (): ProtocolError => ({
    code: ErrorCode.LoginTimeout,
    text: "No name received in time",
  }),
  /** @param what What could not be done, such as `Your message was not sent`. */
  clusterUnavailable: (what: string): ProtocolError => ({
    code: ErrorCode.ClusterUnavailable,
    text: `${what}: the server cannot reach its cluster; try again soon`,
  }),
  serverFull: (): ProtocolError => ({
    code: ErrorCode.ServerFull,
    text: "The server is full; try again later",
  }),
  tooManyConnections: (): ProtocolError => ({
    code: ErrorCode.TooManyConnections,
    text: "Too many connections from your address",
  }),
  /** @param retrySeconds When the address may connect again. */
  tooManyNewConnections: (retrySeconds: number): ProtocolError => ({
    code: ErrorCode.TooManyNewConnections,
    text: `Too many new connections from your address; try again in ${retrySeconds} s`,
  }),
  /** @param problem The rule the room name breaks, from `roomProblem()`. */
  roomInvalid: (problem: string): ProtocolError => ({ code: ErrorCode.RoomInvalid, text: problem }),
  roomLookalike: (room: string, other: string): ProtocolError => ({
    code: ErrorCode.RoomInvalid,
    text: `The room ${room} looks too much like ${other}`,
  }),
  notInRoom: (room: string): ProtocolError => ({
    code: ErrorCode.NotInRoom,
    text: `You are not in ${room}`,
  }),
  userNotInRoom: (name: string, room: string): ProtocolError => ({
    code: ErrorCode.NotInRoom,
    text: `${name} is not in ${room}`,
  }),
  noSuchRoom: (room: string): ProtocolError => ({
    code: ErrorCode.NoSuchRoom,
    text: `There is no room ${room}`,
  }),
  tooManyRoomsForUser: (count: number): ProtocolError => ({
    code: ErrorCode.TooManyRooms,
    text: `You are in ${count} rooms already`,
  }),
  tooManyRoomsOnServer: (count: number): ProtocolError => ({
    code: ErrorCode.TooManyRooms,
    text: `The server has ${count} rooms already`,
  }),
  passwordWrong: (name: string): ProtocolError => ({
    code: ErrorCode.PasswordWrong,
    text: `Wrong password for ${name}`,
  }),
  passwordLocked: (retrySeconds: number): ProtocolError => ({
    code: ErrorCode.PasswordLocked,
    text: `Too many wrong passwords; try again in ${retrySeconds} s`,
  }),
  passwordBusy: (): ProtocolError => ({
    code: ErrorCode.PasswordLocked,
    text: "Too many passwords are being checked; try again in a few seconds",
  }),
  /** @param problem The rule the password breaks, from `passwordProblem()`. */
  passwordInvalid: (problem: string): ProtocolError => ({
    code: ErrorCode.PasswordInvalid,
    text: problem,
  }),
  alreadyRegistered: (name: string): ProtocolError => ({
    code: ErrorCode.AlreadyRegistered,
    text: `${name} is registered already`,
  }),
  notRegistered: (name: string): ProtocolError => ({
    code: ErrorCode.NotRegistered,
    text: `${name} is not registered`,
  }),
  replaced: (name: string): ProtocolError => ({
    code: ErrorCode.Replaced,
    text: `${name} logged in again elsewhere`,
  }),
  nameRegistered: (name: string, other: string): ProtocolError => ({
    code: ErrorCode.NameTaken,
    text: `The name ${name} looks too much like ${other}, which is registered`,
  }),
  notRoomOperator: (command: string, room: string): ProtocolError => ({
    code: ErrorCode.NotOperator,
    text: `Only operators of ${room} may ${command} there`,
  }),
  /** @param why Such as `you did not create it`, `it has an owner`. */
  cannotOwn: (room: string, why: string): ProtocolError => ({
    code: ErrorCode.NotOperator,
    text: `You cannot own ${room}: ${why}`,
  }),
  notOperator: (command: string): ProtocolError => ({
    code: ErrorCode.NotOperator,
    text: `Only server operators may ${command}`,
  }),
  /** @param until When it ends, as UTC text; empty for good. */
  banned: (what: string, until: string, reason: string): ProtocolError => ({
    code: ErrorCode.Banned,
    text: `${what} banned ${until === "" ? "for good" : `until ${until}`}${
      reason === "" ? "" : ` (${reason})`
    }`,
  }),
  /** @param where `in #room` or `everywhere`; @param until UTC text, empty for good. */
  muted: (where: string, until: string): ProtocolError => ({
    code: ErrorCode.Muted,
    text: `You are muted ${where} ${until === "" ? "for good" : `until ${until}`}`,
  }),
  noCurrentRoom: (): ProtocolError => ({
    code: ErrorCode.NoCurrentRoom,
    text: "You are in no room; JOIN one",
  }),
  flood: (): ProtocolError => ({
    code: ErrorCode.Flood,
    text: "Too many lines for too long; slow down",
  }),
} as const;

/**
 * Whether the server closes the connection after an error.
 *
 * @param code The code from an `ERROR` line; unknown codes never close.
 * @param loggedIn Whether the login had succeeded when the error came.
 * @returns True if no more lines will follow.
 *
 * @example
 * ```ts
 * import { closesConnection } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(closesConnection("name-taken", false), true);
 * assert.equal(closesConnection("name-taken", true), false);
 * assert.equal(closesConnection("flood", true), true);
 * ```
 */
export function closesConnection(code: string, loggedIn: boolean): boolean {
  const closes = ERROR_CLOSES[code as ErrorCode];
  return closes === "always" || (closes === "at-login" && !loggedIn);
}
