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
 * Renews pairs of keys (KEYS[2i-1], KEYS[2i]) holding ARGV[i + 1]; puts
 * back a pair that vanished (a Redis restart); returns the 1-based indexes
 * of pairs another owner holds now.
 */
const RENEW = `
local lost = {}
for i = 1, #KEYS / 2 do
  local value = ARGV[i + 1]
  local name, skeleton = KEYS[2 * i - 1], KEYS[2 * i]
  local a, b = redis.call('GET', name), redis.call('GET', skeleton)
  if (a and a ~= value) or (b and b ~= value) then
    table.insert(lost, i)
  else
    redis.call('SET', name, value, 'PX', ARGV[1])
    redis.call('SET', skeleton, value, 'PX', ARGV[1])
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

/** Redis was not reachable in time, or the node is fenced: nothing was claimed. */
export class ClusterUnavailableError extends Error {
  override readonly name = "ClusterUnavailableError";
}

interface Claim {
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
   * @returns `undefined` once claimed; else the name its holder wrote.
   * @throws {ClusterUnavailableError} When Redis does not answer in time, or the node is fenced.
   */
  async claim(
    owner: string,
    name: string,
    nameKey: string,
    skeleton: string,
  ): Promise<string | undefined> {
    if (!this.safe()) throw new ClusterUnavailableError("the cluster is not reachable");
    const claim: Claim = {
      nameKey: `${this.#prefix}name:${nameKey}`,
      skeletonKey: `${this.#prefix}skeleton:${skeleton}`,
      value: `${owner}\n${name}`,
    };
    const held = await this.#call(CLAIM, [claim.nameKey, claim.skeletonKey], [
      claim.value,
      String(this.#options.leaseMs),
      `${owner}\n`,
    ]);
    if (typeof held === "string") return held.slice(held.indexOf("\n") + 1);
    this.#claims.set(owner, claim);
    return undefined;
  }

  /**
   * Gives an owner's name up; keys another owner holds are left alone.
   * A failure is only logged by the caller: the lease runs out anyway.
   *
   * @param owner The owner that claimed it.
   */
  async release(owner: string): Promise<void> {
    const claim = this.#claims.get(owner);
    if (claim === undefined) return;
    this.#claims.delete(owner);
    await this.#call(RELEASE, [claim.nameKey, claim.skeletonKey], [claim.value]);
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
    const owners = [...this.#claims.keys()];
    if (owners.length === 0) {
      // Nothing to renew: Redis answering is what keeps new claims safe.
      await this.#call("return 0", [], []);
      this.#renewed(started);
      return;
    }
    const keys: string[] = [];
    const values: string[] = [String(this.#options.leaseMs)];
    for (const owner of owners) {
      const claim = this.#claims.get(owner)!;
      keys.push(claim.nameKey, claim.skeletonKey);
      values.push(claim.value);
    }
    const lost = await this.#call(RENEW, keys, values) as number[];
    this.#renewed(started);
    if (lost.length === 0) return;
    const lostOwners = lost.map((index) => owners[index - 1]!);
    for (const owner of lostOwners) this.#claims.delete(owner);
    this.#options.onLost?.(lostOwners);
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
