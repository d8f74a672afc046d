/**
 * A TLS connection that does not check the server's certificate, for
 * `nanochat connect --insecure` (self-signed test servers).
 *
 * Deno's own `connectTls` always verifies the chain and has no per-connection
 * way out, so this goes through `node:tls` with `rejectUnauthorized: false`
 * and adapts its socket to the `read`/`write`/`close` shape a
 * {@linkcode ByteConn} has.
 *
 * @module
 */

import { isIP } from "node:net";
import * as tls from "node:tls";
import type { ByteConn } from "../transport/line_connection.ts";
import { NodeSocketConn } from "../transport/node_socket_conn.ts";

/**
 * Connects with TLS, accepting any certificate.
 *
 * @param hostname The server's name, also sent as SNI.
 * @param port The server's port.
 * @returns The connection, once the handshake is done.
 */
export function connectInsecureTls(hostname: string, port: number): Promise<ByteConn> {
  return new Promise((resolve, reject) => {
    // SNI carries host names only, never IP addresses.
    const sni = isIP(hostname) === 0 ? { servername: hostname } : {};
    const socket = tls.connect({ host: hostname, port, ...sni, rejectUnauthorized: false });
    socket.once("secureConnect", () => {
      socket.off("error", reject);
      resolve(new NodeSocketConn(socket, { hostname, port }));
    });
    socket.once("error", reject);
  });
}
