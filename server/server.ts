/**
 * The nanochat server's entry point: {@linkcode serve} resolves the
 * options, opens the listeners, the storage (or joins the cluster) and
 * starts a {@linkcode ChatServer}.
 *
 * @module
 */

import { nameSkeleton } from "../protocol/username.ts";
import type { TlsAdmission } from "../transport/tls_listener.ts";
import { MAX_LINGERING } from "../transport/websocket_connection.ts";
import { admit, countRefusal } from "./admission.ts";
import { ChatServer } from "./chat_server.ts";
import type { ChatUser } from "./chat_user.ts";
import { Cluster } from "./cluster/cluster.ts";
import { resolveConfig, type ServerOptions } from "./config.ts";
import { ConnectionLimits } from "./connection_limits.ts";
import { connectionBudget, freeFileDescriptors, RESERVED_FDS } from "./fd_budget.ts";
import { listen, type Listener } from "./listeners.ts";
import { Metrics } from "./metrics.ts";
import { Bans } from "./moderation/bans.ts";
import { MAX_REFUSALS_IN_FLIGHT } from "./refusal_writer.ts";
import { openStorage, type Storage } from "./store/storage.ts";
import { MAX_HTTP_CONNECTIONS } from "./web_endpoint.ts";

export type { ListenAddress, ServerOptions } from "./config.ts";
export { SERVER_DEFAULTS } from "./config.ts";
export type { ChatServer } from "./chat_server.ts";

/** How long any Redis call of a cluster node may take. */
const CLUSTER_COMMAND_TIMEOUT_MS = 2000;

/** A node id unique among a cluster's nodes, when the operator gives none. */
function generatedNodeId(): string {
  return `node-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Starts a server.
 *
 * @param options How to run; every field has a default.
 * @returns The running server.
 * @throws {Error} Naming the address, with the listen error (such as
 * `Deno.errors.AddrInUse`) as its cause.
 * @throws {RangeError} For an option out of bounds.
 *
 * @example Serving on a free port
 * ```ts
 * import { serve } from "./server.ts";
 * import { Logger } from "./log.ts";
 *
 * await using server = await serve({
 *   listen: [{ hostname: "127.0.0.1", port: 0 }],
 *   logger: new Logger(() => {}),
 * });
 * console.log(`listening on port ${server.address.port}`);
 * ```
 */
export async function serve(options: ServerOptions = {}): Promise<ChatServer> {
  const config = resolveConfig(options);
  // The confusables table (about 10 MiB once parsed) loads now, not at the first login.
  nameSkeleton("");
  // Beyond the clients: the process's own, refusals being told, and the web
  // page's HTTP connections and closing WebSockets.
  const reserve = RESERVED_FDS + MAX_REFUSALS_IN_FLIGHT +
    (config.http ? MAX_HTTP_CONNECTIONS + MAX_LINGERING : 0);
  const freeFds = config.fitToFreeDescriptors
    ? freeFileDescriptors(config.maxConnections + reserve)
    : undefined;
  const maxConnections = connectionBudget(config.maxConnections, freeFds, reserve);
  const limits = new ConnectionLimits({
    maxConnections,
    maxPerAddress: config.maxConnectionsPerIp,
    maxNewPerAddress: config.maxNewConnectionsPerIp,
    newWindowMs: config.newConnectionWindowMs,
    ...(config.limitExempt ? { exempt: config.limitExempt } : {}),
  });
  const metrics = new Metrics();
  // TLS connections are counted and admitted before their handshake; a
  // refusal is told after it.
  // The bans come with the storage, opened after the listeners; none are in force before.
  let bans: Bans | undefined;
  const admitTls = (ip: string, port: number): TlsAdmission => {
    metrics.connectionsAccepted++;
    const decision = admit(limits, bans, ip);
    if ("slot" in decision) {
      const slot = decision.slot;
      return { release: () => slot.release() };
    }
    countRefusal(metrics, config.logger, { hostname: ip, port }, decision.reason);
    return { refusal: decision };
  };
  const listeners: { listener: Listener; tls: boolean }[] = [];
  let storage: Storage<ChatUser> | undefined;
  let cluster: Cluster | undefined;
  let server: ChatServer;
  try {
    for (const address of config.listen) {
      listeners.push({
        listener: await listen(address, config.loginTimeoutMs, admitTls),
        tls: !!address.tls,
      });
    }
    // After the listeners: an address in use is the likelier mistake, and told first.
    cluster = config.redis === undefined ? undefined : await Cluster.connect({
      url: config.redis,
      nodeId: config.nodeId ?? generatedNodeId(),
      leaseMs: config.nameLeaseMs,
      commandTimeoutMs: CLUSTER_COMMAND_TIMEOUT_MS,
      historyLength: config.historyKeepPerRoom,
      historyMaxAgeMs: config.historyMaxAgeMs,
      log: config.logger,
    });
    // A cluster keeps everything in Redis; a server on its own, in its SQLite file.
    storage = cluster?.storage<ChatUser>() ??
      openStorage<ChatUser>({ ...config, log: config.logger });
    bans = new Bans(storage.bans);
    server = new ChatServer(config, listeners, limits, metrics, storage, bans, cluster);
  } catch (error) {
    for (const { listener } of listeners) listener.close();
    await cluster?.close();
    storage?.close();
    throw error;
  }
  try {
    await server.start();
  } catch (error) {
    await server.shutdown(); // closes the listeners, the storage and the cluster
    throw new Error("cannot join the cluster", { cause: error });
  }
  config.logger.event("data", {
    path: cluster ? "(in the cluster's Redis)" : config.dataPath ?? "(in memory only)",
  });
  config.logger.event("limits", {
    "max-connections": maxConnections,
    "free-descriptors": freeFds,
    ...(maxConnections < config.maxConnections
      ? { lowered: "to fit the free file descriptors" }
      : {}),
  });
  return server;
}
