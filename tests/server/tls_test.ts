/**
 * TLS for real: certificates from openssl, the server and the client as
 * subprocesses with the permissions a user would give them.
 */

import assert from "@nanochat/assert";
import { makeTestCerts, type TestCerts } from "../support/certs.ts";
import { NanochatProcess, runCli, ServerProcess } from "../support/cli_process.ts";
import { TestClient } from "../support/test_client.ts";

/** A server listening on a plain and a TLS port at once. */
function startTlsServer(certs: TestCerts, key = certs.leafKey): Promise<ServerProcess> {
  return ServerProcess.start([
    "--listen",
    "127.0.0.1:0",
    "--tls-listen",
    "127.0.0.1:0",
    "--tls-cert",
    certs.leafCert,
    "--tls-key",
    key,
  ], { listeners: 2, permissions: [`--allow-read=${certs.dir}`] });
}

/** A server listening on one TLS port only. */
function startTlsOnlyServer(
  certs: TestCerts,
  flags: string[] = [],
  cert = certs.leafCert,
  key = certs.leafKey,
): Promise<ServerProcess> {
  return ServerProcess.start(
    ["--tls-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key, ...flags],
    { permissions: [`--allow-read=${certs.dir}`] },
  );
}

Deno.test("TLS chat works end to end, and TLS and plain users share one room", async () => {
  await using certs = await makeTestCerts();
  await using server = await startTlsServer(certs);
  const tlsAddress = `127.0.0.1:${server.portOf("tls")}`;
  const read = [`--allow-read=${certs.dir}`];
  await using listener = new NanochatProcess(
    ["connect", tlsAddress, "alice", "--ca", certs.caCert, "--listen"],
    false,
    read,
  );
  await listener.stdout.waitFor(/^NOTICE welcome: /);
  await using plain = await TestClient.login(server.portOf("plain"), "carol");
  await plain.readLine(); // welcome

  const { code, stderr } = await runCli(
    ["connect", tlsAddress, "bob", "--ca", certs.caCert],
    "hello over TLS\n",
    read,
  );
  assert.equal(code, 0, stderr);
  await listener.stdout.waitFor(/^\[bob\]: hello over TLS$/);
  assert.equal(await plain.ignore(/^NOTICE /).readLine(), "[bob]: hello over TLS");
  assert.equal((await listener.stop("SIGTERM")).code, 0);
});

Deno.test("the client refuses a server whose certificate it cannot verify", async () => {
  await using certs = await makeTestCerts();
  await using server = await startTlsServer(certs);
  const { code, stderr } = await runCli([
    "connect",
    `127.0.0.1:${server.portOf("tls")}`,
    "bob",
    "--tls",
  ]);
  assert.equal(code, 3);
  assert.equal(
    stderr,
    `nanochat: cannot connect to 127.0.0.1:${server.portOf("tls")}: TLS handshake failed: ` +
      "invalid peer certificate: UnknownIssuer (trust a private CA with --ca FILE)\n",
  );
  // The server carries on for everyone else.
  await using carol = await TestClient.login(server.portOf("plain"), "carol");
  assert.match(await carol.readLine(), /^NOTICE welcome: /);
});

Deno.test("--insecure connects without checking the certificate, and says so loudly", async () => {
  await using certs = await makeTestCerts();
  await using server = await startTlsServer(certs);
  await using carol = await TestClient.login(server.portOf("plain"), "carol");
  await carol.readLine();
  const { code, stderr } = await runCli(
    ["connect", `127.0.0.1:${server.portOf("tls")}`, "bob", "--insecure"],
    "unverified\n",
  );
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^nanochat: WARNING: --insecure: the server's certificate is not checked/);
  assert.equal(await carol.ignore(/^NOTICE /).readLine(), "[bob]: unverified");
});

Deno.test("a plain client on the TLS port and a TLS client on the plain port fail cleanly", async () => {
  await using certs = await makeTestCerts();
  await using server = await startTlsServer(certs);
  const plainOnTls = await runCli([
    "connect",
    `127.0.0.1:${server.portOf("tls")}`,
    "bob",
    "--listen",
  ]);
  assert.equal(plainOnTls.code, 6);
  assert.equal(
    plainOnTls.stderr,
    "nanochat: the server closed the connection without a word (a TLS port? then add --tls)\n",
  );
  await server.stderr.waitFor(/ reject addr=\S+ reason=tls-handshake-failed /);

  const tlsOnPlain = await runCli(
    ["connect", `127.0.0.1:${server.portOf("plain")}`, "bob", "--ca", certs.caCert],
    undefined,
    [`--allow-read=${certs.dir}`],
  );
  assert.equal(tlsOnPlain.code, 3);
  assert.match(tlsOnPlain.stderr, /TLS handshake failed: .*\(is it a TLS port\?\)\n$/);
  await server.stderr.waitFor(/ disconnect conn=\d+ reason=tls-on-plain-port$/);

  await using carol = await TestClient.login(server.portOf("plain"), "carol");
  assert.match(await carol.readLine(), /^NOTICE welcome: /);
});

Deno.test("the client explains a self-signed server certificate", async () => {
  await using certs = await makeTestCerts();
  await using server = await startTlsOnlyServer(
    certs,
    [],
    certs.selfSignedCert,
    certs.selfSignedKey,
  );
  const { code, stderr } = await runCli(
    ["connect", `127.0.0.1:${server.port}`, "bob", "--ca", certs.selfSignedCert],
    undefined,
    [`--allow-read=${certs.dir}`],
  );
  assert.equal(code, 3);
  assert.match(
    stderr,
    /CaUsedAsEndEntity.*\(a self-signed certificate: serve one issued by a CA, or use --insecure\)/,
  );
});

Deno.test("nanochat serve explains unusable TLS files in one line and exits 1", async () => {
  await using certs = await makeTestCerts();
  const read = [`--allow-read=${certs.dir}`];
  const serveTls = (cert: string, key: string, permissions = read) =>
    runCli(["serve", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key], undefined, permissions);
  const cases: [Promise<{ code: number; stderr: string }>, RegExp][] = [
    [
      serveTls(`${certs.dir}/missing.pem`, certs.leafKey),
      /^nanochat: cannot read the TLS certificate \S+missing\.pem: no such file\n$/,
    ],
    [
      serveTls(certs.leafCert, certs.otherKey),
      /^nanochat: cannot listen for TLS on 127\.0\.0\.1:0: .+\n$/,
    ],
    [
      serveTls(`${certs.dir}/leaf.ext`, certs.leafKey),
      /^nanochat: cannot use the TLS certificate \S+leaf\.ext: it is not a PEM file\n$/,
    ],
    [
      serveTls(certs.leafCert, certs.leafKey, []),
      /^nanochat: cannot read the TLS certificate \S+: Deno needs read permission \(run with --allow-read=\S+\)\n$/,
    ],
  ];
  for (const [result, pattern] of cases) {
    const { code, stderr } = await result;
    assert.equal(code, 1, stderr);
    assert.match(stderr, pattern);
  }
});

Deno.test("a TLS client over the per-IP limit is told why, in one line", async () => {
  await using certs = await makeTestCerts();
  await using server = await startTlsOnlyServer(certs, ["--max-per-ip", "1"]);
  const read = [`--allow-read=${certs.dir}`];
  await using first = new NanochatProcess(
    ["connect", `127.0.0.1:${server.port}`, "alice", "--ca", certs.caCert, "--listen"],
    false,
    read,
  );
  await first.stdout.waitFor(/^NOTICE welcome: /);
  const { code, stdout, stderr } = await runCli(
    ["connect", `127.0.0.1:${server.port}`, "bob", "--ca", certs.caCert, "--listen"],
    undefined,
    read,
  );
  assert.equal(code, 6);
  assert.equal(stdout, "ERROR too-many-connections: Too many connections from your address\n");
  assert.equal(
    stderr,
    "nanochat: disconnected by the server: Too many connections from your address\n",
  );
});

Deno.test("a peer that never starts its TLS handshake is dropped at the login timeout", async () => {
  await using certs = await makeTestCerts();
  await using server = await startTlsOnlyServer(certs, ["--login-timeout", "1"]);
  using silent = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const started = performance.now();
  assert.equal(await silent.read(new Uint8Array(16)), null, "closed by the server");
  const waited = performance.now() - started;
  assert.ok(waited > 500 && waited < 5000, `dropped after ${Math.round(waited)} ms`);
});
