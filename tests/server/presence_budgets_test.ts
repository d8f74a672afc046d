import assert from "node:assert/strict";
import { PresenceBudgets } from "../../server/presence_budgets.ts";

Deno.test("PresenceBudgets allows a burst of 100 notices per room, then 10 a second", () => {
  let now = 0;
  const budgets = new PresenceBudgets(() => now);
  for (let i = 0; i < 100; i++) assert.equal(budgets.allowed("#lobby"), true, `notice ${i}`);
  assert.equal(budgets.allowed("#lobby"), false, "the burst is spent");
  assert.equal(budgets.allowed("#other"), true, "each room has its own");
  now += 1_000;
  for (let i = 0; i < 10; i++) assert.equal(budgets.allowed("#lobby"), true, `refilled ${i}`);
  assert.equal(budgets.allowed("#lobby"), false);
});

Deno.test("PresenceBudgets gives a forgotten room a full budget again", () => {
  const budgets = new PresenceBudgets(() => 0);
  for (let i = 0; i < 100; i++) budgets.allowed("#lobby");
  assert.equal(budgets.allowed("#lobby"), false);
  budgets.forget("#lobby");
  assert.equal(budgets.allowed("#lobby"), true);
});
