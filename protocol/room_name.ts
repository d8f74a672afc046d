/**
 * The room name rule, and the keys under which rooms are found: `#` then 1
 * to 32 letters, digits, `_`, `-` or `.`. Rooms are found ignoring case and
 * compatibility forms, like user names, and a new room may not look like
 * an existing one (the same confusable skeleton as for user names).
 *
 * @module
 */

import { nameKey, nameSkeleton } from "./username.ts";

/** The longest room name after the `#`, in code points. */
export const MAX_ROOM_NAME_LENGTH = 32;

const ROOM_PATTERN = /^#[\p{L}\p{N}_.\-][\p{L}\p{M}\p{N}_.\-]*$/u;

/** The rule in one sentence, for error messages. */
export const ROOM_RULE = `# then 1 to ${MAX_ROOM_NAME_LENGTH} letters, digits, '_', '-' or '.'`;

/**
 * Says why a room name is not acceptable, or nothing if it is.
 *
 * @param room A proposed room name, such as `#rust`.
 * @returns A reason in sentence case, or `undefined` when it is valid.
 *
 * @example
 * ```ts
 * import { roomProblem } from "./room_name.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(roomProblem("#rust"), undefined);
 * assert.match(roomProblem("rust") ?? "", /^Room names are #/);
 * ```
 */
export function roomProblem(room: string): string | undefined {
  const length = [...room].length - 1;
  if (!ROOM_PATTERN.test(room) || length > MAX_ROOM_NAME_LENGTH || hasInvisible(room)) {
    return `Room names are ${ROOM_RULE}`;
  }
  return undefined;
}

/** Default-ignorable code points make look-alike rooms; names refuse them too. */
function hasInvisible(room: string): boolean {
  return /\p{Default_Ignorable_Code_Point}/u.test(room);
}

/**
 * The key two room names share exactly when they name the same room.
 *
 * @param room A valid room name.
 * @returns Its case- and compatibility-folded form.
 */
export function roomKey(room: string): string {
  return nameKey(room);
}

/**
 * The key two room names share when one could pass for the other.
 *
 * @param room A valid room name.
 * @returns Its confusable skeleton.
 */
export function roomSkeleton(room: string): string {
  return nameSkeleton(room.slice(1));
}

/**
 * Whether a word is meant as a room: it starts with `#`. Names cannot.
 *
 * @param word A command argument.
 */
export function isRoomWord(word: string): boolean {
  return word.startsWith("#");
}
