/**
 * A name the server says is taken, in the terminal: the client asks for
 * another and logs in with it, rather than exiting, as irssi and most chat
 * clients do. Scripts keep exit code 5, since nobody is there to answer.
 *
 * @module
 */

import process from "node:process";
import * as readline from "node:readline";
import { parseServerLine } from "../protocol/server_lines.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { nameProblem } from "../protocol/username.ts";
import type { ServerLink } from "./server_link.ts";
import { sanitizeForTerminal } from "./terminal_text.ts";

/** A logged-in link and the name it is logged in as. */
export interface NamedLink {
  readonly link: ServerLink;
  readonly name: string;
}

/**
 * The server's refusal of a name because someone online has it (or one
 * that passes for it), from the first line it answered the name with.
 *
 * @param firstLine The server's first line, if any.
 * @returns The refusal's text, or `undefined` if the name was not refused as taken.
 */
export function takenNameRefusal(firstLine: string | undefined): string | undefined {
  if (firstLine === undefined) return undefined;
  const line = parseServerLine(firstLine);
  return line.kind === "error" && line.code === ErrorCode.NameTaken ? line.text : undefined;
}

/**
 * Asks for another name for as long as the server says the one given is
 * taken, and logs in with it.
 *
 * @param first The link the server answered, and the name it was given.
 * @param login Logs in as a name; resolves once the server has answered it.
 * @param ask Shows a question and resolves with the answer, or `undefined`
 * if the user gave up (Ctrl-D, Ctrl-C). The terminal's by default.
 * @returns The link to use, or `undefined` with the last refusal when the
 * user gave up.
 */
export async function loginWithFreeName(
  first: NamedLink,
  login: (name: string) => Promise<ServerLink>,
  ask: (question: string) => Promise<string | undefined> = askTerminal,
): Promise<NamedLink | { readonly refusal: string }> {
  let current = first;
  for (;;) {
    const refusal = takenNameRefusal(current.link.firstLine);
    if (refusal === undefined) return current;
    current.link.close();
    let question = `${sanitizeForTerminal(refusal)}. Another name: `;
    let name: string | undefined;
    for (;;) {
      name = (await ask(question))?.trim();
      if (name === undefined || name === "") return { refusal };
      const problem = nameProblem(name);
      if (problem === undefined) break;
      question = `That name cannot be used: ${problem}. Another name: `;
    }
    current = { link: await login(name), name };
  }
}

/** Asks on the terminal; Ctrl-D and Ctrl-C give up. */
function askTerminal(question: string): Promise<string | undefined> {
  const editor = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
  });
  return new Promise((resolve) => {
    editor.on("close", () => resolve(undefined));
    editor.on("SIGINT", () => editor.close());
    editor.question(question, (answer) => {
      resolve(answer);
      editor.close();
    });
  });
}
