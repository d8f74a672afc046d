/**
 * The web front-end's HTTP side: the page's files at `/`, `/app.js` and
 * `/app.css`, and the WebSocket's handshake at `/ws`, whose connections it
 * hands to the server. Every answer carries the security headers below.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../protocol/address.ts";
import { parseIPv4, parseIPv6 } from "../protocol/ip_address.ts";
import {
  type HttpRequest,
  type HttpResponse,
  HttpServer,
  type HttpUpgrade,
} from "../transport/http_server.ts";
import type { ByteConn } from "../transport/line_connection.ts";
import { checkUpgrade } from "../transport/websocket_handshake.ts";
import { PAGE_FILES } from "../web/assets.ts";
import type { ListenAddress } from "./config.ts";
import { addressKey, type AddressList } from "./connection_limits.ts";

/** The WebSocket's path. */
export const WEBSOCKET_PATH = "/ws";

/**
 * Sent with every answer: the page may run only its own script and style,
 * connect only to its own server, and be framed by nobody; nothing it
 * loads is sniffed into another type; no address leaks to other sites.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/**
 * HTTP connections open at once (page loads and handshakes; open WebSockets
 * are not counted): enough for a crowd reconnecting after a restart, each
 * holding at most 8 KiB of request head for at most 5 s.
 */
export const MAX_HTTP_CONNECTIONS = 256;

/** What the endpoint needs of the server. */
export interface WebEndpointOptions {
  /** Origins besides the page's own that may open the WebSocket. */
  readonly origins: readonly string[];
  /**
   * Takes an accepted WebSocket handshake: the server answers `101` (or
   * refuses) and runs the session.
   */
  readonly onWebSocket: (
    conn: ByteConn,
    rest: Uint8Array,
    request: HttpRequest,
    key: string,
  ) => void;
  /** Told about accept errors the server went on after. */
  readonly onAcceptError: (error: unknown) => void;
  /**
   * HTTP connections open at once from one address (IPv6: one /64), as
   * `--max-per-ip`: one address holding all of them would shut everyone
   * else out of the page for the head's timeout.
   */
  readonly maxPerAddress: number;
  /** Addresses free of the per-address cap (trusted proxies, `--limit-exempt`). */
  readonly exempt?: (ip: string) => boolean;
}

/**
 * Serves the page and the WebSocket's handshake.
 *
 * @param address Where to listen; HTTPS when it has `tls`.
 * @param options The origins allowed and where WebSockets go.
 * @returns The HTTP server; stop it with `close()`.
 * @throws {Error} Naming the address, with the listen error as its cause.
 */
export function serveWeb(address: ListenAddress, options: WebEndpointOptions): HttpServer {
  try {
    const open = new Map<string, number>();
    const admit = (peer: Deno.NetAddr) => {
      if (options.exempt?.(peer.hostname)) return { release: () => {} };
      const key = addressKey(peer.hostname);
      const count = open.get(key) ?? 0;
      if (count >= options.maxPerAddress) return undefined;
      open.set(key, count + 1);
      return {
        release: () => {
          const left = open.get(key)! - 1;
          if (left === 0) open.delete(key);
          else open.set(key, left);
        },
      };
    };
    return HttpServer.listen(address, (request) => respond(request, options), {
      maxConnections: MAX_HTTP_CONNECTIONS,
      admit,
      onAcceptError: options.onAcceptError,
      ...(address.tls ? { tls: address.tls } : {}),
    });
  } catch (error) {
    const kind = address.tls ? "HTTPS" : "HTTP";
    throw new Error(`cannot serve ${kind} on ${formatHostPort(address)}`, { cause: error });
  }
}

function respond(request: HttpRequest, options: WebEndpointOptions): HttpResponse | HttpUpgrade {
  if (request.path === WEBSOCKET_PATH) {
    const checked = checkUpgrade(request, options.origins);
    if ("refusal" in checked) return withSecurityHeaders(checked.refusal);
    return {
      upgrade: (conn, rest) => options.onWebSocket(conn, rest, request, checked.key),
    };
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return withSecurityHeaders({
      status: 405,
      headers: { allow: "GET, HEAD" },
      body: "Method not allowed\n",
    });
  }
  const file = PAGE_FILES.get(request.path);
  if (file === undefined) return withSecurityHeaders({ status: 404, body: "Not found\n" });
  return withSecurityHeaders({
    status: 200,
    headers: { "content-type": file.contentType },
    body: file.body,
  });
}

function withSecurityHeaders(response: HttpResponse): HttpResponse {
  return { ...response, headers: { ...SECURITY_HEADERS, ...response.headers } };
}

/**
 * A WebSocket client's address: the last `X-Forwarded-For` entry when the
 * connection comes from a trusted proxy (the one the proxy itself saw),
 * else the connection's own.
 *
 * @param request The upgrade request.
 * @param trustedProxies The proxies whose forwarding header is believed.
 * @returns The client's address (port 0 when it is the forwarded one).
 */
export function webSocketClient(
  request: HttpRequest,
  trustedProxies: AddressList | undefined,
): HostPort {
  const forwarded = request.headers.get("x-forwarded-for");
  if (forwarded === undefined || !trustedProxies?.includes(request.peer.hostname)) {
    return request.peer;
  }
  const last = forwarded.split(",").at(-1)!.trim();
  const valid = parseIPv4(last) !== undefined || parseIPv6(last) !== undefined;
  return valid ? { hostname: last, port: 0 } : request.peer;
}
