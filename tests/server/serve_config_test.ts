import assert from "@nanochat/assert";
import { envName, parseServeArgs, type ServeCommand } from "../../server/cli.ts";
import { runCli, ServerProcess } from "../support/cli_process.ts";
import { TestClient } from "../support/test_client.ts";

const noEnv = () => undefined;

function parse(args: string[], env: Record<string, string> = {}): ServeCommand {
  const command = parseServeArgs(args, (name) => env[name]);
  assert.notEqual(command, "help");
  return command as ServeCommand;
}

Deno.test("envName() maps a flag to its NANOCHAT_ variable", () => {
  assert.equal(envName("max-line"), "NANOCHAT_MAX_LINE");
  assert.equal(envName("tls-listen"), "NANOCHAT_TLS_LISTEN");
});

Deno.test("parseServeArgs() takes every option from the environment, and flags win", () => {
  const env = {
    NANOCHAT_LISTEN: "127.0.0.1:7000, [::1]:7001",
    NANOCHAT_MAX_LINE: "8192",
    NANOCHAT_MAX_CONNECTIONS: "50",
    NANOCHAT_MAX_PER_IP: "4",
    NANOCHAT_RATE: "0",
    NANOCHAT_BURST: "5",
    NANOCHAT_FLOOD_KICK: "9",
    NANOCHAT_IDLE_TIMEOUT: "0",
    NANOCHAT_LOGIN_TIMEOUT: "3",
    NANOCHAT_HISTORY: "7",
    NANOCHAT_MAX_OUTBOX: "65536",
    NANOCHAT_METRICS: ":9100",
    NANOCHAT_LOG_FORMAT: "json",
    NANOCHAT_LOG_MESSAGES: "true",
    NANOCHAT_DATA: "/srv/chat.db",
  };
  const fromEnv = parse([], env);
  assert.deepEqual(fromEnv.listen, [{ hostname: "127.0.0.1", port: 7000 }, {
    hostname: "::1",
    port: 7001,
  }]);
  assert.deepEqual(fromEnv.server, {
    maxConnections: 50,
    maxConnectionsPerIp: 4,
    rateLinesPerSecond: 0,
    burstLines: 5,
    floodKickMs: 9000,
    maxLineBytes: 8192,
    maxOutboxBytes: 65536,
    loginTimeoutMs: 3000,
    idleTimeoutMs: 0,
    historyLines: 7,
    metrics: { hostname: "127.0.0.1", port: 9100 },
    logMessages: true,
    dataPath: "/srv/chat.db",
  });
  assert.equal(fromEnv.logFormat, "json");

  const flagsWin = parse(["--listen", ":8000", "--max-line", "100", "--log-format", "text"], env);
  assert.deepEqual(flagsWin.listen, [{ hostname: "0.0.0.0", port: 8000 }]);
  assert.equal(flagsWin.server.maxLineBytes, 100);
  assert.equal(
    flagsWin.server.maxConnections,
    50,
    "what no flag names still comes from the environment",
  );
  assert.equal(flagsWin.logFormat, "text");
});

Deno.test("parseServeArgs() rejects bad values from the environment by name", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ NANOCHAT_MAX_LINE: "big" }, /--max-line needs a whole number/],
    [{ NANOCHAT_LOG_FORMAT: "xml" }, /--log-format must be text or json/],
    [{ NANOCHAT_LOG_MESSAGES: "maybe" }, /NANOCHAT_LOG_MESSAGES must be true or false/],
    [{ NANOCHAT_LISTEN: "host:99999" }, /Invalid port "99999"/],
    [{ NANOCHAT_TLS_CERT: "c.pem" }, /TLS needs both --tls-cert and --tls-key/],
    [{ NANOCHAT_TLS_LISTEN: ":7778" }, /--tls-listen needs --tls-cert and --tls-key/],
  ];
  for (const [env, pattern] of cases) {
    assert.throws(() => parseServeArgs([], (name) => env[name]), pattern, JSON.stringify(env));
  }
});

Deno.test("parseServeArgs() keeps the defaults when nothing is set", () => {
  const command = parse([], {});
  assert.deepEqual(command.server, { dataPath: "nanochat.db" }, "durable by default");
  assert.deepEqual(parse(["--in-memory"], {}).server, {});
  assert.deepEqual(parse([], { NANOCHAT_DATA: "/var/lib/nanochat/chat.db" }).server, {
    dataPath: "/var/lib/nanochat/chat.db",
  });
  assert.throws(() => parse(["--in-memory", "--data", "x.db"], {}), TypeError);
  assert.deepEqual(command.listen, []);
  assert.deepEqual(command.tlsListen, []);
  assert.equal(command.logFormat, "text");
  assert.equal(parseServeArgs(["--help"], noEnv), "help");
});

