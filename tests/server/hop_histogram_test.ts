import assert from "@nanochat/assert";
import { HOP_BUCKETS_SECONDS, HopHistogram } from "../../server/cluster/hop_histogram.ts";
import { Metrics } from "../../server/metrics.ts";

Deno.test("HopHistogram counts each hop in the first bucket it fits, cumulatively, with sum and count", () => {
  const hops = new HopHistogram();
  for (const ms of [0.1, 0.25, 0.4, 0.9, 3, 2_000]) hops.observe(ms);
  const { buckets, sumSeconds, count } = hops.snapshot();
  assert.equal(buckets.length, HOP_BUCKETS_SECONDS.length + 1);
  assert.deepEqual(buckets.slice(0, 5), [[0.00025, 2], [0.0005, 3], [0.001, 4], [0.002, 4], [
    0.005,
    5,
  ]]);
  assert.deepEqual(buckets.at(-2), [1, 5]);
  assert.deepEqual(buckets.at(-1), [Infinity, 6]);
  assert.equal(count, 6);
  assert.ok(Math.abs(sumSeconds - 2.00465) < 1e-9);
});

Deno.test("the hop histogram is rendered in the Prometheus format, in a cluster only", () => {
  const hops = new HopHistogram();
  hops.observe(0.3);
  const cluster = { node: "n1", safe: true, hop: hops.snapshot() };
  const text = new Metrics().render({ usersOnline: 0, connectionsOpen: 0, cluster });
  assert.match(text, /^# TYPE nanochat_cluster_hop_seconds histogram$/m);
  assert.match(text, /^nanochat_cluster_hop_seconds_bucket\{le="0.00025"\} 0$/m);
  assert.match(text, /^nanochat_cluster_hop_seconds_bucket\{le="0.0005"\} 1$/m);
  assert.match(text, /^nanochat_cluster_hop_seconds_bucket\{le="\+Inf"\} 1$/m);
  assert.match(text, /^nanochat_cluster_hop_seconds_count 1$/m);
  const alone = new Metrics().render({ usersOnline: 0, connectionsOpen: 0 });
  assert.doesNotMatch(alone, /cluster_hop/);
});
