import assert from "@nanochat/assert";
import { PasswordGate } from "../../server/accounts/password_gate.ts";

Deno.test("PasswordGate runs a few at once, queues a bounded number, and refuses the rest", async () => {
  const gate = new PasswordGate(2, 3);
  let running = 0;
  let most = 0;
  const releases: (() => void)[] = [];
  const work = () =>
    new Promise<number>((resolve) => {
      running++;
      most = Math.max(most, running);
      releases.push(() => {
        running--;
        resolve(running);
      });
    });
  const accepted = Array.from({ length: 5 }, () => gate.run(work));
  assert.ok(accepted.every((promise) => promise !== undefined), "2 running and 3 waiting");
  assert.equal(gate.run(work), undefined, "the sixth is refused at once");
  for (let done = 0; done < 5; done++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    releases.shift()!();
  }
  await Promise.all(accepted);
  assert.equal(most, 2, "never more than two at once");
  assert.ok(gate.run(work) !== undefined, "room again once the queue drained");
  await new Promise((resolve) => setTimeout(resolve, 0));
  releases.shift()!();
});
