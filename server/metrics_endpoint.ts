/**
 * The operator's HTTP endpoint: `/metrics` in the Prometheus text format and
 * `/healthz` for load balancers, on its own address so it need not be public.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../protocol/address.ts";
import {
  type HttpRequest,
  type HttpResponse,
  HttpServer,
  type HttpServerOptions,
} from "../transport/http_server.ts";

/** What the endpoint serves. */
export interface MetricsSource {
  /** The `/metrics` body, rendered at scrape time. */
  render(): string;
}

/**
 * Serves `/metrics` and `/healthz`.
 *
 * @param address Where to listen.
 * @param source What to render.
 * @param options Timeouts, the connection cap, admission, accept errors.
 * @returns The HTTP server; stop it with `close()`.
 * @throws {Error} Naming the address, with the listen error as its cause.
 */
export function serveMetrics(
  address: HostPort,
  source: MetricsSource,
  options: HttpServerOptions = {},
): HttpServer {
  try {
    return HttpServer.listen(address, (request) => respond(request, source), options);
  } catch (error) {
    throw new Error(`cannot serve metrics on ${formatHostPort(address)}`, { cause: error });
  }
}

function respond(request: HttpRequest, source: MetricsSource): HttpResponse {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return { status: 405, headers: { allow: "GET, HEAD" }, body: "Method not allowed\n" };
  }
  switch (request.path) {
    case "/metrics":
      return {
        status: 200,
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        body: source.render(),
      };
    case "/healthz":
      return { status: 200, body: "ok\n" };
    default:
      return { status: 404, body: "Not found: try /metrics or /healthz\n" };
  }
}
