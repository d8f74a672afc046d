/**
 * A worker thread that drives one {@linkcode LoadPart} for a load test in
 * another thread: each message names a method of {@linkcode LoadShare} and
 * its arguments, and is answered with the result, or the error's message.
 * The first message's method is `start`, with the share's options.
 *
 * @module
 */

import { LoadPart, type LoadPartOptions } from "./load_part.ts";

/** A call from the thread that runs the load test. */
export type ShareCall =
  | { id: number; method: "start"; args: [LoadPartOptions] }
  | {
    id: number;
    method:
      | "connect"
      | "probe"
      | "readyCount"
      | "openCount"
      | "send"
      | "received"
      | "close";
  }
  | { id: number; method: "collect"; args: [number, number] }
  | { id: number; method: "login"; args: [number, number] };

/** The worker's global scope, typed here without the worker lib for the whole program. */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ShareCall>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
};

let part: LoadPart | undefined;

function call(message: ShareCall): Promise<unknown> | undefined {
  if (message.method === "start") {
    part = new LoadPart(message.args[0]);
    return undefined;
  }
  if (part === undefined) throw new TypeError("The share was not started");
  switch (message.method) {
    case "collect":
      return part.collect(...message.args);
    case "login":
      return part.login(...message.args);
    default:
      return part[message.method]();
  }
}

scope.onmessage = async ({ data }) => {
  try {
    const result = await call(data);
    // A share's latencies can be megabytes: hand them over, do not copy.
    const latencies = (result as { latencies?: Float64Array } | undefined)?.latencies;
    scope.postMessage({ id: data.id, result }, latencies ? [latencies.buffer as ArrayBuffer] : []);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    scope.postMessage({ id: data.id, error: message }, []);
  }
};
