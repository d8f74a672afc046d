/**
 * The web page's files, imported as text so `deno compile` carries them in
 * the binary: nothing is read from beside the executable or fetched from
 * elsewhere.
 *
 * @module
 */

import page from "./index.html" with { type: "text" };
import script from "./app.js" with { type: "text" };
import commands from "./commands.js" with { type: "text" };
import connection from "./connection.js" with { type: "text" };
import conversation from "./conversation.js" with { type: "text" };
import eventLines from "./event_lines.js" with { type: "text" };
import history from "./history.js" with { type: "text" };
import sentLines from "./sent_lines.js" with { type: "text" };
import style from "./app.css" with { type: "text" };

/** One file the page is made of. */
export interface PageFile {
  /** The `Content-Type` it is served with. */
  readonly contentType: string;
  /** Its text. */
  readonly body: string;
}

/** The page's files by the path they are served at. */
export const PAGE_FILES: ReadonlyMap<string, PageFile> = new Map([
  ["/", { contentType: "text/html; charset=utf-8", body: page }],
  ["/app.js", { contentType: "text/javascript; charset=utf-8", body: script }],
  ["/commands.js", { contentType: "text/javascript; charset=utf-8", body: commands }],
  ["/connection.js", { contentType: "text/javascript; charset=utf-8", body: connection }],
  ["/conversation.js", { contentType: "text/javascript; charset=utf-8", body: conversation }],
  ["/event_lines.js", { contentType: "text/javascript; charset=utf-8", body: eventLines }],
  ["/history.js", { contentType: "text/javascript; charset=utf-8", body: history }],
  ["/sent_lines.js", { contentType: "text/javascript; charset=utf-8", body: sentLines }],
  ["/app.css", { contentType: "text/css; charset=utf-8", body: style }],
]);
