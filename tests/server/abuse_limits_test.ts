/**
 * The limits that keep one address, or many, from exhausting the server
 * (issue 16, findings 1 and 3). Connections come from many loopback
 * addresses: the whole of 127.0.0.0/8 is local.
 */
import assert from "@nanochat/assert";
import { ServerProcess } from "../support/cli_process.ts";
import { makeTestCerts, type TestCerts } from "../support/certs.ts";
import { connectFrom, type SourcedConn } from "../support/connect_from.ts";
import { LINE_TIMEOUT_MS, TestClient } from "../support/test_client.ts";
import { startServer } from "../support/test_server.ts";
import { Logger } from "../../server/log.ts";
import { type ListenAddress, serve } from "../../server/server.ts";

/** Resolves with what ended the read: the server closing or resetting the socket. */
async function closedByServer(conn: Pick<Deno.Conn, "read">): Promise<"closed"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error("the server kept the connection open")),
      LINE_TIMEOUT_MS,
    );
  });
  const read = (async () => {
    const buffer = new Uint8Array(1024);
    try {
      while (await conn.read(buffer) !== null) { /* a refusal line, then the end */ }
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
    }
    return "closed" as const;
  })();
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A TLS listening address on a free loopback port, with the test certificate. */
async function tlsAddress(certs: TestCerts): Promise<ListenAddress> {
  return {
    hostname: "127.0.0.1",
    port: 0,
    tls: {
      cert: await Deno.readTextFile(certs.leafCert),
      key: await Deno.readTextFile(certs.leafKey),
    },
  };
}

/** The flags of a TLS listener on an ephemeral loopback port, with the test certificates. */
function tlsListenArgs(certs: TestCerts): string[] {
  return ["--tls-listen", "127.0.0.1:0", "--tls-cert", certs.leafCert, "--tls-key", certs.leafKey];
}

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  return await response.text();
}

Deno.test({
  name: "a server short of file descriptors caps its connections and keeps answering /metrics",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using server = await ServerProcess.start(
      ["--metrics", "127.0.0.1:0", "--max-new-per-ip", "0"],
      { openFileLimit: 128, permissions: ["--allow-read=/dev/null"] },
    );
    const limits = await server.stderr.waitFor(/ limits max-connections=\d+ .*lowered=/);
    const max = Number(limits.match(/max-connections=(\d+)/)![1]);
    assert.ok(max > 0 && max < 128 - 64, limits);
    const metricsLine = await server.stderr.waitFor(/ metrics addr=/);
    const metricsPort = Number(metricsLine.match(/:(\d+)$/)![1]);
    const conns: SourcedConn[] = [];
    try {
      // 200 connections from 200 addresses: far more than 128 descriptors.
      for (let i = 0; i < 200; i++) conns.push(await connectFrom(server.port, `127.0.1.${i + 1}`));
      await server.stderr.waitFor(() =>
        server.stderr.lines.filter((line) => / reject .*reason=server-full/.test(line)).length ===
          200 - max
      );
      const metrics = await scrape(metricsPort);
      assert.match(metrics, new RegExp(`^nanochat_connections_open ${max}$`, "m"));
      assert.match(
        metrics,
        new RegExp(
          `^nanochat_connections_rejected_total\\{reason="server-full"\\} ${200 - max}$`,
          "m",
        ),
      );
      assert.match(await scrape(metricsPort), /nanochat_connections_open/, "a second scrape too");
      // Refusals in flight may briefly run the process out of descriptors: it pauses, never dies.
      assert.ok(!server.stderr.lines.some((line) => /Uncaught|panicked/.test(line)));
    } finally {
      for (const conn of conns) conn.close();
    }
  },
});

