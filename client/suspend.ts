/**
 * Ctrl-Z for the interactive client. The editor reads keys in raw mode, so
 * the terminal turns Ctrl-Z into a key rather than a stop: the client gives
 * the terminal back in its ordinary mode and stops the job itself, as the
 * terminal would have.
 *
 * The terminal stops the whole foreground job, and so must the client: under
 * a wrapper (`deno task`, npx) stopping only this process leaves the wrapper
 * holding the terminal, with the shell waiting for it and nobody reading the
 * keyboard. And a wrapper may catch `SIGTSTP` to pass it on (`deno task`
 * does, and so never stops), so the job gets `SIGSTOP`, which no process can
 * catch. Signalling the job (`kill(0, …)`) takes Deno's run permission,
 * which the `connect` task grants for this alone; without it (the compiled
 * binary, which the shell runs as a job of its own) the client stops just
 * itself with `SIGTSTP`, which needs no permission.
 *
 * @module
 */

/**
 * Stops the job this process belongs to, as Ctrl-Z in a terminal's ordinary
 * mode does; returns once it has been continued (`fg`).
 */
export function stopJob(): void {
  const wholeJob = Deno.permissions.querySync({ name: "run" }).state === "granted";
  if (wholeJob) Deno.kill(0, "SIGSTOP");
  else Deno.kill(Deno.pid, "SIGTSTP");
}

/** Whether Ctrl-Z can stop the client here (not on Windows, which has no job control). */
export const canSuspend: boolean = Deno.build.os !== "windows";
