/**
 * The server side of the WebSocket opening handshake (RFC 6455, section
 * 4.2): which upgrade requests are accepted, and the `101` answer.
 *
 * The `Origin` check is what stops cross-site WebSocket hijacking: a
 * browser lets any site open a WebSocket to any server with its visitor's
 * network position, and says which site it was in `Origin`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { HttpRequest, HttpResponse } from "./http_server.ts";

/** The GUID every accept key is derived with (section 1.3). */
const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/**
 * The `Sec-WebSocket-Accept` value for a client's key.
 *
 * @param key The client's `Sec-WebSocket-Key`.
 * @returns base64(SHA-1(key + GUID)).
 *
 * @example The example of RFC 6455, section 1.3
 * ```ts
 * import { acceptKey } from "./websocket_handshake.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * ```
 */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + WEBSOCKET_GUID).digest("base64");
}

/**
 * Whether a browser on `origin` may connect: the page's own origin (the
 * listener's scheme and the request's `Host`), or one of `allowed`.
 *
 * @param request The upgrade request.
 * @param allowed Further origins, such as `https://chat.example.org`.
 * @returns True when there is no `Origin` (not a browser) or it is allowed.
 */
export function originAllowed(request: HttpRequest, allowed: readonly string[]): boolean {
  const origin = request.headers.get("origin");
  if (origin === undefined) return true;
  const host = request.headers.get("host");
  const own = host === undefined ? undefined : `${request.tls ? "https" : "http"}://${host}`;
  const wanted = origin.toLowerCase();
  return wanted === own?.toLowerCase() || allowed.some((entry) => entry.toLowerCase() === wanted);
}

/**
 * Checks an upgrade request.
 *
 * @param request The request for the WebSocket's path.
 * @param allowedOrigins Origins allowed besides the page's own.
 * @returns The client's key to accept, or the error to answer instead.
 */
export function checkUpgrade(
  request: HttpRequest,
  allowedOrigins: readonly string[],
): { key: string } | { refusal: HttpResponse } {
  const { headers } = request;
  const tokens = (name: string) =>
    (headers.get(name) ?? "").toLowerCase().split(",").map((token) => token.trim());
  if (request.method !== "GET") {
    return { refusal: { status: 405, headers: { allow: "GET" }, body: "Use GET\n" } };
  }
  if (!tokens("upgrade").includes("websocket") || !tokens("connection").includes("upgrade")) {
    return {
      refusal: { status: 426, headers: { upgrade: "websocket" }, body: "WebSocket only\n" },
    };
  }
  if (headers.get("sec-websocket-version") !== "13") {
    return {
      refusal: {
        status: 426,
        headers: { "sec-websocket-version": "13" },
        body: "WebSocket version 13 only\n",
      },
    };
  }
  const key = headers.get("sec-websocket-key") ?? "";
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) {
    return { refusal: { status: 400, body: "Bad Sec-WebSocket-Key\n" } };
  }
  if (!originAllowed(request, allowedOrigins)) {
    return { refusal: { status: 403, body: "This origin may not connect\n" } };
  }
  return { key };
}

/**
 * The `101 Switching Protocols` answer that opens the WebSocket.
 *
 * @param key The client's key.
 * @returns The response head.
 */
export function upgradeResponse(key: string): Uint8Array {
  return new TextEncoder().encode(
    "HTTP/1.1 101 Switching Protocols\r\n" +
      "Upgrade: websocket\r\n" +
      "Connection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
  );
}
