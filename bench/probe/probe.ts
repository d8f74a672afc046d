/**
 * The compiled latency probe (`latency_probe.c`) from Deno: compile it,
 * run it once, read its result. See `scripts/bench_probe.ts`.
 *
 * @module
 */

const SOURCE = new URL("./latency_probe.c", import.meta.url).pathname;

/** What the probe prints, one JSON line per run. */
export interface ProbeResult {
  expected: number;
  deliveries: number;
  lost: number;
  duplicated: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** The probe's own CPU time while it sent and read, in milliseconds. */
  cpu_ms: number;
}

/** A workload: receivers, senders, messages per second. */
export interface ProbeLoad {
  readonly receivers: number;
  readonly senders: number;
  readonly rate: number;
  readonly seconds: number;
}

/**
 * Compiles the probe into a temporary directory.
 *
 * @returns The executable's path.
 * @throws {Error} When there is no C compiler, or it fails.
 */
export async function compileProbe(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "nanochat-probe-" });
  const binary = `${dir}/latency_probe`;
  const { success, stderr } = await new Deno.Command("cc", {
    args: ["-O2", "-Wall", "-Wextra", "-o", binary, SOURCE],
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`cc failed:\n${new TextDecoder().decode(stderr)}`);
  return binary;
}

/**
 * Runs the probe once against a server on a loopback port (or several
 * ports, which the connections take in turn: a cluster's nodes).
 *
 * @throws {Error} With the probe's message, when it fails.
 */
export async function runProbe(
  binary: string,
  protocol: "nanochat" | "redis",
  port: number | readonly number[],
  load: ProbeLoad,
): Promise<ProbeResult> {
  const { success, stdout, stderr } = await new Deno.Command(binary, {
    args: [
      protocol,
      [port].flat().join(","),
      String(load.receivers),
      String(load.senders),
      String(load.rate),
      String(load.seconds),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!success) throw new Error(`the probe failed: ${decoder.decode(stderr).trim()}`);
  return JSON.parse(decoder.decode(stdout)) as ProbeResult;
}
