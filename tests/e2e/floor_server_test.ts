/**
 * The runtime's floor (`bench/floor_server.ts`), over both socket APIs: it
 * must serve the bench's workloads as nanochat does (a welcome, broadcasts
 * without echo, every delivery once), or comparing nanochat with it would
 * mean nothing.
 */
import assert from "@nanochat/assert";
import { compileProbe, runProbe } from "../../bench/probe/probe.ts";
import { TestClient } from "../support/test_client.ts";

const FLOOR_SERVER = new URL("../../bench/floor_server.ts", import.meta.url).pathname;
const binary = await compileProbe();

/** Starts the floor server on a free loopback port, with the given socket API. */
async function startFloor(api: "deno" | "node"): Promise<{ port: number } & AsyncDisposable> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", FLOOR_SERVER, String(port), api],
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  // Waits for the listener (bounded: about 10 s, or until the server exits).
  for (let attempt = 0;; attempt++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch (error) {
      if (attempt === 100 || exited) {
        if (!exited) child.kill("SIGTERM");
        await status;
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    port,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await status;
    },
  };
}

for (const api of ["deno", "node"] as const) {
  Deno.test(`the ${api} floor server welcomes, broadcasts to the others and echoes nothing`, async () => {
    await using floor = await startFloor(api);
    await using alice = await TestClient.login(floor.port, "alice");
    assert.equal(await alice.readLine(), "NOTICE welcome: alice");
    await using bob = await TestClient.login(floor.port, "bob");
    assert.equal(await bob.readLine(), "NOTICE welcome: bob");
    await alice.send("*hello\r");
    assert.equal(await bob.readLine(), "[alice]: hello");
    await bob.send("*hi");
    // Alice's next line is Bob's: her own came back to nobody.
    assert.equal(await alice.readLine(), "[bob]: hi");
  });

  Deno.test(`the latency probe counts every delivery from the ${api} floor server once`, async () => {
    await using floor = await startFloor(api);
    const result = await runProbe(binary, "nanochat", floor.port, {
      receivers: 20,
      senders: 2,
      rate: 100,
      seconds: 1,
    });
    assert.equal(result.deliveries, 20 * 100);
    assert.deepEqual([result.lost, result.duplicated], [0, 0]);
  });
}
