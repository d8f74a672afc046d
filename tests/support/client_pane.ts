/**
 * The interactive client in a real terminal: `nanochat connect` as a
 * subprocess in a tmux pane, with colours off so screens compare as text.
 *
 * @module
 */

import { nanochatArgs } from "./cli_process.ts";
import { TmuxPane } from "./tmux.ts";

/** How to start the client, beyond its address. */
export interface ClientPaneOptions {
  /** Extra Deno permissions (besides `--allow-net`). */
  readonly permissions?: string[];
  /** The window's width; 100 columns unless given. */
  readonly columns?: number;
}

/**
 * Starts `nanochat connect 127.0.0.1:PORT ARGS…` in tmux, without colour.
 *
 * @param port The server's port on 127.0.0.1.
 * @param args What follows the address: the name, then any options.
 * @param options Permissions and window size.
 */
export function startClientPane(
  port: number,
  args: string[],
  options: ClientPaneOptions = {},
): Promise<TmuxPane> {
  return TmuxPane.start([
    "env",
    "NO_COLOR=1",
    Deno.execPath(),
    ...nanochatArgs(["connect", `127.0.0.1:${port}`, ...args], options.permissions),
  ], options.columns === undefined ? {} : { columns: options.columns });
}
