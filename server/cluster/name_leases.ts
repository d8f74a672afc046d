/**
 * Names across a cluster: one owner per name, by a lease in Redis that the
 * owning node renews, and a fence that makes a node give its names up
 * before its leases can expire and be taken elsewhere. See
 * docs/CLUSTER.md ("Names: one linearizable owner, fenced").
 *
 * A name is claimed with its confusable skeleton in one Lua script, so
 * `alice` and Cyrillic `аlice` cannot be held on two nodes at once. Each
 * key holds `owner LF name`; a node renews and releases only what holds its
 * own owner string.
 *
 * @module
 */

/** What the leases need of a Redis client; node-redis 5's client has it. */
export interface ScriptRunner {
  eval(
    script: string,
    options: { keys: string[]; arguments: string[] },
  ): Promise<unknown>;
}

/** Options for {@linkcode NameLeases}. */
export interface NameLeasesOptions {
  /** How long a claim lives unless renewed, in milliseconds. */
  readonly leaseMs: number;
  /** How long each Redis call may take before it counts as failed, in milliseconds. */
  readonly commandTimeoutMs: number;
  /**
   * Called once each time the node fences itself: it has not renewed for
   * too long, so every local name must be given up now.
   */
  readonly onFenced: () => void;
  /** Called with the owners whose names another node holds now (after a Redis data loss). */
  readonly onLost?: (owners: string[]) => void;
  /** The monotonic clock, in milliseconds; `performance.now` by default. */
  readonly now?: () => number;
  /** Key prefix; `nanochat:` by default. */
  readonly prefix?: string;
}

/** Claims both keys unless another owner holds either; returns that holder's value. */
const CLAIM = `
for i = 1, 2 do
  local held = redis.call('GET', KEYS[i])
  if held and string.sub(held, 1, #ARGV[3]) ~= ARGV[3] then return held end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return false
`;

/**
 * Renews pairs of keys (KEYS[2i-1], KEYS[2i]) holding ARGV[2i], whose owner
 * prefix is ARGV[2i+1]; puts back a pair that vanished (a Redis restart);
 * returns the 1-based indexes of pairs another owner holds now.
 */
const RENEW = `
local lost = {}
for i = 1, #KEYS / 2 do
  local value, mine = ARGV[2 * i], ARGV[2 * i + 1]
  local pair = {KEYS[2 * i - 1], KEYS[2 * i]}
  local ours = true
  for _, key in ipairs(pair) do
    local held = redis.call('GET', key)
    if held and string.sub(held, 1, #mine) ~= mine then ours = false end
  end
  if ours then
    for _, key in ipairs(pair) do
      local held = redis.call('GET', key)
      -- A key the same owner holds under a newer spelling (a rename) is only kept alive.
      if held and held ~= value then redis.call('PEXPIRE', key, ARGV[1])
      else redis.call('SET', key, value, 'PX', ARGV[1]) end
    end
  else
    table.insert(lost, i)
  end
end
return lost
`;

/** Deletes keys that still hold ARGV[1]. */
const RELEASE = `
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 0
`;

/** Where a claim is kept: by owner, name key and skeleton. */
function claimKey(owner: string, nameKey: string, skeleton: string): string {
  return `${owner}\n${nameKey}\n${skeleton}`;
}

/** Redis was not reachable in time, or the node is fenced: nothing was claimed. */
export class ClusterUnavailableError extends Error {
  override readonly name = "ClusterUnavailableError";
}

/** Who holds a name: its owner (`node-id/connection-id`) and the name as they wrote it. */
export interface NameHolding {
  readonly owner: string;
  readonly name: string;
}

interface Claim {
  readonly owner: string;
  readonly nameKey: string;
  readonly skeletonKey: string;
  readonly value: string;
}

/** The claims this node holds, kept alive while Redis answers. */
export class NameLeases {
  readonly #redis: ScriptRunner;
  readonly #options: NameLeasesOptions;
  readonly #now: () => number;
  readonly #prefix: string;
  /** By owner, name key and skeleton: an owner holds two names for a moment while renamed. */
  readonly #claims = new Map<string, Claim>();
  /** When the last renewal that succeeded was started; claims are safe until then + lease − margin. */
  #renewedAt: number;
  #fenced = false;
  /** When the node last fenced itself; only a renewal started after it lifts the fence. */
  #fencedAt = -Infinity;
  #timer: ReturnType<typeof setInterval> | undefined;
  #renewing: Promise<void> | undefined;

  /**
   * Creates the leases of one node; call {@linkcode NameLeases.start} to renew them.
   *
   * @param redis A connected client.
   * @param options The lease, the timeout and what to do when fenced.
   */
  constructor(redis: ScriptRunner, options: NameLeasesOptions) {
    this.#redis = redis;
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#prefix = options.prefix ?? "nanochat:";
    this.#renewedAt = this.#now();
  }

