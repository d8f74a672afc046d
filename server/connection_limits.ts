/**
 * Who may open a connection: at most so many at once in all, so many at
 * once from one address, and so many new ones per window from one address
 * (ergo's defaults: 16 at once, 32 per 10 minutes). An IPv6 address counts
 * by its /64, since anyone with one has all of it. Every listener asks here
 * when a connection arrives, before any byte is read or any handshake done
 * (but for the PROXY header of a trusted proxy, which names the client),
 * and gives the slot back when the connection closes.
 *
 * @module
 */

import { BlockList, isIPv6 } from "node:net";

/** Why a connection was refused. */
export type LimitRefusal = "server-full" | "too-many-connections" | "too-many-new-connections";

/** A place taken by one open connection; release it once, when the connection closes. */
export interface ConnectionSlot {
  /** Gives the place back; safe to call twice. */
  release(): void;
}

/** The answer to {@linkcode ConnectionLimits.admit}. */
export type Admission =
  | { readonly admitted: true; readonly slot: ConnectionSlot }
  | {
    readonly admitted: false;
    readonly refusal: LimitRefusal;
    /** For `too-many-new-connections`: when the address may try again, in seconds. */
    readonly retrySeconds: number;
  };

/** Options for {@linkcode ConnectionLimits}. */
export interface ConnectionLimitsOptions {
  /** Connections open at once, in all. */
  readonly maxConnections: number;
  /** Connections open at once from one address (IPv6: one /64). */
  readonly maxPerAddress: number;
  /** New connections one address may open per window; 0 for no limit. */
  readonly maxNewPerAddress: number;
  /** The window for `maxNewPerAddress`, in milliseconds. */
  readonly newWindowMs: number;
  /** Addresses the per-address limits do not apply to. */
  readonly exempt?: AddressList;
  /** The clock, in milliseconds; `performance.now` by default. */
  readonly now?: () => number;
}

/** How many addresses' recent connections are remembered at most. */
const MAX_TRACKED_ADDRESSES = 100_000;

/** An address's recent history: a token bucket of new connections. */
interface AddressRecord {
  open: number;
  tokens: number;
  updatedAt: number;
}

/** Connection admission for a whole server. */
export class ConnectionLimits {
  readonly #options: ConnectionLimitsOptions;
  readonly #now: () => number;
  readonly #addresses = new Map<string, AddressRecord>();
  #open = 0;

