/**
 * `deno task compile`: builds the single-file `nanochat` binary with
 * `deno compile`, granting it exactly the permissions the program uses:
 *
 * ```sh
 * deno task compile                  # dist/nanochat, for this machine
 * deno task compile:all              # dist/nanochat-TARGET for every release target
 * deno task compile TARGET…          # only those targets (one per release runner)
 * deno task compile --out-dir DIR …  # into DIR instead of dist
 * ```
 *
 * Windows binaries end in `.exe`.
 *
 * @module
 */

import { parseArgs } from "@nanochat/args";

/** The targets a release ships, as `deno compile --target` names them. */
export const TARGETS: readonly string[] = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/**
 * What the binary may do: the network (serve, connect, bench), read files (the
 * TLS certificate, key and CA named on the command line), write files (the
 * server's database, wherever `--data` puts it) and read `NANOCHAT_*`
 * variables (configuration) and `TERM` (no colour on a dumb terminal). It
 * never prompts for more.
 */
export const PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env=NANOCHAT_*,TERM",
  "--no-prompt",
];

/**
 * Compiles `main.ts` into `outDir`.
 *
 * @param outDir The directory to write into.
 * @param target A name from {@linkcode TARGETS}; none builds
 *   `nanochat` for this machine.
 * @returns Whether `deno compile` succeeded.
 */
export async function compile(outDir: string, target?: string): Promise<boolean> {
  // The load tester's worker threads load this module by URL, which the
  // module graph does not see: it must be embedded by name.
  const args = ["compile", ...PERMISSIONS, "--include", "bench/load_worker.ts"];
  if (target === undefined) {
    args.push("--output", `${outDir}/nanochat`);
  } else {
    const exe = target.includes("windows") ? ".exe" : "";
    args.push("--target", target, "--output", `${outDir}/nanochat-${target}${exe}`);
  }
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: [...args, "main.ts"],
    cwd: new URL("..", import.meta.url),
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return success;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { all: { type: "boolean", default: false }, "out-dir": { type: "string" } },
  });
  const unknown = positionals.filter((target: string) => !TARGETS.includes(target));
  if (unknown.length > 0) {
    // deno-lint-ignore no-console -- a usage error for the person running the task
    console.error(`Unknown target ${unknown.join(", ")}; the targets are ${TARGETS.join(", ")}`);
    Deno.exit(2);
  }
  const outDir = values["out-dir"] ?? "dist";
  const targets = values.all ? TARGETS : positionals;
  if (targets.length === 0) {
    if (!await compile(outDir)) Deno.exit(1);
  }
  for (const target of targets) {
    if (!await compile(outDir, target)) Deno.exit(1);
  }
}
