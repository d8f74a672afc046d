/**
 * The shape of `deno task bench --json`: every raw result of every run, by
 * workload and server, for the table in BENCHMARKS.md and the chart
 * ({@linkcode ./chart.ts}).
 *
 * @module
 */

import type { BenchResult, IdleResult, LoginResult } from "./driver.ts";
import type { BenchProtocolName } from "./wire.ts";

/** One run of one workload against one server. */
export type WorkloadResult = BenchResult | IdleResult | LoginResult;

/** Everything one `deno task bench` measured. */
export interface BenchReport {
  /** When it ran, ISO 8601. */
  date: string;
  /** Deno's version. */
  deno: string;
  /** Threads the load tester drove the connections from. */
  workers: number;
  /** Runs of each workload against each server. */
  runs: number;
  workloads: {
    /** `a`, `b`, `c`, `c50`, `d`, `e` or `l`. */
    id: string;
    title: string;
    results: Record<BenchProtocolName, WorkloadResult[]>;
  }[];
}
