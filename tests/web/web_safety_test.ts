/**
 * The WebSocket's defences as a real browser meets them: a page on another
 * site cannot open it with its visitor's browser, and a message over the
 * line limit closes it with 1009. (A page that stops reading is dropped as
 * a slow reader: tested with a raw client in tests/server/websocket_test.ts,
 * since a browser reads its sockets whatever the page does.)
 */
import assert from "@nanochat/assert";
import { HAS_CHROMIUM, launchBrowser, startWebServer } from "./browser.ts";

/** Opens a WebSocket from the page (sends `send` once open) and says how it went. */
function tryWebSocket({ url, send }: { url: string; send?: string }): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.onopen = () => {
      if (send === undefined) {
        resolve("open");
        socket.close();
      } else socket.send(send);
    };
    socket.onclose = (event) => resolve(`closed ${event.code}`);
  });
}

Deno.test({
  name: "a page on another site cannot open the WebSocket; the server's own page can",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await using server = await startWebServer();
    const wsUrl = server.url.replace(/^http/, "ws") + "ws";
    // Another site: a page served from another origin (another port is another origin).
    await using other = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () =>
        new Response("<!doctype html><title>elsewhere</title>", {
          headers: { "content-type": "text/html" },
        }),
    );
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${other.addr.port}/`);
    // The handshake is refused (403): the browser reports an abnormal close.
    assert.equal(await page.evaluate(tryWebSocket, { url: wsUrl }), "closed 1006");
    await page.goto(server.url);
    assert.equal(await page.evaluate(tryWebSocket, { url: wsUrl }), "open");
  },
});

Deno.test({
  name: "a message over the line limit from a page closes its WebSocket with 1009",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await using server = await startWebServer();
    const wsUrl = server.url.replace(/^http/, "ws") + "ws";
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(server.url);
    const send = (text: string) => page.evaluate(tryWebSocket, { url: wsUrl, send: text });
    assert.equal(await send("x".repeat(4097)), "closed 1009");
    // Exactly the limit is a line: a name the server refuses (too long), with 1008.
    assert.equal(await send("x".repeat(4096)), "closed 1008");
  },
});
