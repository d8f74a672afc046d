/**
 * Draws `deno task bench --json` as an SVG chart: one panel per measure
 * (deliveries per second, latency, logins per second, memory per user), one
 * row per workload, nanochat's bar beside Redis's at the median of the runs
 * with a whisker from the lowest run to the highest. Plain SVG text, no
 * dependencies, the same bytes for the same input.
 *
 * @module
 */

import type { IdleResult } from "./driver.ts";
import type { BenchReport, WorkloadResult } from "./report.ts";

/** The median and the range of a figure over the runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One row of a panel: a figure for each server. */
export interface ChartRow {
  label: string;
  nanochat: Spread;
  redis: Spread;
}

/** One measure, with a scale of its own. */
export interface ChartPanel {
  title: string;
  /** Appended to each value: `ms`, `KiB`, or nothing. */
  unit: string;
  rows: ChartRow[];
}

const COLOURS = { nanochat: "#2f6fdf", redis: "#d9452b" } as const;
const WIDTH = 850;
const LABEL_WIDTH = 330;
const BAR_WIDTH = 380;
const LEGEND_X = 620;
const BAR_HEIGHT = 13;
const ROW_GAP = 12;
const PANEL_GAP = 26;

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? 0,
    min: sorted[0] ?? 0,
    max: sorted.at(-1) ?? 0,
  };
}

/**
 * The panels a report makes: each workload lands in the panel of its measure.
 *
 * @param report What `deno task bench --json` printed.
 * @returns The panels that have rows, in a fixed order.
 */
export function chartPanels(report: BenchReport): ChartPanel[] {
  const throughput: ChartPanel = { title: "Deliveries per second, burst", unit: "", rows: [] };
  const latency: ChartPanel = { title: "Latency, open loop", unit: "ms", rows: [] };
  const logins: ChartPanel = { title: "Logins per second", unit: "", rows: [] };
  const memory: ChartPanel = { title: "Server memory per idle user", unit: "KiB", rows: [] };
  for (const workload of report.workloads) {
    const label = `(${workload.id}) ${workload.title}`;
    const row = (pick: (result: WorkloadResult) => number, suffix = ""): ChartRow => ({
      label: label + suffix,
      nanochat: spread(workload.results.nanochat.map(pick)),
      redis: spread(workload.results.redis.map(pick)),
    });
    const first = workload.results.nanochat[0] ?? workload.results.redis[0];
    if (first === undefined) continue;
    if ("perUserKiB" in first) {
      const idle = (result: WorkloadResult) => result as IdleResult;
      memory.rows.push(row((result) => idle(result).perUserKiB, ": fresh"));
      if (idle(first).perUserAtRestKiB !== undefined) {
        memory.rows.push(
          row(
            (result) => idle(result).perUserAtRestKiB ?? NaN,
            `: ${idle(first).restSeconds} s later`,
          ),
        );
      }
    } else if (!("mode" in first)) {
      logins.rows.push(row((result) => result.loginsPerSecond));
    } else if (first.mode === "rate") {
      const ms = (result: WorkloadResult) =>
        (result as { latencyMs: { p50: number; p99: number } })
          .latencyMs;
      latency.rows.push(row((result) => ms(result).p50, ": p50"));
      latency.rows.push(row((result) => ms(result).p99, ": p99"));
    } else {
      throughput.rows.push(
        row((result) => (result as { deliveriesPerSecond: number }).deliveriesPerSecond),
      );
    }
  }
  return [throughput, latency, logins, memory].filter((panel) => panel.rows.length > 0);
}

/**
 * A value as the chart writes it: `1.65 M`, `12,345`, `12.4 ms`.
 *
 * @param value The figure.
 * @param unit Its unit, or `""`.
 * @returns Short text.
 */
