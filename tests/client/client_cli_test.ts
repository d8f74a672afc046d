import assert from "@nanochat/assert";
import { nanochatArgs, NanochatProcess, runCli } from "../support/cli_process.ts";
import { makeTestCerts } from "../support/certs.ts";
import { startServer } from "../support/test_server.ts";

const encoder = new TextEncoder();

/** Runs `nanochat connect --listen` against a fake server's listener. */
function listeningClient(listener: Deno.TcpListener, name: string): NanochatProcess {
  return new NanochatProcess([
    "connect",
    `127.0.0.1:${listener.addr.port}`,
    name,
    "--listen",
    "--no-reconnect",
  ]);
}

/** Drops the server's welcome line, which these tests are not about. */
function afterWelcome(lines: readonly string[]): string[] {
  assert.match(lines[0] ?? "", /^NOTICE welcome: Welcome to nanochat /);
  return lines.slice(1);
}

Deno.test("nanochat connect sends each stdin line as a message, then QUIT at end of input", async () => {
  await using ts = await startServer();
  await using bob = await ts.login("bob");
  const { code, stdout, stderr } = await runCli(
    ["connect", `127.0.0.1:${ts.port}`, "bot"],
    "hello\n/dance\n//slash\r\nbye\n",
  );
  assert.equal(code, 0, stderr);
  assert.deepEqual(await bob.readLines(3), ["[bot]: hello", "[bot]: /slash", "[bot]: bye"]);
  assert.deepEqual(afterWelcome(stdout.split("\n")), [
    "ERROR unknown-command: Unknown command DANCE; type HELP for the list",
    "",
  ]);
  assert.equal(stderr, "");
  await ts.waitForLog(/disconnect .*name=bot reason=quit/);
});

Deno.test("nanochat connect prints received lines on stdout as sent, sanitised", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using client = new NanochatProcess(["connect", `127.0.0.1:${ts.port}`, "reader"], true);
  await ts.waitForLog(/ login .*name=reader$/);
  await alice.send("*hi reader");
  await alice.send("*tab\tkept");
  await client.stdout.waitFor(/tab/);
  await client.closeStdin();
  assert.equal((await client.exited()).code, 0);
  assert.deepEqual(afterWelcome(client.stdout.lines), ["[alice]: hi reader", "[alice]: tab\tkept"]);
});

Deno.test("nanochat connect prints a line longer than any terminal unwrapped into a pipe", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using logger = new NanochatProcess([
    "connect",
    `127.0.0.1:${ts.port}`,
    "logger",
    "--listen",
  ]);
  await ts.waitForLog(/ login .*name=logger$/);
  const text = "hi" + " ".repeat(300) + "[bob]: " + "漢字".repeat(100) + "\tend";
  await alice.send(`*${text}`);
  await logger.stdout.waitFor(/end$/);
  assert.deepEqual(afterWelcome(logger.stdout.lines), [`[alice]: ${text}`]);
});

Deno.test("nanochat connect --listen records the chat without reading stdin", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await using logger = new NanochatProcess([
    "connect",
    `127.0.0.1:${ts.port}`,
    "logger",
    "--listen",
  ]);
  await ts.waitForLog(/ login .*name=logger$/);
  await alice.send("*for the record");
  await logger.stdout.waitFor(/for the record/);
  assert.equal((await logger.stop("SIGTERM")).code, 0);
  assert.deepEqual(afterWelcome(logger.stdout.lines), ["[alice]: for the record"]);
  await ts.waitForLog(/disconnect .*name=logger reason=quit/);
});

