/**
 * Parses what a logged-in client sends: one line, one command.
 *
 * A line starting with `*` is a chat message (the seed protocol). An empty
 * line is ignored. Anything else is a special command: a command word,
 * matched case-insensitively (ASCII only), then its arguments after the
 * first space.
 *
 * @module
 */

/** A client line, understood. */

/** The most lines one `HISTORY` page holds. */
export const MAX_HISTORY_PAGE = 200;

export type Command =
  /** `*text`: a public chat message. */
  | { readonly kind: "message"; readonly text: string }
  /** `QUIT [reason]`: the client is leaving. */
  | { readonly kind: "quit"; readonly reason: string }
  /** `WHO [#room]`: list the users in a room (the current one by default). */
  | { readonly kind: "who"; readonly room: string }
  /** `JOIN #room`: join a room and make it current. */
  | { readonly kind: "join"; readonly room: string }
  /** `PART [#room] [reason]`: leave a room (the current one by default). */
  | { readonly kind: "part"; readonly room: string; readonly reason: string }
  /** `SAY #room text`: speak in a room without switching to it. */
  | { readonly kind: "say"; readonly room: string; readonly text: string }
  /** `SWITCH #room`: make a room one is in the current room. */
  | { readonly kind: "switch"; readonly room: string }
  /** `LIST`: the rooms, their sizes and topics. */
  | { readonly kind: "list" }
  /** `TOPIC [#room] [text]`: show a room's topic (empty text), or set it. */
  | { readonly kind: "topic"; readonly room: string; readonly text: string }
  /** `MSG name text`: a private message to one user. */
  | { readonly kind: "msg"; readonly target: string; readonly text: string }
  /** `NICK name`: change one's name. */
  | { readonly kind: "nick"; readonly name: string }
  /** `ME text`: an action, shown as `* name text`. */
  | { readonly kind: "me"; readonly text: string }
  /** `PING [token]`: ask for `PONG [token]`. */
  | { readonly kind: "ping"; readonly token: string }
  /** `HELP`: list the commands. */
  | { readonly kind: "help" }
  /** `REGISTER password`: claim one's name with a password. */
  | { readonly kind: "register"; readonly password: string }
  /** `REGISTER #room`: its creator, registered, becomes its owner. */
  | { readonly kind: "register-room"; readonly room: string }
  /** `OP #room name` / `DEOP #room name`: the owner appoints or dismisses a room operator. */
  | {
    readonly kind: "op";
    readonly room: string;
    readonly target: string;
    readonly operator: boolean;
  }
  /** `PASS password`: the password of a registered name, right after the name line. */
  | { readonly kind: "pass"; readonly password: string }
  /** `PASSWORD old new`: change one's password. */
  | { readonly kind: "password"; readonly old: string; readonly password: string }
  /** `UNREGISTER password`: give one's name up. */
  | { readonly kind: "unregister"; readonly password: string }
  /** `KICK [#room] name [reason]`: remove a user from a room. */
  | {
    readonly kind: "kick";
    readonly room: string;
    readonly target: string;
    readonly reason: string;
  }
  /** `BAN target [duration] [reason]`: ban a name or an address or range. */
  | {
    readonly kind: "ban";
    readonly target: string;
    readonly duration: string;
    readonly reason: string;
  }
  /** `UNBAN target`: lift a ban. */
  | { readonly kind: "unban"; readonly target: string }
  /** `BANS`: list the bans in force. */
  | { readonly kind: "bans" }
  /** `MUTE [#room] name [duration]`: keep a user from speaking (everywhere without a room). */
  | {
    readonly kind: "mute";
    readonly room: string;
    readonly target: string;
    readonly duration: string;
  }
  /** `HISTORY [#room] [count] [before]`: older public lines of a room. */
  | {
    readonly kind: "history";
    readonly room: string;
    readonly count: number;
    /** The UTC time lines must be older than, as written; empty for now. */
    readonly before: string;
  }
  /** `UNMUTE [#room] name`: let a muted user speak again. */
  | { readonly kind: "unmute"; readonly room: string; readonly target: string }
  /** An empty line, or a `*` with nothing after it: nothing to do. */
  | { readonly kind: "nothing" }
  /** A known command with the wrong arguments. */
  | { readonly kind: "usage"; readonly usage: string }
  /** A command word the server does not know. */
  | { readonly kind: "unknown"; readonly word: string };

