import assert from "@nanochat/assert";
import { TestClient } from "../support/test_client.ts";
import { startServer } from "../support/test_server.ts";

/** Parses the Prometheus text format into `name{labels}` → value. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = line.match(/^([a-z_]+(?:\{[^}]*\})?) (\S+)$/);
    assert.ok(match, `a sample line: ${line}`);
    samples.set(match![1]!, Number(match![2]));
  }
  return samples;
}

async function scrape(port: number, path: string): Promise<Response> {
  return await fetch(`http://127.0.0.1:${port}${path}`);
}

const byteLength = (lines: string[]) =>
  lines.reduce((total, line) => total + new TextEncoder().encode(line + "\n").length, 0);

Deno.test("/metrics counts exactly the traffic a test sent", async () => {
  await using ts = await startServer({
    metrics: { hostname: "127.0.0.1", port: 0 },
    maxConnectionsPerIp: 2,
  });
  const metricsPort = ts.server.metricsAddress!.port;
  const received: string[] = [];
  const sent: string[] = [];

  await using alice = await TestClient.login(ts.port, "alice");
  sent.push("alice");
  received.push(await alice.readLine()); // welcome
  await using bob = await TestClient.login(ts.port, "bob");
  sent.push("bob");
  received.push(await bob.readLine(), await alice.readLine()); // welcome, join
  await using refused = await TestClient.connect(ts.port);
  assert.match((await refused.readUntilClosed())[0]!, /^ERROR too-many-connections: /);

  for (const line of ["*one", "*two", "*three"]) {
    await alice.send(line);
    sent.push(line);
  }
  await bob.send("*four");
  sent.push("*four");
  received.push(...await bob.readLines(3), await alice.readLine());

  const response = await scrape(metricsPort, "/metrics");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const metrics = parseMetrics(await response.text());
  assert.equal(metrics.get("nanochat_users_online"), 2);
  assert.equal(metrics.get("nanochat_connections_open"), 2);
  assert.equal(metrics.get("nanochat_connections_accepted_total"), 3);
  assert.equal(
    metrics.get('nanochat_connections_rejected_total{reason="too-many-connections"}'),
    1,
  );
  assert.equal(metrics.get("nanochat_lines_received_total"), 4, "four lines after the logins");
  assert.equal(metrics.get("nanochat_lines_sent_total"), received.length);
  assert.equal(metrics.get("nanochat_bytes_received_total"), byteLength(sent));
  assert.equal(metrics.get("nanochat_bytes_sent_total"), byteLength(received));
  assert.ok(metrics.get("nanochat_outbox_high_water_bytes")! > 0);
  assert.ok(metrics.has("nanochat_event_loop_lag_seconds"));

  await alice.send("QUIT");
  await alice.readUntilClosed();
  await ts.waitForLog(/disconnect .*name=alice reason=quit/);
  const after = parseMetrics(await (await scrape(metricsPort, "/metrics")).text());
  assert.equal(after.get("nanochat_users_online"), 1);
  assert.equal(after.get('nanochat_disconnects_total{reason="quit"}'), 1);
});

Deno.test("/healthz answers ok, and other paths 404", async () => {
  await using ts = await startServer({ metrics: { hostname: "127.0.0.1", port: 0 } });
  const port = ts.server.metricsAddress!.port;
  const health = await scrape(port, "/healthz");
  assert.equal(health.status, 200);
  assert.equal(await health.text(), "ok\n");
  const missing = await scrape(port, "/nope");
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const post = await fetch(`http://127.0.0.1:${port}/metrics`, { method: "POST" });
  assert.equal(post.status, 405);
  await post.body?.cancel();
});

Deno.test("the metrics endpoint is off unless asked for", async () => {
  await using ts = await startServer();
  assert.equal(ts.server.metricsAddress, undefined);
});

Deno.test("/metrics counts rooms and their sizes in a histogram, with no label per room", async () => {
  await using ts = await startServer({ metrics: { hostname: "127.0.0.1", port: 0 } });
  await using alice = await ts.login("alice");
  await using bob = await ts.login("bob");
  for (const [client, room] of [[alice, "#a"], [bob, "#a"], [bob, "#b"]] as const) {
    await client.send(`JOIN ${room}`);
    await client.readLine();
  }
  const text = await (await scrape(ts.server.metricsAddress!.port, "/metrics")).text();
  const metrics = parseMetrics(text);
  assert.equal(metrics.get("nanochat_rooms_open"), 3);
  assert.equal(metrics.get('nanochat_room_members_bucket{le="1"}'), 1);
  assert.equal(metrics.get('nanochat_room_members_bucket{le="2"}'), 3);
  assert.equal(metrics.get('nanochat_room_members_bucket{le="+Inf"}'), 3);
  assert.equal(metrics.get("nanochat_room_members_sum"), 5);
  assert.ok(!text.includes("#a"), "no room names in the metrics");
});