Deno.test("nanochat serve reads NANOCHAT_ variables when --allow-env grants them", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env=NANOCHAT_*",
      new URL("../../main.ts", import.meta.url).pathname,
      "serve",
    ],
    env: {
      NANOCHAT_LISTEN: "127.0.0.1:0",
      NANOCHAT_LOG_FORMAT: "json",
      NANOCHAT_HISTORY: "0",
      NANOCHAT_IN_MEMORY: "true",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const { value } = await reader.read();
    const first = JSON.parse(value!.split("\n")[0]!);
    assert.equal(first.event, "listening");
    assert.match(first.addr, /^127\.0\.0\.1:\d+$/);
    assert.equal(first.tls, false);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await reader.cancel();
  }
});

Deno.test("nanochat serve --log-format json writes one JSON object per event", async () => {
  await using server = await ServerProcess.start(["--log-format", "json"]);
  await using alice = await TestClient.login(server.port, "alice");
  await alice.readLine();
  await alice.send("QUIT");
  await alice.readUntilClosed();
  await server.stderr.waitFor(/"event":"disconnect"/);
  const events = server.stderr.lines.map((line) => JSON.parse(line));
  assert.deepEqual(events.map((event) => event.event), [
    "listening",
    "data",
    "limits",
    "connect",
    "login",
    "disconnect",
  ]);
  assert.equal(events[5].reason, "quit");
  assert.equal(events[5].name, "alice");
  assert.equal(events[4].conn, events[5].conn);
  assert.match(events[0].time, /^\d{4}-\d\d-\d\dT/);
});

Deno.test("nanochat serve --help lists every option with its environment variable rule", async () => {
  const { stdout } = await runCli(["serve", "--help"]);
  for (
    const flag of [
      "--listen",
      "--tls-listen",
      "--tls-cert",
      "--tls-key",
      "--max-connections",
      "--max-per-ip",
      "--rate",
      "--burst",
      "--flood-kick",
      "--metrics",
      "--log-format",
      "--idle-timeout",
      "--history",
    ]
  ) {
    assert.ok(stdout.includes(flag), flag);
  }
  assert.match(stdout, /NANOCHAT_MAX_LINE/);
});

Deno.test("parseServeArgs() lets a positional address win over NANOCHAT_LISTEN", () => {
  const command = parse(["127.0.0.1:7000"], { NANOCHAT_LISTEN: "127.0.0.1:7001" });
  assert.deepEqual(command.listen, [{ hostname: "127.0.0.1", port: 7000 }]);
});

Deno.test("parseServeArgs() refuses timeouts longer than a timer can wait", () => {
  assert.throws(
    () => parse(["--idle-timeout", "3000000"]),
    /--idle-timeout needs a whole number from 0 to 2147482/,
  );
  assert.equal(parse(["--idle-timeout", "2147482"]).server.idleTimeoutMs, 2_147_482_000);
});

Deno.test("parseServeArgs() takes --operators as a repeatable, comma-separated list", () => {
  assert.deepEqual(parse(["--operators", "alice, bob", "--operators", "carol"]).server.operators, [
    "alice",
    "bob",
    "carol",
  ]);
  assert.deepEqual(parse([], { NANOCHAT_OPERATORS: "dave,erin" }).server.operators, [
    "dave",
    "erin",
  ]);
});

Deno.test("parseServeArgs() takes --http and --web-origin, and refuses an origin with a path", () => {
  const command = parse([
    "--http",
    ":8081",
    "--web-origin",
    "https://chat.example.org, http://a:81",
  ]);
  assert.deepEqual(command.server.http, { hostname: "0.0.0.0", port: 8081 });
  assert.deepEqual(command.server.webOrigins, ["https://chat.example.org", "http://a:81"]);
  assert.deepEqual(parse([], { NANOCHAT_HTTP: "127.0.0.1" }).server.http, {
    hostname: "127.0.0.1",
    port: 8080,
  });
  assert.equal(parse([]).server.http, undefined, "off by default");
  assert.throws(
    () => parse(["--web-origin", "https://chat.example.org/"]),
    /--web-origin: "https:\/\/chat\.example\.org\/" is not an origin/,
  );
});

Deno.test("nanochat serve --http serves the page beside the chat port", async () => {
  await using server = await ServerProcess.start(["--http", "127.0.0.1:0"]);
  const response = await fetch(`http://127.0.0.1:${await server.webPort()}/`);
  assert.equal(response.status, 200);
  assert.match(await response.text(), /^<!doctype html>/i);
});

Deno.test("nanochat serve --http keeps descriptors for the page's connections out of the clients' budget", async () => {
  const flags = ["--max-new-per-ip", "0"];
  const options = { openFileLimit: 512, permissions: ["--allow-read=/dev/null"] };
  await using plain = await ServerProcess.start(flags, options);
  await using web = await ServerProcess.start([...flags, "--http", "127.0.0.1:0"], options);
  const budget = async (server: ServerProcess) =>
    Number(
      /max-connections=(\d+)/.exec(await server.stderr.waitFor(/ limits max-connections=/))![1],
    );
  // 256 HTTP connections and 32 closing WebSockets at most: that many fewer clients.
  assert.equal(await budget(plain) - await budget(web), 256 + 32);
});
