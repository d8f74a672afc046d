import assert from "@nanochat/assert";
import { FlushScheduler } from "../../transport/flush_scheduler.ts";

Deno.test("FlushScheduler runs a quiet server's flushes at the end of the task", async () => {
  const scheduler = new FlushScheduler(50);
  const ran: string[] = [];
  scheduler.schedule(() => ran.push("a"));
  scheduler.schedule(() => ran.push("b"));
  assert.deepEqual(ran, []);
  await Promise.resolve();
  assert.deepEqual(ran, ["a", "b"]);
  scheduler.close();
});

Deno.test("FlushScheduler runs a busy server's flushes at most once per interval", async () => {
  const scheduler = new FlushScheduler(30);
  const times: number[] = [];
  scheduler.schedule(() => times.push(performance.now()));
  await Promise.resolve();
  const { promise, resolve } = Promise.withResolvers<void>();
  scheduler.schedule(() => {
    times.push(performance.now());
    resolve();
  });
  await promise;
  assert.ok(times[1]! - times[0]! >= 25, `the second round waited (${times[1]! - times[0]!} ms)`);
  scheduler.close();
});

Deno.test("FlushScheduler.close() runs what is pending and leaves no timer", () => {
  const scheduler = new FlushScheduler(1000);
  let ran = 0;
  scheduler.schedule(() => ran++);
  scheduler.close(); // the first round is a microtask: it runs now
  scheduler.schedule(() => ran++);
  scheduler.close();
  assert.equal(ran, 2);
});
