/**
 * Registered names and moderation in the client, against a real server
 * (issue 12): register in a real terminal (tmux), log in again by typing the
 * password at the echo-off prompt or with `--password-file`, a wrong or
 * missing password exits 5, reconnecting sends the password again, and a
 * kick is seen on both sides. The password is never on screen.
 */

import assert from "@nanochat/assert";
import { Logger } from "../../server/log.ts";
import { serve } from "../../server/server.ts";
import { runCli } from "../support/cli_process.ts";
import { startClientPane } from "../support/client_pane.ts";
import { hasTmux, type TmuxPane } from "../support/tmux.ts";
import { startServer, type TestServer } from "../support/test_server.ts";

const ignore = !hasTmux;

const PASSWORD = "hunter2-correct-horse";

/** Starts `nanochat connect` in tmux without colour. */
function terminalClient(
  port: number,
  name: string,
  args: string[] = [],
  permissions: string[] = [],
): Promise<TmuxPane> {
  return startClientPane(port, [name, ...args], { permissions });
}

/** Fails if the password was ever on the pane, scrollback included. */
async function assertNeverShown(pane: TmuxPane, password: string): Promise<void> {
  const everything = await pane.scrollback();
  assert.ok(!everything.includes(password), `the password was on screen:\n${everything}`);
}

/** Registers a name with a raw connection, as a user of nc would. */
async function register(ts: TestServer, name: string, password: string): Promise<void> {
  const client = await ts.login(name);
  try {
    await client.send(`REGISTER ${password}`);
    assert.match(await client.readLine(), /^NOTICE registered: /);
  } finally {
    await client.close();
  }
}

/** A password file only its owner may read, in a temporary directory. */
class PasswordFile implements Disposable {
  readonly dir = Deno.makeTempDirSync();
  readonly path = `${this.dir}/password`;

  constructor(password: string) {
    Deno.writeTextFileSync(this.path, `${password}\n`, { mode: 0o600 });
    Deno.chmodSync(this.path, 0o600);
  }

  /** The permission the client needs to read it. */
  get permission(): string {
    return `--allow-read=${this.path}`;
  }

  [Symbol.dispose](): void {
    Deno.removeSync(this.dir, { recursive: true });
  }
}

Deno.test({
  name: "terminal client: /register hides the password, then the prompt logs in with echo off",
  ignore,
  async fn() {
    await using ts = await startServer();
    {
      await using alice = await terminalClient(ts.port, "alice");
      await alice.waitForText("Welcome to nanochat");
      await alice.enter("hello");
      await alice.waitForText("alice (you): hello");
      await alice.type(`/register ${PASSWORD}`);
      // Stars while typing, as many as typed.
      await alice.waitForText(`#lobby> /register ${"*".repeat(PASSWORD.length)}`);
      await alice.sendKeys("Enter");
      await alice.waitForText("-- alice is registered to you now");
      await alice.waitForText("-- /register ********");
      // Up recalls the line before, never the password.
      await alice.sendKeys("Up");
      await alice.waitForText("#lobby> hello");
      await assertNeverShown(alice, PASSWORD);
      await alice.sendKeys("C-u", "C-d");
      await alice.waitForText("[exit 0]");
    }
    await using again = await terminalClient(ts.port, "alice");
    await again.waitForText("Password for alice:");
    await again.type(PASSWORD.slice(0, 6));
    await again.type("x");
    await again.sendKeys("BSpace");
    await again.type(PASSWORD.slice(6));
    // Nothing typed is drawn, not even stars.
    const typing = await again.screen();
    assert.ok(!typing.includes("*") && !typing.includes(PASSWORD.slice(0, 6)), typing);
    await again.sendKeys("Enter");
    await again.waitForText("Welcome to nanochat 0.1.0, alice!");
    await assertNeverShown(again, PASSWORD);
    await again.sendKeys("Up"); // history is empty: the password is not in it
    await again.sendKeys("C-d");
    await again.waitForText("[exit 0]");
    await assertNeverShown(again, PASSWORD);
  },
});

Deno.test({
  name: "terminal client: Ctrl-C at the password prompt quits with exit code 0",
  ignore,
  async fn() {
    await using ts = await startServer();
    await register(ts, "alice", PASSWORD);
    await using alice = await terminalClient(ts.port, "alice");
    await alice.waitForText("Password for alice:");
    await alice.type("half");
    await alice.sendKeys("C-c");
    await alice.waitForText("[exit 0]");
  },
});

