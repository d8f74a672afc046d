import assert from "@nanochat/assert";
import { addressKey, AddressList, ConnectionLimits } from "../../server/connection_limits.ts";

function withClock(options: Partial<ConstructorParameters<typeof ConnectionLimits>[0]> = {}) {
  const clock = { now: 0 };
  const limits = new ConnectionLimits({
    maxConnections: 100,
    maxPerAddress: 2,
    maxNewPerAddress: 3,
    newWindowMs: 60_000,
    now: () => clock.now,
    ...options,
  });
  return { limits, clock };
}

Deno.test("ConnectionLimits holds an address to its concurrent limit and frees a place on release", () => {
  const { limits } = withClock({ maxNewPerAddress: 0 });
  const first = limits.admit("192.0.2.1");
  const second = limits.admit("192.0.2.1");
  if (!first.admitted || !second.admitted) throw new Error("the first two are admitted");
  assert.deepEqual(limits.admit("192.0.2.1"), {
    admitted: false,
    refusal: "too-many-connections",
    retrySeconds: 0,
  });
  first.slot.release();
  first.slot.release(); // twice changes nothing
  assert.ok(limits.admit("192.0.2.1").admitted);
  assert.equal(limits.admit("192.0.2.1").admitted, false);
  assert.equal(limits.open, 2);
});

Deno.test("ConnectionLimits refuses new connections past the window's allowance until it refills", () => {
  const { limits, clock } = withClock({ maxPerAddress: 100 });
  for (let i = 0; i < 3; i++) {
    const admission = limits.admit("192.0.2.1");
    if (!admission.admitted) throw new Error(`connection ${i} was refused`);
    admission.slot.release();
  }
  assert.deepEqual(limits.admit("192.0.2.1"), {
    admitted: false,
    refusal: "too-many-new-connections",
    retrySeconds: 20,
  });
  assert.ok(limits.admit("192.0.2.2").admitted, "another address has its own allowance");
  clock.now = 20_000;
  assert.ok(limits.admit("192.0.2.1").admitted);
  assert.equal(limits.admit("192.0.2.1").admitted, false);
});

Deno.test("ConnectionLimits counts an IPv6 /64 as one address, and IPv4-mapped as IPv4", () => {
  const { limits } = withClock({ maxNewPerAddress: 0 });
  assert.ok(limits.admit("2001:db8:0:1::1").admitted);
  assert.ok(limits.admit("2001:db8:0:1:ffff:ffff:ffff:ffff").admitted);
  assert.equal(limits.admit("2001:db8:0:1::abcd").admitted, false);
  assert.ok(limits.admit("2001:db8:0:2::1").admitted, "the next /64 is another address");
  assert.ok(limits.admit("192.0.2.9").admitted);
  assert.ok(limits.admit("::ffff:192.0.2.9").admitted);
  assert.equal(limits.admit("192.0.2.9").admitted, false);
});

Deno.test("ConnectionLimits caps the total, exempt addresses included", () => {
  const { limits } = withClock({
    maxConnections: 3,
    maxNewPerAddress: 0,
    exempt: new AddressList("127.0.0.0/8"),
  });
  for (let i = 0; i < 3; i++) {
    assert.ok(limits.admit("127.0.0.1").admitted, "exempt from per-address");
  }
  assert.deepEqual(limits.admit("192.0.2.1"), {
    admitted: false,
    refusal: "server-full",
    retrySeconds: 0,
  });
});

Deno.test("addressKey() groups IPv6 by /64 in one spelling", () => {
  const cases: [string, string][] = [
    ["203.0.113.5", "203.0.113.5"],
    ["::1", "0:0:0:0::/64"],
    ["2001:DB8:a:b:1:2:3:4", "2001:db8:a:b::/64"],
    ["2001:db8:a:b::", "2001:db8:a:b::/64"],
    ["::ffff:203.0.113.5", "203.0.113.5"],
  ];
  for (const [ip, key] of cases) assert.equal(addressKey(ip), key, ip);
});

Deno.test("AddressList matches addresses and CIDR ranges and refuses what does not parse", () => {
  const list = new AddressList("10.0.0.0/8, 192.0.2.7, 2001:db8::/32");
  assert.ok(list.includes("10.1.2.3"));
  assert.ok(list.includes("192.0.2.7"));
  assert.ok(!list.includes("192.0.2.8"));
  assert.ok(list.includes("2001:db8:ffff::1"));
  assert.ok(!list.includes("2001:db9::1"));
  for (const bad of ["10.0.0.0/33", "example.com", "10.0.0.0/8/1", "2001:db8::/129", "1.2.3"]) {
    assert.throws(() => new AddressList(bad), SyntaxError, bad);
  }
});