export function formatValue(value: number, unit: string): string {
  const number = value >= 1e6
    ? `${(value / 1e6).toFixed(2)} M`
    : value >= 1000
    ? Math.round(value).toLocaleString("en")
    : value.toFixed(1);
  return unit === "" ? number : `${number} ${unit}`;
}

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/**
 * Draws panels as an SVG document.
 *
 * @param panels What to draw, from {@linkcode chartPanels}.
 * @param caption A line under the title: when, what, how many runs.
 * @returns The SVG text, ending with a line break.
 */
export function renderChart(panels: readonly ChartPanel[], caption: string): string {
  const body: string[] = [];
  let y = 58;
  for (const panel of panels) {
    body.push(
      `<text x="10" y="${y}" class="panel">${escape(panel.title)}</text>`,
    );
    y += 10;
    const scale = Math.max(
      ...panel.rows.flatMap((row) => [row.nanochat.max, row.redis.max]).filter(Number.isFinite),
      0,
    );
    // A figure that is missing (NaN) or below zero (memory given back) draws no bar.
    const length = (value: number) => scale > 0 && value > 0 ? (value / scale) * BAR_WIDTH : 0;
    for (const row of panel.rows) {
      body.push(
        `<text x="10" y="${y + BAR_HEIGHT + 4}" class="label">${escape(row.label)}</text>`,
      );
      for (const server of ["nanochat", "redis"] as const) {
        const figure = row[server];
        const top = y + (server === "redis" ? BAR_HEIGHT + 2 : 0);
        const middle = top + BAR_HEIGHT / 2;
        const low = LABEL_WIDTH + length(figure.min);
        const high = LABEL_WIDTH + length(figure.max);
        body.push(
          `<rect x="${LABEL_WIDTH}" y="${top}" width="${
            round(length(figure.median))
          }" height="${BAR_HEIGHT}" fill="${COLOURS[server]}"><title>${server}: ${
            escape(formatValue(figure.median, panel.unit))
          } [${escape(formatValue(figure.min, panel.unit))}–${
            escape(formatValue(figure.max, panel.unit))
          }]</title></rect>`,
          `<path d="M${round(low)} ${middle}H${round(high)}M${round(low)} ${top + 3}V${
            top + BAR_HEIGHT - 3
          }M${round(high)} ${top + 3}V${top + BAR_HEIGHT - 3}" class="range"/>`,
          `<text x="${round(high + 6)}" y="${top + BAR_HEIGHT - 2}" class="value">${
            escape(formatValue(figure.median, panel.unit))
          }</text>`,
        );
      }
      y += 2 * BAR_HEIGHT + 2 + ROW_GAP;
    }
    y += PANEL_GAP;
  }
  const height = y - PANEL_GAP + 10;
  return [
    // Generated: deno fmt would otherwise reflow it and fail `deno fmt --check`.
    "<!-- deno-fmt-ignore-file -->",
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<style>.panel{font-size:14px;font-weight:bold}.label{font-size:12px}.value{font-size:11px}.range{stroke:#222;stroke-width:1;fill:none}</style>`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" class="panel">nanochat and Redis, median of the runs, whiskers from the lowest to the highest</text>`,
    `<text x="10" y="36" class="label">${escape(caption)}</text>`,
    `<rect x="${LEGEND_X}" y="26" width="12" height="12" fill="${COLOURS.nanochat}"/>`,
    `<text x="${LEGEND_X + 16}" y="36" class="label">nanochat</text>`,
    `<rect x="${LEGEND_X + 90}" y="26" width="12" height="12" fill="${COLOURS.redis}"/>`,
    `<text x="${LEGEND_X + 106}" y="36" class="label">redis-server</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/**
 * Draws a whole report.
 *
 * @param report What `deno task bench --json` printed.
 * @returns The SVG text.
 */
export function renderReport(report: BenchReport): string {
  return renderChart(
    chartPanels(report),
    `${report.date.slice(0, 10)}, Deno ${report.deno}, ${report.runs} run(s) per server, ` +
      `load from ${report.workers} thread(s)`,
  );
}
