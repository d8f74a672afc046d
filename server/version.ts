/**
 * The program's version, read from deno.json so there is one place to bump
 * it; `deno compile` embeds the JSON.
 *
 * @module
 */

import denoConfig from "../deno.json" with { type: "json" };

/** The version from deno.json, such as `0.1.0`. */
export const VERSION: string = denoConfig.version;
