/**
 * The watchdog that tells when a `node:net` server stopped accepting (Deno
 * 2.9.6's do, for good, after one EMFILE), against real loopback sockets:
 * a listener that never accepts stands for a stopped one.
 */
import assert from "@nanochat/assert";
import * as net from "node:net";
import { AcceptWatchdog } from "../../transport/accept_watchdog.ts";

const TIMING = { intervalMs: 100, timeoutMs: 200 };

/**
 * Resolves when `onStopped` is called (the watchdog is closed by then);
 * rejects if it is not within 5 s. The watchdog's timers do not keep the
 * process alive: the deadline does.
 */
async function watch(port: number): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const deadline = setTimeout(() => reject(new Error("not found stopped within 5 s")), 5_000);
  const watchdog = new AcceptWatchdog({ hostname: "127.0.0.1", port }, resolve, TIMING);
  try {
    await promise;
  } finally {
    clearTimeout(deadline);
    watchdog.close();
    // Let the check's socket finish closing.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("a listener that takes connections but never hands them over is found stopped", async () => {
  // The kernel queues connections for it; nobody accepts them.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await watch(listener.addr.port);
});

Deno.test("a listener whose accept queue is full is found stopped", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  // Past the queue's length (511 here) the kernel drops SYNs: the check never even connects.
  const queued: net.Socket[] = [];
  for (let i = 0; i < 600; i++) {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    queued.push(socket);
  }
  try {
    await watch(port);
  } finally {
    for (const socket of queued) socket.destroy();
  }
});

Deno.test("a port nobody listens on any more is found stopped", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await watch(port);
});

Deno.test("a server that accepts is left alone, and its clients are handed on", async () => {
  const taken: net.Socket[] = [];
  // The server needs the watchdog, which needs the server's port.
  const late: { watchdog?: AcceptWatchdog } = {};
  const server = net.createServer((socket) =>
    late.watchdog!.accepted(socket, (client) => {
      taken.push(client);
      client.destroy();
    })
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  let stopped = false;
  const watchdog = new AcceptWatchdog(
    { hostname: "127.0.0.1", port },
    () => stopped = true,
    TIMING,
  );
  late.watchdog = watchdog;
  try {
    // Quiet for several checks, then a client.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(taken.length, 0, "the checks' own connections are not handed on");
    const client = net.connect(port, "127.0.0.1");
    client.on("error", () => {});
    await new Promise((resolve) => client.once("close", resolve));
    assert.equal(taken.length, 1, "a client is");
    assert.equal(stopped, false);
  } finally {
    watchdog.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