/** How one command word is written, explained and parsed. */
export interface CommandSpec {
  /** The command it parses to. */
  readonly kind: Command["kind"];
  /** The word, upper case; `*` for a chat message, which needs no space. */
  readonly word: string;
  /** The arguments as `HELP` shows them, such as `name text`; may be empty. */
  readonly args: string;
  /** What it does, for `HELP` and the client's `/help`. */
  readonly summary: string;
  /**
   * How flood control weighs it against a plain line (1): commands whose
   * reply grows with the server cost more.
   */
  readonly cost: number;
  /**
   * Parses the arguments (after the first space, trimmed).
   *
   * @returns The command, or `undefined` when the arguments are wrong.
   */
  readonly parse: (args: string) => Command | undefined;
}

/**
 * Every command, in the order `HELP` lists them: the one table behind
 * parsing, the server's `HELP` and the client's `/help`.
 */
export const COMMANDS: readonly CommandSpec[] = [
  {
    kind: "message",
    word: "*",
    args: "text",
    summary: "say text to everyone else in your current room",
    cost: 1,
    parse: (text) => ({ kind: "message", text }),
  },
  {
    kind: "me",
    word: "ME",
    args: "text",
    summary: "act: everyone else sees * yourname text",
    cost: 1,
    parse: (text) => text === "" ? undefined : { kind: "me", text },
  },
  {
    kind: "msg",
    word: "MSG",
    args: "name text",
    summary: "send text to one user only",
    cost: 1,
    parse: (args) => {
      const gap = args.indexOf(" ");
      if (gap === -1) return undefined;
      return { kind: "msg", target: args.slice(0, gap), text: args.slice(gap + 1).trimStart() };
    },
  },
  {
    kind: "nick",
    word: "NICK",
    args: "name",
    summary: "change your name",
    cost: 1,
    parse: (name) => name === "" || name.includes(" ") ? undefined : { kind: "nick", name },
  },
  {
    kind: "join",
    word: "JOIN",
    args: "#room",
    summary: "join a room, creating it, and talk there",
    cost: 2,
    parse: (room) => room === "" || room.includes(" ") ? undefined : { kind: "join", room },
  },
  {
    kind: "part",
    word: "PART",
    args: "[#room] [reason]",
    summary: "leave a room (the current one)",
    cost: 1,
    parse: (args) => {
      const [room, reason] = splitRoom(args);
      return { kind: "part", room, reason };
    },
  },
  {
    kind: "say",
    word: "SAY",
    args: "#room text",
    summary: "say text in a room without switching to it",
    cost: 1,
    parse: (args) => {
      const [room, text] = splitRoom(args);
      return room === "" || text === "" ? undefined : { kind: "say", room, text };
    },
  },
  {
    kind: "switch",
    word: "SWITCH",
    args: "#room",
    summary: "make a room you are in the current one",
    cost: 1,
    parse: (room) =>
      room.startsWith("#") && !room.includes(" ") ? { kind: "switch", room } : undefined,
  },
  {
    kind: "list",
    word: "LIST",
    args: "",
    summary: "list the rooms, their users and topics",
    cost: 5,
    parse: () => ({ kind: "list" }),
  },
  {
    kind: "topic",
    word: "TOPIC",
    args: "[#room] [text]",
    summary: "show a room's topic, or set it (- clears it)",
    cost: 2,
    parse: (args) => {
      const [room, text] = splitRoom(args);
      return { kind: "topic", room, text };
    },
  },
  {
    kind: "who",
    word: "WHO",
    args: "[#room]",
    summary: "list the users in a room (the current one)",
    cost: 5,
    parse: (room) => room.includes(" ") ? undefined : { kind: "who", room },
  },
  {
    kind: "register",
    word: "REGISTER",
    args: "password|#room",
    summary: "keep your name (it needs this password from now), or own a room you made",
    cost: 5,
    parse: (password) => {
      if (password === "") return undefined;
      if (password.startsWith("#") && !password.includes(" ")) {
        return { kind: "register-room", room: password };
      }
      return { kind: "register", password };
    },
  },
  {
    kind: "op",
    word: "OP",
    args: "#room name",
    summary: "room owners: make a user one of the room's operators",
    cost: 2,
    parse: (args) => opCommand(args, true),
  },
  {
    kind: "op",
    word: "DEOP",
    args: "#room name",
    summary: "room owners: take that back",
    cost: 2,
    parse: (args) => opCommand(args, false),
  },
  {
    kind: "pass",
    word: "PASS",
    args: "password",
    summary: "log in under a registered name (after the name line)",
    cost: 5,
    parse: (password) => password === "" ? undefined : { kind: "pass", password },
  },
  {
    kind: "password",
    word: "PASSWORD",
    args: "old new",
    summary: "change your password",
    cost: 5,
    parse: (args) => {
      const gap = args.indexOf(" ");
      if (gap === -1) return undefined;
      return { kind: "password", old: args.slice(0, gap), password: args.slice(gap + 1).trim() };
    },
  },
  {
    kind: "unregister",
    word: "UNREGISTER",
    args: "password",
    summary: "give your name up",
    cost: 5,
    parse: (password) => password === "" ? undefined : { kind: "unregister", password },
  },
  {
    kind: "kick",
    word: "KICK",
    args: "[#room] name [reason]",
    summary: "operators: remove a user from a room",
    cost: 2,
    parse: (args) => {
      const [room, rest] = splitRoom(args);
      const gap = rest.indexOf(" ");
      const target = gap === -1 ? rest : rest.slice(0, gap);
      const reason = gap === -1 ? "" : rest.slice(gap + 1).trim();
      return target === "" ? undefined : { kind: "kick", room, target, reason };
    },
  },
  {
    kind: "ban",
    word: "BAN",
    args: "target [duration] [reason]",
    summary: "operators: ban a name, address or range (10m, 1h30m, 7d; for good without)",
    cost: 2,
    parse: (args) => {
      const [target = "", second = "", ...rest] = args.split(" ");
      if (target === "") return undefined;
      const timed = /^(\d+[smhdw])+$/.test(second);
      const reason = (timed ? rest : [second, ...rest]).join(" ").trim();
      return { kind: "ban", target, duration: timed ? second : "", reason };
    },
  },
  {
    kind: "unban",
    word: "UNBAN",
    args: "target",
    summary: "operators: lift a ban",
    cost: 2,
    parse: (target) =>
      target === "" || target.includes(" ") ? undefined : { kind: "unban", target },
  },
  {
    kind: "bans",
    word: "BANS",
    args: "",
    summary: "operators: list the bans in force",
    cost: 5,
    parse: () => ({ kind: "bans" }),
  },
  {
    kind: "mute",
    word: "MUTE",
    args: "[#room] name [duration]",
    summary: "operators: keep a user from speaking in a room, or anywhere",
    cost: 2,
    parse: (args) => {
      const [room, rest] = splitRoom(args);
      const [target = "", duration = "", ...extra] = rest.split(" ");
      if (target === "" || extra.length > 0) return undefined;
      return { kind: "mute", room, target, duration };
    },
  },
  {
    kind: "unmute",
    word: "UNMUTE",
    args: "[#room] name",
    summary: "operators: let a muted user speak again",
    cost: 2,
    parse: (args) => {
      const [room, target] = splitRoom(args);
      return target === "" || target.includes(" ") ? undefined : { kind: "unmute", room, target };
    },
  },
  {
    kind: "history",
    word: "HISTORY",
    args: "[#room] [count] [before]",
    summary: "older lines of a room: count (50, at most 200) from before a UTC time",
    cost: 5,
    parse: (args) => {
      const [room, rest] = splitRoom(args);
      const words = rest === "" ? [] : rest.split(" ");
      let count = 50;
      if (/^\d+$/.test(words[0] ?? "")) count = Number(words.shift());
      const before = words.shift() ?? "";
      if (words.length > 0 || count < 1 || count > MAX_HISTORY_PAGE) return undefined;
      if (before !== "" && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(before)) return undefined;
      return { kind: "history", room, count, before };
    },
  },
  {
    kind: "ping",
    word: "PING",
    args: "[token]",
    summary: "the server answers PONG [token]",
    cost: 1,
    parse: (token) => ({ kind: "ping", token }),
  },
  {
    kind: "help",
    word: "HELP",
    args: "",
    summary: "this list",
    cost: 2,
    parse: () => ({ kind: "help" }),
  },
  {
    kind: "quit",
    word: "QUIT",
    args: "[reason]",
    summary: "leave",
    cost: 1,
    parse: (reason) => ({ kind: "quit", reason }),
  },
];

