/**
 * CPU time of the load tester and of the server it drives, so a report can
 * show whether the tester had a core to spare.
 *
 * @module
 */

import process from "node:process";

/** Clock ticks per second in /proc/PID/stat (`getconf CLK_TCK`; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) used so far by this process, all its threads included. */
export function testerCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * CPU seconds (user + system) used so far by another process (Linux).
 *
 * @param pid The process.
 * @returns Seconds, at a resolution of 10 ms.
 */
export async function processCpuSeconds(pid: number): Promise<number> {
  // Deno wants --allow-all to read /proc itself; cat needs only --allow-run.
  const output = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`], stderr: "null" })
    .output();
  const text = new TextDecoder().decode(output.stdout);
  // The name (field 2) may hold spaces and parentheses: count from the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const user = Number(fields[11]); // field 14, utime
  const system = Number(fields[12]); // field 15, stime
  if (!output.success || !Number.isFinite(user) || !Number.isFinite(system)) {
    throw new Error(`Cannot read the CPU time of process ${pid} (Linux /proc only)`);
  }
  return (user + system) / TICKS_PER_SECOND;
}

/** CPU used over a stretch of wall time. */
export interface CpuShare {
  /** Wall-clock seconds measured over. */
  seconds: number;
  /** The load tester's CPU seconds, all threads. */
  testerSeconds: number;
  /** The server's CPU seconds, when its pid was known. */
  serverSeconds?: number;
}

/**
 * Starts measuring; the returned function ends the measurement.
 *
 * @param pid The server's process, if known.
 * @returns A function that returns what was used since.
 */
export async function measureCpu(pid?: number): Promise<() => Promise<CpuShare>> {
  const server = pid === undefined ? undefined : await processCpuSeconds(pid);
  const tester = testerCpuSeconds();
  const started = performance.now();
  return async () => {
    const share: CpuShare = {
      seconds: (performance.now() - started) / 1000,
      testerSeconds: testerCpuSeconds() - tester,
    };
    if (pid !== undefined) share.serverSeconds = await processCpuSeconds(pid) - server!;
    return share;
  };
}