  /** Claims are given up this long before they could expire, in milliseconds. */
  get marginMs(): number {
    return Math.floor(this.#options.leaseMs / 3);
  }

  /** How many claims this node holds. */
  get size(): number {
    return this.#claims.size;
  }

  /**
   * Whether the claims are still certainly this node's: the last renewal
   * that succeeded started less than lease − margin ago. Checked before
   * delivering anything, so a node resumed after a long pause fences
   * itself first.
   */
  safe(): boolean {
    if (this.#fenced) return false;
    if (this.#now() - this.#renewedAt < this.#options.leaseMs - this.marginMs) return true;
    this.#fence();
    return false;
  }

  /**
   * Claims a name for an owner.
   *
   * @param owner Unique in the cluster, such as `node-id/connection-id`.
   * @param name The name as the user wrote it (told to whoever finds it taken).
   * @param nameKey The name's case-folded key.
   * @param skeleton The name's confusable skeleton.
   * @returns `undefined` once claimed; else who holds it.
   * @throws {ClusterUnavailableError} When Redis does not answer in time, or the node is fenced.
   */
  async claim(
    owner: string,
    name: string,
    nameKey: string,
    skeleton: string,
  ): Promise<NameHolding | undefined> {
    if (!this.safe()) throw new ClusterUnavailableError("the cluster is not reachable");
    const claim: Claim = {
      owner,
      nameKey: `${this.#prefix}name:${nameKey}`,
      skeletonKey: `${this.#prefix}skeleton:${skeleton}`,
      value: `${owner}\n${name}`,
    };
    const held = await this.#call(CLAIM, [claim.nameKey, claim.skeletonKey], [
      claim.value,
      String(this.#options.leaseMs),
      `${owner}\n`,
    ]);
    if (typeof held === "string") {
      const newline = held.indexOf("\n");
      return { owner: held.slice(0, newline), name: held.slice(newline + 1) };
    }
    this.#claims.set(claimKey(owner, nameKey, skeleton), claim);
    return undefined;
  }

  /**
   * Gives an owner's name up (or all its names); keys holding another
   * owner's or a newer spelling's value are left alone. A failure is only
   * logged by the caller: the lease runs out anyway.
   *
   * @param owner The owner that claimed it.
   * @param nameKey The name's key; every name of the owner when absent.
   * @param skeleton The name's skeleton.
   */
  async release(owner: string, nameKey?: string, skeleton?: string): Promise<void> {
    const claims = nameKey === undefined
      ? [...this.#claims].filter(([, claim]) => claim.owner === owner)
      : [
        [
          claimKey(owner, nameKey, skeleton ?? ""),
          this.#claims.get(claimKey(owner, nameKey, skeleton ?? "")),
        ] as const,
      ];
    await Promise.all(claims.map(async ([key, claim]) => {
      if (claim === undefined) return;
      this.#claims.delete(key);
      await this.#call(RELEASE, [claim.nameKey, claim.skeletonKey], [claim.value]);
    }));
  }

  /** Renews every claim now (what the timer does every lease / 3). */
  renew(): Promise<void> {
    this.#renewing ??= this.#renewAll().finally(() => this.#renewing = undefined);
    return this.#renewing;
  }

  /** Starts renewing every lease / 3, and checking the fence as often. */
  start(): void {
    this.#timer ??= setInterval(() => {
      this.safe(); // fences, if the last renewal is too old
      // Renewing while fenced too: the first renewal that works lifts the fence.
      void this.renew().catch(() => {});
    }, Math.max(10, Math.floor(this.#options.leaseMs / 3)));
  }

  /** Stops renewing; the claims run out within the lease. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #renewAll(): Promise<void> {
    const started = this.#now();
    if (this.#claims.size === 0) {
      // Nothing to renew: Redis answering is what keeps new claims safe.
      await this.#call("return 0", [], []);
      this.#renewed(started);
      return;
    }
    const keys: string[] = [];
    const values: string[] = [String(this.#options.leaseMs)];
    const claims = [...this.#claims];
    for (const [, claim] of claims) {
      keys.push(claim.nameKey, claim.skeletonKey);
      values.push(claim.value, `${claim.owner}\n`);
    }
    const lost = await this.#call(RENEW, keys, values) as number[];
    this.#renewed(started);
    if (lost.length === 0) return;
    const lostOwners = new Set<string>();
    for (const index of lost) {
      const [key, claim] = claims[index - 1]!;
      this.#claims.delete(key);
      lostOwners.add(claim.owner);
    }
    this.#options.onLost?.([...lostOwners]);
  }

  #renewed(started: number): void {
    // A renewal that started before the fence does not lift it: Redis may
    // have answered after the claims it renewed were given up.
    if (started < this.#fencedAt) return;
    this.#fenced = false;
    this.#renewedAt = Math.max(this.#renewedAt, started);
  }

  #fence(): void {
    this.#fenced = true;
    this.#fencedAt = this.#now();
    this.#claims.clear();
    this.#options.onFenced();
  }

  /** Runs a script within the command timeout. */
  async #call(script: string, keys: string[], args: string[]): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ClusterUnavailableError("Redis did not answer in time")),
        this.#options.commandTimeoutMs,
      );
    });
    try {
      return await Promise.race([this.#redis.eval(script, { keys, arguments: args }), timeout]);
    } catch (error) {
      if (error instanceof ClusterUnavailableError) throw error;
      throw new ClusterUnavailableError(`Redis failed: ${String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
