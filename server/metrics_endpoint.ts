/**
 * The operator's HTTP endpoint: `/metrics` in the Prometheus text format and
 * `/healthz` for load balancers, on its own address so it need not be public.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../protocol/address.ts";

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
 * @returns The HTTP server; shut it down with `shutdown()`.
 * @throws {Error} Naming the address, with the listen error as its cause.
 */
export function serveMetrics(
  address: HostPort,
  source: MetricsSource,
): Deno.HttpServer<Deno.NetAddr> {
  const options = { hostname: address.hostname, port: address.port, onListen() {} };
  try {
    return Deno.serve(options, (request) => respond(request, source));
  } catch (error) {
    throw new Error(`cannot serve metrics on ${formatHostPort(address)}`, { cause: error });
  }
}

function respond(request: Request, source: MetricsSource): Response {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  switch (new URL(request.url).pathname) {
    case "/metrics":
      return new Response(source.render(), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    case "/healthz":
      return new Response("ok\n", { headers: { "content-type": "text/plain; charset=utf-8" } });
    default:
      return new Response("Not found: try /metrics or /healthz\n", { status: 404 });
  }
}