Deno.test("TLS connections that never handshake count against the per-address limit", async () => {
  await using certs = await makeTestCerts();
  const log: string[] = [];
  await using server = await serve({
    listen: [await tlsAddress(certs)],
    maxConnectionsPerIp: 2,
    maxNewConnectionsPerIp: 0,
    logger: new Logger((line) => log.push(line)),
  });
  const { port } = server.address;
  const held: SourcedConn[] = [];
  try {
    // Two take the address's places; sixteen more wait to be told why after a handshake.
    for (let i = 0; i < 18; i++) held.push(await connectFrom(port, "127.0.0.5"));
    const squatter = await connectFrom(port, "127.0.0.5");
    assert.equal(await closedByServer(squatter), "closed");
    squatter.close();
    // Another address is not affected.
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port,
      caCerts: [await Deno.readTextFile(certs.caCert)],
    });
    await conn.write(new TextEncoder().encode("carol\n"));
    const reply = new Uint8Array(256);
    const count = await conn.read(reply);
    assert.match(new TextDecoder().decode(reply.subarray(0, count ?? 0)), /^NOTICE welcome: /);
    conn.close();
  } finally {
    for (const conn of held) conn.close();
  }
});

Deno.test("an address that opens connections too quickly is refused until its window refills", async () => {
  await using ts = await startServer({
    maxNewConnectionsPerIp: 3,
    newConnectionWindowMs: 600_000,
  });
  for (let i = 0; i < 3; i++) {
    await using client = await TestClient.login(ts.port, `user${i}`);
    await client.readLine();
    await client.send("QUIT");
    await client.readUntilClosed();
  }
  await using churner = await TestClient.connect(ts.port);
  assert.deepEqual(await churner.readUntilClosed(), [
    "ERROR too-many-new-connections: Too many new connections from your address; try again in 200 s",
  ]);
  await using neighbour = await TestClient.connectFrom(ts.port, "127.0.0.2");
  await neighbour.send("neighbour");
  assert.match(await neighbour.readLine(), /^NOTICE welcome: /);
  await ts.waitForLog(/reject addr=127\.0\.0\.1:\d+ reason=too-many-new-connections/);
});

Deno.test("TLS refusals count by their limit, and closing the server closes handshakes in progress", async () => {
  await using certs = await makeTestCerts();
  const server = await serve({
    listen: [await tlsAddress(certs)],
    maxConnectionsPerIp: 1,
    maxNewConnectionsPerIp: 0,
    metrics: { hostname: "127.0.0.1", port: 0 },
    logger: new Logger(() => {}),
  });
  const { port } = server.address;
  const held: SourcedConn[] = [];
  try {
    for (let i = 0; i < 20; i++) held.push(await connectFrom(port, "127.0.0.7"));
    const metrics = await scrape(server.metricsAddress!.port);
    assert.match(
      metrics,
      /^nanochat_connections_rejected_total\{reason="too-many-connections"\} 19$/m,
    );
    assert.doesNotMatch(metrics, /tls-handshake-failed/);
    await server.shutdown();
    // Every one of them, admitted or waiting to be told, is closed with the server.
    for (const conn of held) assert.equal(await closedByServer(conn), "closed");
  } finally {
    for (const conn of held) conn.close();
    await server.shutdown();
  }
});

Deno.test({
  name:
    "chat and page connections together cannot run the server out of descriptors: TLS logins go on",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using certs = await makeTestCerts();
    await using server = await ServerProcess.start(
      [
        "--listen",
        "127.0.0.1:0",
        ...tlsListenArgs(certs),
        "--http",
        "127.0.0.1:0",
        "--max-new-per-ip",
        "0",
      ],
      { openFileLimit: 440, permissions: ["--allow-read"], listeners: 2 },
    );
    const limits = await server.stderr.waitFor(/ limits max-connections=\d+ /);
    const max = Number(limits.match(/max-connections=(\d+)/)![1]);
    const webPort = await server.webPort();
    const held: SourcedConn[] = [];
    try {
      // All the chat connections the budget allows but one, from many addresses...
      for (let i = 0; i < max - 1; i++) {
        held.push(await connectFrom(server.portOf("plain"), `127.0.3.${(i % 250) + 1}`));
      }
      // ...and every HTTP slot of the page taken, and more: silent connections.
      for (let i = 0; i < 300; i++) {
        held.push(await connectFrom(webPort, `127.0.${4 + Math.floor(i / 250)}.${(i % 250) + 1}`));
      }
      // The last slot still goes to a TLS login: its listener never met EMFILE.
      const caCerts = [await Deno.readTextFile(certs.caCert)];
      const reply = await tlsLogin(server.portOf("tls"), caCerts, "carol");
      assert.match(reply, /^NOTICE welcome: /, "a TLS login within the line timeout");
      assert.ok(!server.stderr.lines.some((line) => /accept-error/.test(line)), "no EMFILE");
    } finally {
      for (const conn of held) conn.close();
    }
  },
});

