/**
 * A {@linkcode LoadShare} in a worker thread of its own
 * ({@linkcode ./load_worker.ts}), so a load test can drive its connections
 * from more than one core.
 *
 * @module
 */

import type { LoadPartOptions, LoadPartResult, LoadShare } from "./load_part.ts";
import type { ShareCall } from "./load_worker.ts";

type Answer = { id: number; result?: unknown; error?: string };

/** A share driven by a worker thread; {@linkcode WorkerShare.close} ends the thread. */
export class WorkerShare implements LoadShare {
  readonly #worker: Worker;
  readonly #pending = new Map<number, PromiseWithResolvers<unknown>>();
  #nextId = 0;
  #failure: Error | undefined;

  /**
   * Starts the thread and hands it its options.
   *
   * @param options The share's connections and workload.
   */
  constructor(options: LoadPartOptions) {
    this.#worker = new Worker(new URL("./load_worker.ts", import.meta.url), { type: "module" });
    this.#worker.onmessage = ({ data }: MessageEvent<Answer>) => {
      const call = this.#pending.get(data.id);
      this.#pending.delete(data.id);
      if (data.error !== undefined) call?.reject(new Error(data.error));
      else call?.resolve(data.result);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      const error = new Error(`A load worker failed: ${event.message}`);
      this.#failure ??= error;
      for (const call of this.#pending.values()) call.reject(error);
      this.#pending.clear();
    };
    // A failed start fails the next call too, which is where it is reported.
    this.#call({ id: 0, method: "start", args: [options] }).catch(() => {});
  }

  #call(message: ShareCall): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const call = Promise.withResolvers<unknown>();
    const id = this.#nextId++;
    this.#pending.set(id, call);
    this.#worker.postMessage({ ...message, id });
    return call.promise;
  }

  async connect(): Promise<void> {
    await this.#call({ id: 0, method: "connect" });
  }

  async probe(): Promise<void> {
    await this.#call({ id: 0, method: "probe" });
  }

  async readyCount(): Promise<number> {
    return await this.#call({ id: 0, method: "readyCount" }) as number;
  }

  async openCount(): Promise<number> {
    return await this.#call({ id: 0, method: "openCount" }) as number;
  }

  async send(): Promise<number> {
    return await this.#call({ id: 0, method: "send" }) as number;
  }

  async received(): Promise<number> {
    return await this.#call({ id: 0, method: "received" }) as number;
  }

  async collect(expected: number, settleMs: number): Promise<LoadPartResult> {
    return await this.#call({
      id: 0,
      method: "collect",
      args: [expected, settleMs],
    }) as LoadPartResult;
  }

  async login(
    inFlight: number,
    welcomeTimeoutMs: number,
  ): Promise<{ first: number; last: number }> {
    return await this.#call({ id: 0, method: "login", args: [inFlight, welcomeTimeoutMs] }) as {
      first: number;
      last: number;
    };
  }

  async close(): Promise<void> {
    try {
      if (this.#failure === undefined) await this.#call({ id: 0, method: "close" });
    } finally {
      this.#worker.terminate();
    }
  }
}
