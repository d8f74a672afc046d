import assert from "@nanochat/assert";
import denoConfig from "../../deno.json" with { type: "json" };
import { nanochatArgs, runCli, ServerProcess } from "../support/cli_process.ts";
import { TestClient } from "../support/test_client.ts";

/** A user-facing error is short and never a stack trace. */
function assertCleanError(stderr: string, pattern: RegExp): void {
  assert.match(stderr, pattern);
  assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
  assert.ok(stderr.trim().split("\n").length <= 2, `at most two lines:\n${stderr}`);
}

Deno.test("nanochat --help lists the commands and exits 0", async () => {
  for (const flag of ["--help", "-h", "help"]) {
    const { code, stdout } = await runCli([flag]);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: nanochat <command>/m);
    assert.match(stdout, /^ {2}serve {5}run a chat server$/m);
  }
});

Deno.test("nanochat without a command prints usage to stderr and exits 2", async () => {
  const { code, stdout, stderr } = await runCli([]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(stderr, /^Usage: nanochat <command>/m);
});

Deno.test("nanochat --version prints the version from deno.json", async () => {
  for (const flag of ["--version", "-V"]) {
    const { code, stdout } = await runCli([flag]);
    assert.equal(code, 0);
    assert.equal(stdout, `nanochat ${denoConfig.version}\n`);
  }
});

Deno.test("nanochat serve --help shows the address forms and every flag", async () => {
  const { code, stdout } = await runCli(["serve", "--help"]);
  assert.equal(code, 0);
  assert.match(stdout, /^Usage: nanochat serve \[host\]\[:port\]/);
  for (const flag of ["--max-line", "--max-outbox", "--login-timeout", "--log-messages"]) {
    assert.ok(stdout.includes(flag), `help mentions ${flag}`);
  }
});

Deno.test("nanochat rejects bad usage with one clear line and exit code 2", async () => {
  const cases: [string[], RegExp][] = [
    [["chat"], /^nanochat: unknown command "chat"$/m],
    [["serve", "--bogus"], /^nanochat: Unknown option '--bogus'/m],
    [["serve", "--max-line"], /^nanochat: Option '--max-line <value>' argument missing/m],
    [["serve", "--max-line", "lots"], /^nanochat: --max-line needs a whole number/m],
    [["serve", "--login-timeout", "0"], /^nanochat: --login-timeout needs a whole number/m],
    [["serve", "localhost:99999"], /^nanochat: Invalid port "99999"/m],
    [["serve", "a:1", "b:2"], /^nanochat: Expected at most one address, got 2$/m],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 2, `exit code for ${args.join(" ")}`);
    assertCleanError(stderr, pattern);
    assert.match(stderr, /^Run 'nanochat (serve )?--help' for usage\.$/m);
  }
});

Deno.test("nanochat serve on a port in use says so in one line and exits 1", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { code, stderr } = await runCli(["serve", `127.0.0.1:${taken.addr.port}`]);
  assert.equal(code, 1);
  assertCleanError(
    stderr,
    new RegExp(
      `^nanochat: cannot listen on 127\\.0\\.0\\.1:${taken.addr.port}: address already in use$`,
      "m",
    ),
  );
});

Deno.test("nanochat serve with its metrics port in use says so in one line and exits 1", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { code, stderr } = await runCli([
    "serve",
    "127.0.0.1:0",
    "--in-memory",
    "--metrics",
    `127.0.0.1:${taken.addr.port}`,
  ]);
  assert.equal(code, 1);
  assertCleanError(
    stderr,
    new RegExp(
      `^nanochat: cannot serve metrics on 127\\.0\\.0\\.1:${taken.addr.port}: address already in use$`,
      "m",
    ),
  );
});

Deno.test("nanochat serve exits 0 on SIGTERM and SIGINT after telling clients", async () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    await using server = await ServerProcess.start();
    await using alice = await TestClient.login(server.port, "alice");
    assert.match(await alice.readLine(), /^NOTICE welcome: /);
    const status = await server.stop(signal);
    assert.equal(status.code, 0, `exit code after ${signal}`);
    assert.deepEqual(await alice.readUntilClosed(), [
      "NOTICE shutdown: The server is shutting down",
    ]);
    assert.ok(server.stderr.lines.some((line) => / shutdown users=1$/.test(line)));
  }
});

Deno.test({
  name: "nanochat serve keeps its memory bounded while a client sends 16 MiB without LF",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using server = await ServerProcess.start();
    await using alice = (await TestClient.login(server.port, "alice")).ignore(/^NOTICE /);
    await using bob = (await TestClient.login(server.port, "bob")).ignore(/^NOTICE /);
    await server.stderr.waitFor(/ login conn=\d+ name=bob$/);
    const before = await server.residentKiB();
    const chunk = new TextEncoder().encode("m".repeat(1024 * 1024));
    for (let i = 0; i < 16; i++) await alice.sendBytes(chunk);
    assert.equal(await alice.readLine(), "ERROR line-too-long: Line too long; it was dropped");
    await alice.sendBytes(new TextEncoder().encode("\n*done\n"));
    assert.equal(await bob.readLine(), "[alice]: done");
    const grownKiB = (await server.residentKiB()) - before;
    // Buffering the line would cost 16 MiB or more; allow for heap growth.
    assert.ok(grownKiB < 8 * 1024, `server grew by ${grownKiB} KiB while receiving 16 MiB`);
  },
});

Deno.test("nanochat serve listens on IPv6 loopback when given [::1]:port", async () => {
  let probe: Deno.TcpListener;
  try {
    probe = Deno.listen({ hostname: "::1", port: 0 });
  } catch {
    return; // no IPv6 on this machine: nothing to test
  }
  const port = probe.addr.port;
  probe.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: nanochatArgs(["serve", `[::1]:${port}`, "--in-memory"]),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    let conn: Deno.TcpConn | undefined;
    for (let attempt = 0; conn === undefined; attempt++) {
      try {
        conn = await Deno.connect({ hostname: "::1", port });
      } catch (error) {
        if (attempt > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    conn.close();
  } finally {
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
  }
});