Deno.test({
  name: "terminal client: --password-file logs in without asking; a wrong password exits 5",
  ignore,
  async fn() {
    await using ts = await startServer();
    await register(ts, "alice", PASSWORD);
    {
      using file = new PasswordFile(PASSWORD);
      await using alice = await terminalClient(
        ts.port,
        "alice",
        ["--password-file", file.path],
        [file.permission],
      );
      await alice.waitForText("Welcome to nanochat 0.1.0, alice!");
      assert.doesNotMatch(await alice.screen(), /Password for/);
      await alice.sendKeys("C-d");
      await alice.waitForText("[exit 0]");
    }
    using wrong = new PasswordFile("not-the-password");
    await using alice = await terminalClient(
      ts.port,
      "alice",
      ["--password-file", wrong.path],
      [wrong.permission],
    );
    const screen = await alice.waitForText("[exit 5]");
    assert.match(screen, /Login refused: Wrong password for alice/);
    assert.doesNotMatch(screen, /Connected to/);
  },
});

Deno.test("nanochat connect in a script: --password-file logs in, wrong or none exits 5", async () => {
  await using ts = await startServer();
  await register(ts, "alice", PASSWORD);
  const address = `127.0.0.1:${ts.port}`;
  {
    using file = new PasswordFile(PASSWORD);
    const result = await runCli(
      ["connect", address, "alice", "--password-file", file.path],
      "hi\n",
      [file.permission],
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^NOTICE welcome: Welcome to nanochat 0\.1\.0, alice!/);
    assert.ok(!result.stdout.includes(PASSWORD) && !result.stderr.includes(PASSWORD));
  }
  {
    using wrong = new PasswordFile("not-the-password");
    const result = await runCli(
      ["connect", address, "alice", "--password-file", wrong.path],
      "",
      [wrong.permission],
    );
    assert.deepEqual(result, {
      code: 5,
      stdout: "ERROR password-wrong: Wrong password for alice\n",
      stderr: "nanochat: login refused: Wrong password for alice\n",
    });
  }
  const none = await runCli(["connect", address, "alice"], "hi\n");
  assert.deepEqual(none, {
    code: 5,
    stdout: "",
    stderr: "nanochat: alice is registered: give --password-file\n",
  });
  const missing = await runCli(
    ["connect", address, "alice", "--password-file", "/nonexistent/pw"],
    "",
    ["--allow-read=/nonexistent/pw"],
  );
  assert.deepEqual(missing, {
    code: 2,
    stdout: "",
    stderr: "nanochat: cannot read the password file /nonexistent/pw: there is no such file\n",
  });
});

Deno.test({
  name: "terminal client: reconnecting after a restart sends the password registered meanwhile",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const dataPath = `${dir}/nanochat.db`;
    try {
      const ts = await startServer({ dataPath });
      const port = ts.port;
      await using alice = await terminalClient(port, "alice");
      await alice.waitForText("Welcome to nanochat");
      await alice.enter(`/register ${PASSWORD}`);
      await alice.waitForText("-- alice is registered to you now");
      await ts.server.shutdown();
      await alice.waitForText("-- Connection lost: the server shut down.");
      const restarted = await serve({
        maxConnectionsPerIp: 100_000,
        maxNewConnectionsPerIp: 0,
        rateLinesPerSecond: 0,
        dataPath,
        listen: [{ hostname: "127.0.0.1", port }],
        logger: new Logger(() => {}),
      });
      try {
        const screen = await alice.waitForText("-- Reconnected to");
        assert.doesNotMatch(screen, /Password for|Wrong password|\[exit/, screen);
        await assertNeverShown(alice, PASSWORD);
        await alice.sendKeys("C-d");
        await alice.waitForText("[exit 0]");
      } finally {
        await restarted.shutdown();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "terminal client: a kick is seen by the operator and the kicked user, whose prompt moves",
  ignore,
  async fn() {
    await using ts = await startServer({ operators: ["alice"] });
    await register(ts, "alice", PASSWORD);
    using file = new PasswordFile(PASSWORD);
    await using alice = await terminalClient(
      ts.port,
      "alice",
      ["--password-file", file.path],
      [file.permission],
    );
    await alice.waitForText("Welcome to nanochat 0.1.0, alice!");
    await using bob = await terminalClient(ts.port, "bob");
    await bob.waitForText("Welcome to nanochat 0.1.0, bob!");
    await bob.enter("/join #rust");
    await bob.waitForText("#rust>");
    await alice.enter("/join #rust");
    await alice.waitForText("-- You joined #rust: 2 users.");

    await alice.enter("/kick #rust bob spamming");
    await alice.waitForText("-- bob was kicked by alice (spamming)");
    const screen = await bob.waitForText("-- bob was kicked by alice (spamming)");
    assert.match(screen, /\[#rust\] -- bob was kicked by alice \(spamming\)/);
    await bob.waitForScreen(
      (text) => text.trimEnd().split("\n").at(-1)?.trimEnd() === "#lobby>",
      "bob's prompt back in #lobby",
    );

    // Not an operator: refused, in the client's words.
    await bob.enter("/kick alice");
    await bob.waitForText("! Only operators of #lobby may /kick there");
    await bob.enter("/quit");
    await bob.waitForText("[exit 0]");
    await alice.sendKeys("C-d");
    await alice.waitForText("[exit 0]");
  },
});