Deno.test("nanochat connect --timestamps starts each received line with the UTC time", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  // UTC+14 all year: a local time could never pass for UTC here.
  const logger = new Deno.Command(Deno.execPath(), {
    args: nanochatArgs(["connect", `127.0.0.1:${ts.port}`, "logger", "--listen", "--timestamps"]),
    env: { NO_COLOR: "1", TZ: "Pacific/Kiritimati" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    await ts.waitForLog(/ login .*name=logger$/);
    await alice.send("*tick");
    let line = "";
    const lines = logger.stdout.pipeThrough(new TextDecoderStream()).values();
    for (let text = ""; !/tick\n/.test(text);) {
      const { value, done } = await lines.next();
      if (done) throw new Error(`stdout ended before the tick: ${text}`);
      text += value;
      line = text.split("\n").find((row) => row.includes("tick")) ?? "";
    }
    await lines.return?.();
    assert.match(line, /^\d\d:\d\d:\d\dZ \[alice\]: tick$/);
    const [hours, minutes] = line.split(":").map(Number);
    const now = new Date();
    const apart = Math.abs(hours! * 60 + minutes! - (now.getUTCHours() * 60 + now.getUTCMinutes()));
    assert.ok(apart <= 1 || apart >= 24 * 60 - 1, `${line} is not UTC`);
  } finally {
    logger.kill("SIGTERM");
    await logger.status;
  }
});

Deno.test("nanochat connect --no-history leaves out the history replayed at login", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  await alice.send("*said before");
  await ts.waitForLog(/ login .*name=alice$/);
  for (const flags of [[], ["--no-history"]]) {
    const since = ts.log.length;
    await using logger = new NanochatProcess([
      "connect",
      `127.0.0.1:${ts.port}`,
      "logger",
      "--listen",
      ...flags,
    ]);
    await ts.waitForLog(/ login .*name=logger$/, since);
    await alice.send(`*live ${flags.length}`);
    await logger.stdout.waitFor(new RegExp(`live ${flags.length}`));
    const history = logger.stdout.lines.filter((line) => line.startsWith("HISTORY "));
    assert.equal(history.length, flags.length === 0 ? 1 : 0, logger.stdout.lines.join("\n"));
    assert.equal((await logger.stop("SIGTERM")).code, 0);
    await ts.waitForLog(/disconnect .*name=logger/, since);
  }
});

Deno.test("nanochat connect --no-reconnect exits 6 with one line when the server shuts down", async () => {
  const ts = await startServer();
  await using logger = new NanochatProcess([
    "connect",
    `127.0.0.1:${ts.port}`,
    "logger",
    "--listen",
    "--no-reconnect",
  ]);
  await ts.waitForLog(/ login .*name=logger$/);
  await ts.server.shutdown();
  assert.equal((await logger.exited()).code, 6);
  assert.deepEqual(afterWelcome(logger.stdout.lines), [
    "NOTICE shutdown: The server is shutting down",
  ]);
  assert.deepEqual(logger.stderr.lines, ["nanochat: the server shut down"]);
});

Deno.test("nanochat connect exits 6 when the server closes the connection without a word", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using client = listeningClient(listener, "x");
  const conn = await listener.accept();
  conn.close();
  assert.equal((await client.exited()).code, 6);
  assert.deepEqual(client.stderr.lines, [
    "nanochat: the server closed the connection without a word (a TLS port? then add --tls)",
  ]);
});

Deno.test("nanochat connect exits 4 when the server accepts the connection and never answers the name", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  await using client = new NanochatProcess([
    "connect",
    `127.0.0.1:${port}`,
    "victim",
    "--timeout",
    "0.3",
  ]);
  await using conn = await listener.accept();
  assert.equal(await new FakeServerPeer(conn).readLine(), "victim");
  assert.equal((await client.exited()).code, 4);
  assert.deepEqual(client.stdout.lines, []);
  assert.deepEqual(client.stderr.lines, [
    `nanochat: timed out: 127.0.0.1:${port} accepted the connection but sent no welcome within 0.3 s`,
  ]);
});

Deno.test("nanochat connect exits 4 when a TLS server finishes the handshake and never answers", async () => {
  await using certs = await makeTestCerts();
  using listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(certs.leafCert),
    key: await Deno.readTextFile(certs.leafKey),
  });
  const address = `127.0.0.1:${listener.addr.port}`;
  for (const flags of [["--ca", certs.caCert], ["--insecure"]]) {
    await using client = new NanochatProcess(
      // 3 s: on a loaded machine the fake server may read the name late.
      ["connect", address, "victim", "--timeout", "3", ...flags],
      false,
      [`--allow-read=${certs.dir}`],
    );
    await using conn = await listener.accept();
    await conn.handshake();
    assert.equal(await new FakeServerPeer(conn).readLine(), "victim");
    assert.equal((await client.exited()).code, 4, flags.join(" "));
    const insecureWarning = /^nanochat: WARNING: --insecure/;
    assert.deepEqual(client.stderr.lines.filter((line) => !insecureWarning.test(line)), [
      `nanochat: timed out: ${address} accepted the connection but sent no welcome within 3 s`,
    ]);
  }
});

Deno.test("nanochat connect exits 5 when the name is taken, and the holder stays", async () => {
  await using ts = await startServer();
  await using _alice = await ts.login("alice");
  const { code, stdout, stderr } = await runCli(["connect", `127.0.0.1:${ts.port}`, "Alice"]);
  assert.equal(code, 5);
  assert.equal(stdout, "ERROR name-taken: The name Alice is in use\n");
  assert.equal(stderr, "nanochat: name refused: The name Alice is in use\n");
  assert.equal(ts.server.userCount, 1);
});

