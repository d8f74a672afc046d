/**
 * Connections from a chosen loopback source address: the whole of
 * 127.0.0.0/8 is local, so one machine can play many clients' addresses.
 * Deno's own `connect` cannot choose its source; `node:net` can.
 *
 * @module
 */

import * as net from "node:net";
import { NodeSocketConn } from "../../transport/node_socket_conn.ts";

/** A connection with a chosen source address. */
export type SourcedConn = NodeSocketConn & { closeWrite(): Promise<void> };

/**
 * Connects to `127.0.0.1:port` from `source`.
 *
 * @param port The server's port.
 * @param source A loopback address such as `127.0.3.7`.
 * @returns The connection, once connected.
 */
export function connectFrom(port: number, source: string): Promise<SourcedConn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: source });
    socket.once("connect", () => {
      socket.off("error", reject);
      const conn = new NodeSocketConn(socket, { hostname: "127.0.0.1", port });
      resolve(Object.assign(conn, {
        closeWrite: () => new Promise<void>((done) => socket.end(done)),
      }));
    });
    socket.once("error", reject);
  });
}
