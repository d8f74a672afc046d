/**
 * Draws the chart beside BENCHMARKS.md from `deno task bench --json`:
 *
 *   deno task bench --runs 3 --json > bench.json
 *   deno run --allow-read --allow-write scripts/bench_chart.ts bench.json docs/bench.svg
 *
 * Reads standard input when no input file is named, and writes standard
 * output when no output file is named.
 *
 * @module
 */

import { renderReport } from "../bench/chart.ts";
import type { BenchReport } from "../bench/report.ts";

const [input, output] = Deno.args;
const text = input === undefined
  ? await new Response(Deno.stdin.readable).text()
  : await Deno.readTextFile(input);
const svg = renderReport(JSON.parse(text) as BenchReport);
if (output === undefined) await Deno.stdout.write(new TextEncoder().encode(svg));
else await Deno.writeTextFile(output, svg);