Deno.test("nanochat connect exits 5 for an invalid name without connecting", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { code, stderr } = await runCli(["connect", `127.0.0.1:${listener.addr.port}`, "a:b"]);
  assert.equal(code, 5);
  assert.match(stderr, /^nanochat: invalid name "a:b": Name must be 1 to 32 letters/);
  assert.equal(stderr.trim().split("\n").length, 1);
});

Deno.test("nanochat connect exits 3 with one line when the connection is refused", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close(); // nothing listens there now
  const { code, stderr } = await runCli(["connect", `127.0.0.1:${port}`, "alice"]);
  assert.equal(code, 3);
  assert.equal(
    stderr,
    `nanochat: cannot connect to 127.0.0.1:${port}: connection refused (is the server running?)\n`,
  );
});

Deno.test("nanochat connect exits 3 for a host that does not resolve", async () => {
  const { code, stderr } = await runCli(["connect", "no-such-host.invalid", "alice"]);
  assert.equal(code, 3);
  assert.equal(stderr, "nanochat: cannot connect to no-such-host.invalid:7777: unknown host\n");
});

Deno.test("nanochat connect rejects bad usage with exit code 2", async () => {
  const cases: [string[], RegExp][] = [
    [["connect"], /Expected a server address and a name, got 0 arguments/],
    [["connect", "localhost"], /Expected a server address and a name, got 1 arguments/],
    [["connect", ":7777", "alice"], /Missing host in address ":7777"/],
    [["connect", "localhost", "alice", "--timeout", "soon"], /--timeout needs a number/],
    [["connect", "localhost", "alice", "--colour"], /Unknown option '--colour'/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(stderr, pattern);
    assert.match(stderr, /Run 'nanochat connect --help' for usage\./);
  }
});

Deno.test("nanochat connect never prints a hostile server's control characters", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using client = listeningClient(listener, "victim");
  const conn = await listener.accept();
  const hostile = [
    "[evil\x1b[2J]: clear your screen\x1b[H",
    "\x1b]0;pwned title\x07\x1b]52;c;aGk=\x07",
    "\u009b31mred via C1\rback\bspace\x7f",
  ];
  await conn.write(encoder.encode(hostile.join("\n") + "\n"));
  conn.close();
  assert.equal((await client.exited()).code, 6);
  assert.equal(client.stdout.lines.length, 3);
  for (const line of client.stdout.lines) {
    // deno-lint-ignore no-control-regex -- looking for control characters is the point
    assert.doesNotMatch(line, /[\x00-\x08\x0a-\x1f\x7f-\x9f]/, JSON.stringify(line));
  }
  assert.equal(client.stdout.lines[0], "[evil\uFFFD[2J]: clear your screen\uFFFD[H");
});

Deno.test("nanochat connect works with a server that sends only seed chat lines", async () => {
  // The original Go server: no notices, no errors, just [name]: text.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using client = new NanochatProcess(
    ["connect", `127.0.0.1:${listener.addr.port}`, "bob"],
    true,
  );
  await using conn = await listener.accept();
  const peer = new FakeServerPeer(conn);
  assert.equal(await peer.readLine(), "bob");
  await conn.write(encoder.encode("[alice]: hi bob\n"));
  await client.stdout.waitFor(/hi bob/);
  await client.write("hi alice\n");
  assert.equal(await peer.readLine(), "*hi alice");
  await client.closeStdin();
  assert.equal(await peer.readLine(), "QUIT");
  conn.close();
  assert.equal((await client.exited()).code, 0);
});

/** Reads LF lines from an accepted connection, for a fake server. */
class FakeServerPeer {
  readonly #conn: Deno.Conn;
  #pending = "";
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  async readLine(): Promise<string> {
    const buffer = new Uint8Array(1024);
    while (!this.#pending.includes("\n")) {
      const count = await this.#conn.read(buffer);
      if (count === null) throw new Error("Connection closed before a line arrived");
      this.#pending += new TextDecoder().decode(buffer.subarray(0, count));
    }
    const lf = this.#pending.indexOf("\n");
    const line = this.#pending.slice(0, lf);
    this.#pending = this.#pending.slice(lf + 1);
    return line;
  }
}

Deno.test("nanochat connect exits 0 after a refused /nick, which is no refused login", async () => {
  await using ts = await startServer();
  await using _alice = await ts.login("alice");
  const { code, stdout, stderr } = await runCli(
    ["connect", `127.0.0.1:${ts.port}`, "bot"],
    "/nick alice\n",
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^ERROR name-taken: The name alice is in use$/m);
  assert.equal(stderr, "");
});