function opCommand(args: string, operator: boolean): Command | undefined {
  const [room, target] = splitRoom(args);
  if (room === "" || target === "" || target.includes(" ")) return undefined;
  return { kind: "op", room, target, operator };
}

/**
 * Splits arguments that may start with a room: `#rust bye` is the room and
 * the rest; `bye` is no room and everything.
 */
function splitRoom(args: string): [room: string, rest: string] {
  if (!args.startsWith("#")) return ["", args];
  const space = args.indexOf(" ");
  return space === -1 ? [args, ""] : [args.slice(0, space), args.slice(space + 1).trim()];
}

/**
 * How a command is written: `*text`, `MSG name text`, `QUIT [reason]`.
 *
 * @param spec The command.
 * @returns Its usage.
 */
export function commandUsage(spec: CommandSpec): string {
  if (spec.word === "*") return `*${spec.args}`;
  return spec.args === "" ? spec.word : `${spec.word} ${spec.args}`;
}

const BY_WORD = new Map(COMMANDS.map((spec) => [spec.word, spec]));
const MESSAGE = BY_WORD.get("*")!;
const NOTHING: Command = { kind: "nothing" };

/**
 * Parses one line from a logged-in client.
 *
 * @param line The line's text, decoded and sanitised, without its LF.
 * @returns The command it carries.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./commands.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCommand("*hello"), { kind: "message", text: "hello" });
 * assert.deepEqual(parseCommand("quit"), { kind: "quit", reason: "" });
 * assert.deepEqual(parseCommand("msg bob hi there"), { kind: "msg", target: "bob", text: "hi there" });
 * ```
 */
