/**
 * Opens the chat listeners: plain TCP with `Deno.listen`, TLS with a
 * {@linkcode TlsListener}, both behind one small interface.
 *
 * @module
 */

import { formatHostPort } from "../protocol/address.ts";
import { type TlsAdmission, type TlsConn, TlsListener } from "../transport/tls_listener.ts";
import type { ListenAddress } from "./config.ts";

/** A plain TCP listener or a {@linkcode TlsListener}. */
export interface Listener {
  readonly addr: Deno.NetAddr;
  accept(): Promise<TlsConn>;
  close(): void;
}

/**
 * Opens one listener.
 *
 * @param address Where, and the certificate and key for TLS.
 * @param handshakeTimeoutMs How long a TLS handshake may take.
 * @param admit Asked about each TLS connection before its handshake.
 * @returns The listener, listening.
 * @throws {Error} Naming the address, with the listen error as its cause.
 */
export async function listen(
  address: ListenAddress,
  handshakeTimeoutMs: number,
  admit: (ip: string, port: number) => TlsAdmission,
): Promise<Listener> {
  try {
    // Not node:net, which would cost less memory per idle connection: in Deno
    // 2.9 its listener stops accepting for good after one EMFILE (BENCHMARKS.md).
    if (!address.tls) return Deno.listen({ hostname: address.hostname, port: address.port });
    return await TlsListener.listen({
      hostname: address.hostname,
      port: address.port,
      ...address.tls,
      handshakeTimeoutMs,
      admit,
    });
  } catch (error) {
    const kind = address.tls ? " for TLS" : "";
    throw new Error(`cannot listen${kind} on ${formatHostPort(address)}`, { cause: error });
  }
}
