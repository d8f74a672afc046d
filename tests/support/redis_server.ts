/**
 * A real `redis-server` on a free loopback port for one test, with AOF
 * when asked and the DEBUG command enabled for loopback clients, so tests
 * can pause, kill and restart it.
 *
 * @module
 */

import { createClient } from "redis";

/** A connected node-redis client, as the cluster code uses it. */
export type RedisClient = ReturnType<typeof createClient>;

/** A running redis-server. */
export class RedisServer implements AsyncDisposable {
  readonly port: number;
  readonly #dir: string;
  readonly #aof: boolean;
  #child: Deno.ChildProcess | undefined;

  private constructor(port: number, dir: string, aof: boolean) {
    this.port = port;
    this.#dir = dir;
    this.#aof = aof;
  }

  /**
   * Starts one.
   *
   * @param options `aof`: append-only file, fsync every second, in a fresh directory.
   */
  static async start(options: { aof?: boolean } = {}): Promise<RedisServer> {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    const dir = await Deno.makeTempDir({ prefix: "nanochat-redis-" });
    const server = new RedisServer(port, dir, options.aof ?? false);
    await server.restart();
    return server;
  }

  /** The URL clients connect with. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it again (after {@linkcode RedisServer.kill}), with the same data directory. */
  async restart(): Promise<void> {
    this.#child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.#dir,
        "--save",
        "",
        "--appendonly",
        this.#aof ? "yes" : "no",
        "--appendfsync",
        "everysec",
        "--enable-debug-command",
        "local",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let attempt = 0;; attempt++) {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
        conn.close();
        return;
      } catch (error) {
        if (attempt >= 200) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  }

  /** Kills it with SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined) return;
    child.kill("SIGKILL");
    await child.status;
  }

  /** A client for the test itself, connected; quit it before the test ends. */
  async client(): Promise<RedisClient> {
    const client = createClient({ url: this.url, disableOfflineQueue: true });
    client.on("error", () => {}); // reconnects by itself; tests look at results
    await client.connect();
    return client;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
    await Deno.remove(this.#dir, { recursive: true });
  }
}
