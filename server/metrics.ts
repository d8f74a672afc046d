/**
 * The server's counters, and their rendering in the Prometheus text format.
 *
 * Counting is a field increment on the hot path; rendering happens only
 * when `/metrics` is scraped.
 *
 * @module
 */

/** The upper bounds of the room-size histogram's buckets. */
const ROOM_SIZE_BUCKETS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/** The server's counters and gauges. */
export class Metrics {
  /** Connections accepted by the listener (before any limit). */
  connectionsAccepted = 0;
  /** Connections refused before login, by reason (the refusals of END_REASONS, limits, TLS). */
  readonly connectionsRejected = new Map<string, number>();
  /** Sessions that ended, by reason (quit, eof, slow-reader, flood, idle-timeout, …). */
  readonly disconnects = new Map<string, number>();
  /** Lines received from logged-in users. */
  linesReceived = 0;
  /** Lines queued to users (a broadcast to 10 users counts 10). */
  linesSent = 0;
  /** Bytes read from clients. */
  bytesReceived = 0;
  /** Bytes written to clients. */
  bytesSent = 0;
  /** The most bytes ever queued for one client. */
  outboxHighWaterBytes = 0;
  /** How late the last event-loop check ran, in seconds. */
  eventLoopLagSeconds = 0;

  /**
   * Adds one to a counter kept by reason.
   *
   * @param counter The counter.
   * @param reason The label.
   */
  static increment<K>(counter: Map<K, number>, reason: K): void {
    counter.set(reason, (counter.get(reason) ?? 0) + 1);
  }

  /**
   * Renders every metric in the Prometheus text exposition format.
   *
   * @param gauges The values read from the server at scrape time.
   * @returns The `/metrics` body.
   */
  render(gauges: {
    usersOnline: number;
    connectionsOpen: number;
    roomSizes?: number[];
    /**
     * In a cluster: this node's id, whether it holds its users' names (not
     * fenced), and how long its own events took to come back from Redis.
     */
    cluster?: {
      node: string;
      safe: boolean;
      hop?: { buckets: [number, number][]; sumSeconds: number; count: number };
    };
  }): string {
    const lines: string[] = [];
    const metric = (
      name: string,
      type: "counter" | "gauge",
      help: string,
      samples: [string, number][],
    ) => {
      lines.push(`# HELP nanochat_${name} ${help}`, `# TYPE nanochat_${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`nanochat_${name}${labels} ${value}`);
    };
    const byReason = (counter: Map<string, number>): [string, number][] =>
      [...counter].sort().map(([reason, value]) => [`{reason="${reason}"}`, value]);

    metric("users_online", "gauge", "Users logged in (on this node, in a cluster).", [[
      "",
      gauges.usersOnline,
    ]]);
    if (gauges.cluster) {
      const { node, safe } = gauges.cluster;
      metric("cluster_node", "gauge", "This node's id; 1 while it holds its names, 0 fenced.", [[
        `{node="${node}"}`,
        safe ? 1 : 0,
      ]]);
      const hop = gauges.cluster.hop;
      if (hop) {
        lines.push(
          "# HELP nanochat_cluster_hop_seconds From appending an event to Redis to reading it back.",
          "# TYPE nanochat_cluster_hop_seconds histogram",
        );
        for (const [bound, count] of hop.buckets) {
          const le = bound === Infinity ? "+Inf" : String(bound);
          lines.push(`nanochat_cluster_hop_seconds_bucket{le="${le}"} ${count}`);
        }
        lines.push(`nanochat_cluster_hop_seconds_sum ${hop.sumSeconds}`);
        lines.push(`nanochat_cluster_hop_seconds_count ${hop.count}`);
      }
    }
    const roomSizes = gauges.roomSizes ?? [];
    metric("rooms_open", "gauge", "Rooms, empty ones included.", [["", roomSizes.length]]);
    // A histogram, not a label per room: room names are unbounded.
    lines.push(
      "# HELP nanochat_room_members Users per room.",
      "# TYPE nanochat_room_members histogram",
    );
    for (const bound of [...ROOM_SIZE_BUCKETS, Infinity]) {
      const count = roomSizes.filter((size) => size <= bound).length;
      lines.push(
        `nanochat_room_members_bucket{le="${bound === Infinity ? "+Inf" : bound}"} ${count}`,
      );
    }
    lines.push(`nanochat_room_members_sum ${roomSizes.reduce((sum, size) => sum + size, 0)}`);
    lines.push(`nanochat_room_members_count ${roomSizes.length}`);
    metric("connections_open", "gauge", "Open client connections.", [["", gauges.connectionsOpen]]);
    metric("connections_accepted_total", "counter", "Connections accepted.", [[
      "",
      this.connectionsAccepted,
    ]]);
    metric(
      "connections_rejected_total",
      "counter",
      "Connections refused before login, by reason.",
      byReason(this.connectionsRejected),
    );
    metric(
      "disconnects_total",
      "counter",
      "Sessions that ended, by reason (quit, eof, flood, slow-reader, ...); refusals count as rejected.",
      byReason(this.disconnects),
    );
    metric("lines_received_total", "counter", "Lines received from logged-in users.", [[
      "",
      this.linesReceived,
    ]]);
    metric("lines_sent_total", "counter", "Lines queued to users.", [["", this.linesSent]]);
    metric("bytes_received_total", "counter", "Bytes read from clients.", [[
      "",
      this.bytesReceived,
    ]]);
    metric("bytes_sent_total", "counter", "Bytes written to clients.", [["", this.bytesSent]]);
    metric("outbox_high_water_bytes", "gauge", "Most bytes ever queued for one client.", [[
      "",
      this.outboxHighWaterBytes,
    ]]);
    metric("event_loop_lag_seconds", "gauge", "How late the last event-loop check ran.", [[
      "",
      this.eventLoopLagSeconds,
    ]]);
    return lines.join("\n") + "\n";
  }
}
