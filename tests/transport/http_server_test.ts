import assert from "@nanochat/assert";
import { HttpServer } from "../../transport/http_server.ts";

const encoder = new TextEncoder();

async function exchange(port: number, request: string): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(request));
  let text = "";
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  for (let count = await conn.read(buffer); count !== null; count = await conn.read(buffer)) {
    text += decoder.decode(buffer.subarray(0, count), { stream: true });
  }
  return text;
}

function start() {
  return HttpServer.listen(
    { hostname: "127.0.0.1", port: 0 },
    ({ method, path }) => ({ status: path === "/x" ? 200 : 404, body: `${method} ${path}\n` }),
    { headerTimeoutMs: 200, maxConnections: 2, maxHeaderBytes: 256 },
  );
}

Deno.test("HttpServer answers one request and closes", async () => {
  const server = start();
  try {
    const response = await exchange(server.addr.port, "GET /x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n");
    assert.match(response, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(response, /\r\nconnection: close\r\n/);
    assert.match(response, /\r\n\r\nGET \/x\n$/);
    const head = await exchange(server.addr.port, "HEAD /x HTTP/1.0\r\n\r\n");
    assert.match(head, /content-length: 8\r\nconnection: close\r\n\r\n$/, "no body");
  } finally {
    await server.close();
  }
});

Deno.test("HttpServer closes a client that does not finish its request head in time", async () => {
  const server = start();
  try {
    using slow = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await slow.write(encoder.encode("GET /x HTTP/1.1\r\nHost: a\r\n"));
    assert.equal(await slow.read(new Uint8Array(64)), null, "closed with no answer");
  } finally {
    await server.close();
  }
});

Deno.test("HttpServer closes connections past its cap at once", async () => {
  const server = start();
  try {
    using _first = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    using _second = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    const third = await exchange(server.addr.port, "GET /x HTTP/1.1\r\n\r\n");
    assert.equal(third, "", "a whole request, but over the cap: closed unanswered");
  } finally {
    await server.close();
  }
});

Deno.test("HttpServer answers a head past its size with 431 and nonsense with 400", async () => {
  const server = start();
  try {
    const large = await exchange(
      server.addr.port,
      `GET /x HTTP/1.1\r\nX: ${"a".repeat(300)}\r\n\r\n`,
    );
    assert.match(large, /^HTTP\/1\.1 431 /);
    assert.match(await exchange(server.addr.port, "nonsense\r\n\r\n"), /^HTTP\/1\.1 400 /);
  } finally {
    await server.close();
  }
});