Deno.test({
  name: "a burst of connections past the descriptors does not leave the TLS port deaf",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using certs = await makeTestCerts();
    await using server = await ServerProcess.start(
      [
        ...tlsListenArgs(certs),
        "--max-new-per-ip",
        "0",
      ],
      { openFileLimit: 128, permissions: ["--allow-read"] },
    );
    const port = server.portOf("tls");
    // 300 at once, from 300 addresses: the listener accepts more than the process can hold.
    const burst = await Promise.allSettled(
      Array.from(
        { length: 300 },
        (_, i) => connectFrom(port, `127.0.${5 + Math.floor(i / 250)}.${(i % 250) + 1}`),
      ),
    );
    for (const result of burst) if (result.status === "fulfilled") result.value.close();
    // Deno's node:tls stops accepting after EMFILE; the listener finds out
    // within a few self-checks (one every 2 s) and opens itself again...
    await server.stderr.waitFor(/ listener-reopened .*tls=true/, "the reopening", 20_000);
    // ...and then a TLS login gets in.
    const caCerts = [await Deno.readTextFile(certs.caCert)];
    const reply = await tlsLogin(port, caCerts, "carol");
    assert.match(
      reply,
      /^NOTICE welcome: /,
      `a TLS login after the burst; the server's log:\n${
        server.stderr.lines.slice(-20).join("\n")
      }`,
    );
  },
});

Deno.test("an idle TLS listener checks itself quietly: no reopening, no failed handshakes", async () => {
  await using certs = await makeTestCerts();
  const log: string[] = [];
  await using server = await serve({
    listen: [await tlsAddress(certs)],
    logger: new Logger((line) => log.push(line)),
  });
  // Three self-checks' worth of quiet (one every 2 s), then a login.
  await new Promise((resolve) => setTimeout(resolve, 6_500));
  const reply = await tlsLogin(
    server.address.port,
    [await Deno.readTextFile(certs.caCert)],
    "dave",
  );
  assert.match(reply, /^NOTICE welcome: /);
  const events = log.filter((line) => / (listener-reopened|reject|connect) /.test(line));
  assert.equal(events.length, 1, events.join("\n"));
  assert.ok(log.some((line) => / connect .*/.test(line)), "dave's connection, and only it");
});

/** Logs in over TLS; the first reply, or "" if none came within the line timeout. */
async function tlsLogin(port: number, caCerts: string[], name: string): Promise<string> {
  let conn: Deno.TlsConn | undefined;
  const deadline = setTimeout(() => conn?.close(), LINE_TIMEOUT_MS);
  try {
    conn = await Deno.connectTls({ hostname: "localhost", port, caCerts });
    await conn.write(new TextEncoder().encode(`${name}\n`));
    const bytes = new Uint8Array(256);
    const count = await conn.read(bytes);
    return new TextDecoder().decode(bytes.subarray(0, count ?? 0));
  } catch {
    return ""; // closed by the deadline, or refused
  } finally {
    clearTimeout(deadline);
    try {
      conn?.close();
    } catch {
      // Already closed by the deadline.
    }
  }
}
