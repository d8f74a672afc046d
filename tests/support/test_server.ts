/**
 * Starts a real server on a free loopback port for one test, with its log
 * captured so tests can wait for server-side events.
 *
 * @module
 */

import { Logger } from "../../server/log.ts";
import { type ChatServer, serve, type ServerOptions } from "../../server/server.ts";
import { LINE_TIMEOUT_MS, TestClient } from "./test_client.ts";

/**
 * Floods from `sender` until the server drops a client that stopped reading,
 * in steps that `reader` reads in full before the next, so the reader never
 * falls behind the way the stalled client does, however loaded the machine.
 *
 * @returns How many lines were sent, and the lines the reader has read
 * (as many; a notice among them leaves that many chat lines unread).
 */
export async function floodUntilSlowReaderDropped(
  ts: TestServer,
  sender: TestClient,
  reader: TestClient,
  stalledName: string,
): Promise<{ sent: number; received: string[] }> {
  const line = "*" + "f".repeat(1000);
  const step = 500; // 500 KB: socket buffers (~4 MB here) fill within a few steps
  const dropped = new RegExp(`disconnect .*name=${stalledName} reason=slow-reader`);
  const received: string[] = [];
  let steps = 0;
  for (; !ts.log.some((entry) => dropped.test(entry)); steps++) {
    if (steps === 40) {
      throw new Error(`${stalledName} was never dropped after ${steps * step} lines`);
    }
    await sender.sendBytes(new TextEncoder().encode(`${line}\n`.repeat(step)));
    received.push(...await reader.readLines(step));
  }
  return { sent: steps * step, received };
}

/** The notices about other users coming and going. */
export const PRESENCE_NOTICE = /^(#\S+ )?NOTICE (join|part|quit|disconnect|nick): /;

/** A server under test and its log. */
export interface TestServer extends AsyncDisposable {
  readonly server: ChatServer;
  readonly port: number;
  /** Every log line so far. */
  readonly log: readonly string[];
  /** Waits for a log line at index `since` or later that matches `pattern`. */
  waitForLog(pattern: RegExp, since?: number): Promise<string>;
  /**
   * Connects a client, sends its name, and reads the welcome notice. Unless
   * `presence` is set, the client ignores join, quit, disconnect and nick
   * notices, so tests about other things read only what they are about.
   */
  login(name: string, options?: { presence?: boolean }): Promise<TestClient>;
}

/**
 * Starts a server on 127.0.0.1, on a port the OS picks.
 *
 * @param options Server options; address and logger are set here.
 */
export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const log: string[] = [];
  let wake: (() => void) | undefined;
  const server = await serve({
    // Tests drive many clients from one address, faster than people type.
    maxConnectionsPerIp: 100_000,
    maxNewConnectionsPerIp: 0,
    rateLinesPerSecond: 0,
    ...options,
    listen: [{ hostname: "127.0.0.1", port: 0 }],
    logger: new Logger((line) => {
      log.push(line);
      wake?.();
    }),
  });
  return {
    server,
    port: server.address.port,
    log,
    async waitForLog(pattern, since = 0) {
      const deadline = Date.now() + LINE_TIMEOUT_MS;
      for (;;) {
        const found = log.slice(since).find((line) => pattern.test(line));
        if (found !== undefined) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`No log line matches ${pattern}; log:\n${log.join("\n")}`);
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, left);
        });
        clearTimeout(timer);
      }
    },
    async login(name, options = {}) {
      const client = await TestClient.login(server.address.port, name);
      if (!options.presence) client.ignore(PRESENCE_NOTICE);
      const welcome = await client.readLine();
      if (!welcome.startsWith("NOTICE welcome: ")) {
        await client.close();
        throw new Error(`Login as ${name} failed: ${welcome}`);
      }
      return client;
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
