/**
 * Reconnecting after a server restart or a lost connection (issue 17, item
 * 6): in a real terminal (tmux) the draft survives and each change of state
 * is said once; a `--listen` logger goes on logging and does not log the
 * replayed history twice.
 */

import assert from "@nanochat/assert";
import { Logger } from "../../server/log.ts";
import { type ChatServer, serve } from "../../server/server.ts";
import { NanochatProcess } from "../support/cli_process.ts";
import { startClientPane } from "../support/client_pane.ts";
import { TestClient } from "../support/test_client.ts";
import { hasTmux } from "../support/tmux.ts";
import { startServer } from "../support/test_server.ts";

const ignore = !hasTmux;

/** A real server again on the port of one that stopped, as a restart brings it back. */
function restartOn(port: number): Promise<ChatServer> {
  return serve({
    maxConnectionsPerIp: 100_000,
    maxNewConnectionsPerIp: 0,
    rateLinesPerSecond: 0,
    listen: [{ hostname: "127.0.0.1", port }],
    logger: new Logger(() => {}),
  });
}

/** Logs in with a raw client and reads the welcome. */
async function loginTo(port: number, name: string): Promise<TestClient> {
  const client = await TestClient.login(port, name);
  const welcome = await client.readLine();
  assert.match(welcome, /^NOTICE welcome: /);
  return client;
}

/** Forwards TCP connections to a port, and can cut them all, as a network that fails. */
class Forwarder implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #pairs: Deno.Conn[][] = [];
  readonly #pipes: Promise<unknown>[] = [];
  readonly #accepting: Promise<void>;

  constructor(target: number) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept(target);
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  /** Closes every forwarded connection, both ways. */
  cutAll(): void {
    for (const conn of this.#pairs.splice(0).flat()) {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    }
  }

  async #accept(target: number): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
        this.#pairs.push([conn, upstream]);
        const options = { preventClose: true, preventAbort: true, preventCancel: true };
        this.#pipes.push(
          conn.readable.pipeTo(upstream.writable, options).catch(() => {}),
          upstream.readable.pipeTo(conn.writable, options).catch(() => {}),
        );
      }
    } catch {
      // The listener was closed.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    this.cutAll();
    await Promise.all(this.#pipes);
  }
}

Deno.test({
  name: "interactive client: reconnects after a server restart, draft intact, one line per change",
  ignore,
  async fn() {
    const ts = await startServer();
    const port = ts.port;
    await using alice = await startClientPane(port, ["alice"]);
    await alice.waitForText("-- Connected to");
    const draft = "a draft that wraps past the edge of the window ".repeat(3).trim();
    await alice.type(draft);
    await alice.waitForText("of the window");
    await ts.server.shutdown();
    await alice.waitForText("-- Connection lost: the server shut down.");
    const restarted = await restartOn(port);
    try {
      const screen = await alice.waitForText("-- Reconnected to");
      assert.equal(screen.match(/Connection lost/g)?.length, 1, screen);
      assert.equal(screen.match(/Reconnected/g)?.length, 1, screen);
      assert.doesNotMatch(screen, /\[exit/, screen);
      await using carol = await loginTo(port, "carol");
      await carol.send("*welcome back");
      await alice.waitForText("carol: welcome back");
      await alice.sendKeys("Enter");
      assert.equal(await carol.readLine(), `[alice]: ${draft}`);
      await alice.sendKeys("C-d");
      await alice.waitForText("[exit 0]");
    } finally {
      await restarted.shutdown();
    }
  },
});

Deno.test({
  name: "interactive client: --no-reconnect exits 6 when the server shuts down",
  ignore,
  async fn() {
    const ts = await startServer();
    await using alice = await startClientPane(ts.port, ["alice", "--no-reconnect"]);
    await alice.waitForText("-- Connected to");
    await ts.server.shutdown();
    const screen = await alice.waitForText("[exit 6]");
    assert.doesNotMatch(screen, /Reconnecting/);
  },
});

Deno.test("nanochat connect --listen reconnects after a lost connection and logs no line twice", async () => {
  await using ts = await startServer();
  await using forwarder = new Forwarder(ts.port);
  await using alice = await ts.login("alice");
  await alice.send("*one");
  await using logger = new NanochatProcess([
    "connect",
    `127.0.0.1:${forwarder.port}`,
    "logger",
    "--listen",
  ]);
  await logger.stdout.waitFor(/one$/);
  await alice.send("*two");
  await logger.stdout.waitFor(/two$/);

  const since = ts.log.length;
  forwarder.cutAll();
  await ts.waitForLog(/disconnect .*name=logger/, since);
  await logger.stderr.waitFor(/^nanochat: connection lost \(.*\); reconnecting$/);
  await alice.send("*three"); // missed while away: the replay brings it
  await ts.waitForLog(/ login .*name=logger$/, since);
  await logger.stderr.waitFor(/^nanochat: reconnected to 127\.0\.0\.1:\d+$/);
  await alice.send("*four");
  await logger.stdout.waitFor(/four$/);

  const chat = logger.stdout.lines.filter((line) => /(one|two|three|four)$/.test(line));
  assert.equal(chat.length, 4, logger.stdout.lines.join("\n"));
  assert.match(chat[0]!, /^HISTORY \S+ \[alice\]: one$/);
  assert.equal(chat[1], "[alice]: two");
  assert.match(chat[2]!, /^HISTORY \S+ \[alice\]: three$/);
  assert.equal(chat[3], "[alice]: four");
  assert.equal((await logger.stop("SIGTERM")).code, 0);
});
