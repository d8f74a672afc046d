/**
 * The server's log on stderr: lines wait for the end of the event loop's
 * turn and go out together, but none is lost, whatever ends the process.
 * Each case is a real subprocess whose stderr is read whole.
 */
import assert from "@nanochat/assert";

const LOG_MODULE = new URL("../../server/log.ts", import.meta.url).href;

/** Runs a script that logs through the default sink; its stderr and exit code. */
async function runLogging(script: string): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `import { Logger, flushLog } from "${LOG_MODULE}"; ${script}`],
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test("log lines of one turn reach stderr in order, and at exit", async () => {
  const { code, stderr } = await runLogging(
    `const log = new Logger(); for (let i = 0; i < 3; i++) log.event("tick", { i });`,
  );
  assert.equal(code, 0);
  assert.deepEqual(stderr.split("\n").filter(Boolean).map((line) => line.split(" ").slice(1)), [
    ["tick", "i=0"],
    ["tick", "i=1"],
    ["tick", "i=2"],
  ]);
});

Deno.test("log lines are written before an uncaught error ends the process", async () => {
  const { code, stderr } = await runLogging(
    `new Logger().event("before-the-crash"); queueMicrotask(() => { throw new Error("boom"); });`,
  );
  assert.notEqual(code, 0);
  assert.match(stderr, /before-the-crash[\s\S]*boom/);
});

Deno.test("flushLog() writes what is held before other output", async () => {
  const { stderr } = await runLogging(
    `new Logger().event("first"); flushLog(); console.error("second");`,
  );
  assert.match(stderr, /first\nsecond\n$/);
});