Deno.test("nanochat connect exits 6 with the reason when the server disconnects it", async () => {
  await using ts = await startServer({ rateLinesPerSecond: 20, burstLines: 5, floodKickMs: 200 });
  const { code, stderr } = await runCli(
    ["connect", `127.0.0.1:${ts.port}`, "flooder"],
    "spam\n".repeat(400),
  );
  assert.equal(code, 6);
  assert.equal(
    stderr,
    "nanochat: disconnected by the server: Too many lines for too long; slow down\n",
  );
});

Deno.test("nanochat connect sanitises what a hostile server says in its refusal", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using client = listeningClient(listener, "x");
  const conn = await listener.accept();
  await conn.write(encoder.encode("ERROR name-taken: \x1b]0;pwned\x07\x1b[2Jgotcha\n"));
  conn.close();
  assert.equal((await client.exited()).code, 5);
  assert.deepEqual(client.stderr.lines, [
    "nanochat: name refused: \uFFFD]0;pwned\uFFFD\uFFFD[2Jgotcha",
  ]);
});

Deno.test("nanochat connect never prints a hostile server's bidi controls, on stdout or stderr", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using client = listeningClient(listener, "x");
  const conn = await listener.accept();
  await conn.write(
    encoder.encode("[mallory]: \u202Etxt.exe\nERROR flood: \u2067slow\u2069 down\n"),
  );
  conn.close();
  assert.equal((await client.exited()).code, 6);
  assert.deepEqual(client.stdout.lines, [
    "[mallory]: \uFFFDtxt.exe",
    "ERROR flood: \uFFFDslow\uFFFD down",
  ]);
  assert.deepEqual(client.stderr.lines, [
    "nanochat: disconnected by the server: \uFFFDslow\uFFFD down",
  ]);
});

Deno.test("nanochat connect reports an unreadable stdin in one line, no stack trace", async () => {
  await using ts = await startServer();
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      `"$0" ${
        nanochatArgs(["connect", `127.0.0.1:${ts.port}`, "zed"]).map((a) => `'${a}'`).join(" ")
      } < /`,
      Deno.execPath(),
    ],
    stdout: "null",
    stderr: "piped",
  });
  const { code, stderr } = await child.output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 1, text);
  assert.match(text, /^nanochat: cannot read stdin: /);
  assert.doesNotMatch(text, /^\s+at /m);
});

Deno.test("nanochat connect in a pipe prints room lines exactly as on the wire and sends room commands", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using client = new NanochatProcess(
    ["connect", `127.0.0.1:${listener.addr.port}`, "bot"],
    true,
  );
  await using conn = await listener.accept();
  const peer = new FakeServerPeer(conn);
  assert.equal(await peer.readLine(), "bot");
  const lines = [
    "NOTICE welcome: Welcome to nanochat 0.1.0, bot! 1 user online. Type HELP for commands.",
    "#rust NOTICE joined: You joined #rust: 2 users. Topic: Rust talk",
    "#rust HISTORY 2026-12-02T08:00:00Z [bob]: anyone on 1.90 yet?",
    "#rust [bob]: hi bot",
    "[carol]: lunch?",
    "NOTICE current: #lobby is your current room",
    "LIST #lobby 2: ",
    "LIST #rust 2: Rust talk",
    "LIST END: 2 rooms",
    "#rust TOPIC: Rust talk",
    "#rust NOTICE parted: You left #rust",
  ];
  await conn.write(encoder.encode(lines.join("\n") + "\n"));
  await client.stdout.waitFor(/parted/);
  assert.deepEqual(client.stdout.lines, lines);

  await client.write("/join rust\n/say #rust hi\n/switch #lobby\n/part #rust bye\n/list\n");
  assert.deepEqual(
    [
      await peer.readLine(),
      await peer.readLine(),
      await peer.readLine(),
      await peer.readLine(),
      await peer.readLine(),
    ],
    ["JOIN #rust", "SAY #rust hi", "SWITCH #lobby", "PART #rust bye", "LIST"],
  );
  await client.closeStdin();
  assert.equal(await peer.readLine(), "QUIT");
  conn.close();
  assert.equal((await client.exited()).code, 0);
});

Deno.test("nanochat connect exits 5 with one line when the name is taken, even with stdin ready", async () => {
  await using ts = await startServer();
  await using alice = await ts.login("alice");
  for (let run = 0; run < 5; run++) {
    const result = await runCli(["connect", `127.0.0.1:${ts.port}`, "alice"], "hi\n");
    assert.equal(result.code, 5, JSON.stringify(result));
    assert.equal(result.stderr, "nanochat: name refused: The name alice is in use\n");
  }
  assert.equal(ts.server.userCount, 1);
  await alice.send("PING still-here");
  assert.equal(await alice.readLine(), "PONG still-here");
});
