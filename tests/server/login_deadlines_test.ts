import assert from "@nanochat/assert";
import { LoginDeadlines } from "../../server/login_deadlines.ts";

/** Deadlines on a clock the test moves; the timer is real, so each wait is short. */
function deadlines(timeoutMs: number) {
  const clock = { now: 0 };
  const expired: string[] = [];
  let onExpired: (() => void) | undefined;
  const set = new LoginDeadlines<string>(timeoutMs, (item) => {
    expired.push(item);
    onExpired?.();
  }, () => clock.now);
  const nextExpiry = () => new Promise<void>((resolve) => onExpired = resolve);
  return { set, clock, expired, nextExpiry };
}

Deno.test("LoginDeadlines expires what stayed its time, oldest first, and not what left", async () => {
  const { set, clock, expired, nextExpiry } = deadlines(20);
  set.add("first");
  set.add("gone");
  set.add("second");
  set.add("first"); // added twice: keeps its first deadline
  set.delete("gone");
  clock.now = 20;
  await nextExpiry(); // one sweep expires both: they were due together
  assert.deepEqual(expired, ["first", "second"]);
  assert.equal(set.size, 0);
});

Deno.test("LoginDeadlines waits again for an item whose deadline has not come", async () => {
  const { set, clock, expired, nextExpiry } = deadlines(20);
  set.add("early");
  clock.now = 15;
  set.add("late"); // due at 35
  clock.now = 20;
  await nextExpiry();
  assert.deepEqual(expired, ["early"]);
  assert.equal(set.size, 1, "the late one is still in time at 20");
  clock.now = 35;
  await nextExpiry();
  assert.deepEqual(expired, ["early", "late"]);
});

// The test sanitizer fails a test that ends with a timer pending: these two end right after.
Deno.test("LoginDeadlines holds no timer once the last item left", () => {
  const { set } = deadlines(60_000);
  set.add("logged-in");
  set.delete("logged-in");
  assert.equal(set.size, 0);
});

Deno.test("LoginDeadlines holds no timer after close, and takes nothing more", () => {
  const { set, expired } = deadlines(60_000);
  set.add("left-at-shutdown");
  set.close();
  set.add("after-close");
  assert.equal(set.size, 0);
  assert.deepEqual(expired, []);
});

Deno.test("LoginDeadlines times an item added while another expires", async () => {
  const clock = { now: 0 };
  const expired: string[] = [];
  let onExpired: (() => void) | undefined;
  const set = new LoginDeadlines<string>(20, (item) => {
    expired.push(item);
    if (item === "first") set.add("added-meanwhile"); // due at 40
    onExpired?.();
  }, () => clock.now);
  set.add("first");
  clock.now = 20;
  await new Promise<void>((resolve) => onExpired = resolve);
  assert.equal(set.size, 1);
  clock.now = 40;
  await new Promise<void>((resolve) => onExpired = resolve);
  assert.deepEqual(expired, ["first", "added-meanwhile"]);
  assert.equal(set.size, 0);
});