export function parseCommand(line: string): Command {
  if (line.startsWith("*")) return line.length === 1 ? NOTHING : MESSAGE.parse(line.slice(1))!;
  if (line.length === 0) return NOTHING;
  const space = line.indexOf(" ");
  const word = space === -1 ? line : line.slice(0, space);
  const spec = BY_WORD.get(asciiUpperCase(word));
  if (spec === undefined || spec === MESSAGE) return { kind: "unknown", word };
  const args = space === -1 ? "" : line.slice(space + 1).trim();
  return spec.parse(args) ?? { kind: "usage", usage: commandUsage(spec) };
}

/**
 * How much flood control charges for a command.
 *
 * @param command A parsed command.
 * @returns Tokens: 1 for a plain line, more for commands whose reply grows
 * with the number of users.
 */
export function commandCost(command: Command): number {
  return COST_BY_KIND.get(command.kind) ?? 1;
}

const COST_BY_KIND = new Map(COMMANDS.map((spec) => [spec.kind, spec.cost]));

/**
 * Upper-cases ASCII letters only. Command words are ASCII: full Unicode
 * case mapping would let `quıt` (dotless i) mean `QUIT`.
 *
 * @param word A command word as sent.
 * @returns The word with a–z upper-cased and everything else unchanged.
 */
export function asciiUpperCase(word: string): string {
  return word.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}
