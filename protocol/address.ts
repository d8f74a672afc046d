/**
 * Parses `host`, `:port`, `host:port`, `[ipv6]`, `[ipv6]:port` and a bare
 * `port` into a host name and port number.
 *
 * @module
 */

/** The port nanochat uses when none is given (the original's 999 needs root). */
export const DEFAULT_PORT = 7777;

/** A host name or IP address and a TCP port. */
export interface HostPort {
  /** Host name or IP address, without IPv6 brackets. */
  hostname: string;
  /** TCP port, 0 to 65535 (0 asks the OS for a free one). */
  port: number;
}

/**
 * Parses an address written by a person.
 *
 * @param text The address, for example `localhost:7777`, `:7000`,
 * `[::1]:7777` or `7000`.
 * @param defaults What a part left out means.
 * @returns The host and port.
 * @throws {SyntaxError} If the text is not an address.
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./address.ts";
 * import assert from "node:assert/strict";
 *
 * const defaults = { hostname: "0.0.0.0", port: 7777 };
 * assert.deepEqual(parseHostPort("[::1]:8000", defaults), { hostname: "::1", port: 8000 });
 * assert.deepEqual(parseHostPort(":8000", defaults), { hostname: "0.0.0.0", port: 8000 });
 * ```
 */
export function parseHostPort(text: string, defaults: HostPort): HostPort {
  let hostname: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    const rest = text.slice(close + 1);
    if (close === -1 || (rest !== "" && !rest.startsWith(":"))) {
      throw new SyntaxError(`Invalid address "${text}": expected [ipv6] or [ipv6]:port`);
    }
    hostname = text.slice(1, close);
    portText = rest === "" ? undefined : rest.slice(1);
  } else if (/^\d+$/.test(text)) {
    hostname = "";
    portText = text;
  } else if (text.indexOf(":") !== text.lastIndexOf(":")) {
    hostname = text; // a bare IPv6 address: no port can follow it unbracketed
  } else {
    const colon = text.indexOf(":");
    hostname = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
  }
  return {
    hostname: hostname === "" ? defaults.hostname : hostname,
    port: portText === undefined ? defaults.port : parsePort(portText, text),
  };
}

function parsePort(portText: string, address: string): number {
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new SyntaxError(
      `Invalid port "${portText}" in address "${address}": expected 0 to 65535`,
    );
  }
  return port;
}

/**
 * Writes an address back the way {@linkcode parseHostPort} reads it.
 *
 * @param address The host and port.
 * @returns `host:port`, with brackets around an IPv6 host.
 */
export function formatHostPort(address: HostPort): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}