  /**
   * Creates the limits.
   *
   * @param options The limits.
   */
  constructor(options: ConnectionLimitsOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Connections open now. */
  get open(): number {
    return this.#open;
  }

  /**
   * Decides whether a new connection from `ip` may stay.
   *
   * @param ip The peer's address as the socket (or a trusted proxy) reports it.
   * @returns A slot to release when the connection closes, or the refusal.
   */
  admit(ip: string): Admission {
    const { maxConnections, maxPerAddress, maxNewPerAddress, newWindowMs } = this.#options;
    if (this.#open >= maxConnections) return refused("server-full");
    if (this.#options.exempt?.includes(ip)) return this.#take(undefined);
    const key = addressKey(ip);
    const record = this.#record(key);
    if (record.open >= maxPerAddress) return refused("too-many-connections");
    if (maxNewPerAddress > 0) {
      const perMs = maxNewPerAddress / newWindowMs;
      if (record.tokens < 1) {
        return refused("too-many-new-connections", Math.ceil((1 - record.tokens) / perMs / 1000));
      }
      record.tokens -= 1;
    }
    record.open++;
    return this.#take(key);
  }

  #take(key: string | undefined): Admission {
    this.#open++;
    return { admitted: true, slot: new Slot(this.#free, key) };
  }

  /** Gives a place back; one function for every slot, so a slot needs no closure of its own. */
  readonly #free = (key: string | undefined): void => {
    this.#open--;
    if (key !== undefined) this.#record(key).open--;
  };

  /** The address's record, refilled to now; a new one starts full. */
  #record(key: string): AddressRecord {
    const now = this.#now();
    const { maxNewPerAddress, newWindowMs } = this.#options;
    let record = this.#addresses.get(key);
    if (record === undefined) {
      this.#forgetIdleAddresses();
      record = { open: 0, tokens: maxNewPerAddress, updatedAt: now };
      this.#addresses.set(key, record);
      return record;
    }
    record.tokens = Math.min(
      maxNewPerAddress,
      record.tokens + (now - record.updatedAt) * maxNewPerAddress / newWindowMs,
    );
    record.updatedAt = now;
    return record;
  }

  /**
   * Keeps the table bounded whatever addresses connect: once it is full,
   * addresses with nothing open and a full bucket are dropped first (they
   * lose nothing), then the oldest quiet ones.
   */
  #forgetIdleAddresses(): void {
    if (this.#addresses.size < MAX_TRACKED_ADDRESSES) return;
    const now = this.#now();
    const { maxNewPerAddress, newWindowMs } = this.#options;
    for (const [key, record] of this.#addresses) {
      const tokens = record.tokens + (now - record.updatedAt) * maxNewPerAddress / newWindowMs;
      if (record.open === 0 && tokens >= maxNewPerAddress) this.#addresses.delete(key);
    }
    for (const [key, record] of this.#addresses) {
      if (this.#addresses.size < MAX_TRACKED_ADDRESSES) break;
      if (record.open === 0) this.#addresses.delete(key);
    }
  }
}

function refused(refusal: LimitRefusal, retrySeconds = 0): Admission {
  return { admitted: false, refusal, retrySeconds };
}

/**
 * The key an address is limited under: an IPv4 address itself, an IPv6
 * address by its first 64 bits, an IPv4-mapped IPv6 address as IPv4.
 *
 * @param ip An address as Deno reports it.
 * @returns The key.
 *
 * @example
 * ```ts
 * import { addressKey } from "./connection_limits.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(addressKey("192.0.2.7"), "192.0.2.7");
 * assert.equal(addressKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
 * assert.equal(addressKey("2001:db8:1:2::99"), "2001:db8:1:2::/64");
 * assert.equal(addressKey("::ffff:192.0.2.7"), "192.0.2.7");
 * ```
 */
export function addressKey(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const groups = expandIPv6(ip);
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address. */
function expandIPv6(ip: string): number[] {
  const [head = "", tail] = ip.toLowerCase().split("::");
  const parse = (part: string) => part === "" ? [] : part.split(":").map((x) => parseInt(x, 16));
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  return [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
}

/** A set of address ranges, such as `127.0.0.0/8, ::1/128`. */
export class AddressList {
  readonly #list = new BlockList();
  readonly #text: string;

  /**
   * Parses a comma-separated list of addresses and CIDR ranges.
   *
   * @param text Such as `10.0.0.0/8, 2001:db8::/32, 192.0.2.1`.
   * @throws {SyntaxError} Naming the entry that does not parse.
   */
  constructor(text: string) {
    this.#text = text;
    for (const entry of text.split(",").map((item) => item.trim()).filter(Boolean)) {
      const [address = "", bits, extra] = entry.split("/");
      const family = isIPv6(address) ? "ipv6" : /^\d+\.\d+\.\d+\.\d+$/.test(address) ? "ipv4" : "";
      const max = family === "ipv6" ? 128 : 32;
      const prefix = bits === undefined ? max : /^\d+$/.test(bits) ? Number(bits) : NaN;
      if (family === "" || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
        throw new SyntaxError(`"${entry}" is not an address or a CIDR range`);
      }
      try {
        this.#list.addSubnet(address, prefix, family);
      } catch {
        throw new SyntaxError(`"${entry}" is not an address or a CIDR range`);
      }
    }
  }

  /**
   * Whether an address is in one of the ranges.
   *
   * @param ip An address as Deno reports it.
   */
  includes(ip: string): boolean {
    return this.#list.check(ip, isIPv6(ip) ? "ipv6" : "ipv4");
  }

  /** The list as it was written. */
  toString(): string {
    return this.#text;
  }
}

/** A place taken: one small object per open connection, released once. */
class Slot implements ConnectionSlot {
  #free: ((key: string | undefined) => void) | undefined;
  readonly #key: string | undefined;

  constructor(free: (key: string | undefined) => void, key: string | undefined) {
    this.#free = free;
    this.#key = key;
  }

  release(): void {
    const free = this.#free;
    this.#free = undefined;
    free?.(this.#key);
  }
}
