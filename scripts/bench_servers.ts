/**
 * What the bench scripts share: the flags that raise nanochat's protections
 * for a load test, and finding and waiting for loopback ports.
 *
 * @module
 */

/**
 * nanochat's protections raised for the load test: many fast clients from
 * one address, no flood control, no idle timeout, no history.
 */
export const NANOCHAT_BENCH_FLAGS: readonly string[] = [
  "--rate",
  "0",
  "--max-per-ip",
  "100000",
  "--max-new-per-ip",
  "0",
  "--max-connections",
  "20000",
  "--idle-timeout",
  "0",
  "--history",
  "0",
];

/** redis-server on a loopback port, keeping nothing on disk: the bench's yardstick. */
export function redisServerArgs(port: number): string[] {
  return [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--maxclients",
    "20000",
  ];
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Starts a program with its output discarded (the bench's servers). */
export function spawnQuiet(command: string, args: readonly string[]): Deno.ChildProcess {
  return new Deno.Command(command, { args: [...args], stdout: "null", stderr: "null" }).spawn();
}

/**
 * The `deno` arguments that run `nanochat serve` from source on a loopback
 * port, in memory, with the protections raised for the load test.
 */
export function nanochatServeArgs(port: number, extra: readonly string[] = []): string[] {
  return [
    "run",
    "--allow-net",
    MAIN,
    "serve",
    `127.0.0.1:${port}`,
    "--in-memory",
    ...NANOCHAT_BENCH_FLAGS,
    ...extra,
  ];
}

/** A loopback port free right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** Waits until something accepts on a loopback port (at most about 10 s). */
export async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (error) {
      if (attempt > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
