/**
 * The page's link to the server: one WebSocket at a time to `/ws`, opened
 * again after a loss, after 1 s doubling to 30 s with jitter
 * ({@linkcode reconnectDelay}), at once when the browser comes back online,
 * and never after {@linkcode ServerLink.stop}. It knows nothing of chat: it
 * hands every JSON event to its owner, who logs in on `open`.
 *
 * @module
 */

import { reconnectDelay } from "./commands.js";

/** How often a quiet link says something, well within the server's 10-minute idle timeout. */
const KEEPALIVE_MS = 60_000;

/**
 * What the link is doing: opening a socket, open, waiting to try again
 * (`retryAt` says when, or it waits for the browser to be online), or stopped.
 *
 * @typedef {{ state: "connecting" } | { state: "open" }
 *   | { state: "waiting", retryAt: number | undefined, reason: string }
 *   | { state: "stopped" }} LinkState
 */

/**
 * What the link tells its owner.
 *
 * @typedef {object} LinkHandlers
 * @property {() => void} open A socket opened: log in on it.
 * @property {(event: Record<string, unknown>) => void} event A JSON event arrived.
 * @property {(state: LinkState) => void} state The link's state changed.
 */

/** A WebSocket that reconnects. */
export class ServerLink {
  /** @type {string} */
  #url;
  /** @type {LinkHandlers} */
  #handlers;
  /** @type {WebSocket | undefined} */
  #socket;
  #attempt = 0;
  #running = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #keepalive;

  /**
   * @param {string} url The WebSocket's address.
   * @param {LinkHandlers} handlers What to tell.
   */
  constructor(url, handlers) {
    this.#url = url;
    this.#handlers = handlers;
    globalThis.addEventListener("online", () => this.retryNow());
    // Browsers keep an open socket through a lost network for a long time
    // (and emulated offline mode not at all): drop it now and come back
    // when the network does.
    globalThis.addEventListener("offline", () => {
      if (this.#socket !== undefined) this.#lost("the browser is offline");
    });
  }

  /** Connects now, and again whenever the connection is lost. */
  start() {
    clearTimeout(this.#retryTimer);
    this.#close();
    this.#running = true;
    this.#attempt = 0;
    this.#connect();
  }

  /** Closes the connection for good: no reconnect. */
  stop() {
    this.#running = false;
    clearTimeout(this.#retryTimer);
    this.#close();
    this.#handlers.state({ state: "stopped" });
  }

  /** Tries again at once, when waiting to. */
  retryNow() {
    if (this.#running && this.#socket === undefined) {
      clearTimeout(this.#retryTimer);
      this.#connect();
    }
  }

  /** The login succeeded: the next loss starts the delays again from 1 s. */
  loggedIn() {
    this.#attempt = 0;
  }

  /**
   * Sends one line of the line protocol.
   *
   * @param {string} line The line, without its LF.
   * @returns {boolean} Whether it went out (false when not connected).
   */
  send(line) {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(line);
    return true;
  }

  /** Whether a socket is open. */
  get isOpen() {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  #connect() {
    const socket = new WebSocket(this.#url);
    this.#socket = socket;
    this.#handlers.state({ state: "connecting" });
    socket.addEventListener("open", () => {
      if (this.#socket !== socket) return;
      this.#handlers.state({ state: "open" });
      this.#keepalive = setInterval(() => this.send("PING keepalive"), KEEPALIVE_MS);
      this.#handlers.open();
    });
    socket.addEventListener("message", (message) => {
      if (this.#socket !== socket || typeof message.data !== "string") return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return; // the server sends JSON only; anything else is not for us
      }
      if (typeof event === "object" && event !== null) this.#handlers.event(event);
    });
    socket.addEventListener("close", (close) => {
      if (this.#socket !== socket) return;
      this.#lost(close.code === 1006 ? "the connection was lost" : "the server closed it");
    });
  }

  /** @param {string} reason */
  #lost(reason) {
    this.#close();
    if (!this.#running) return;
    const online = navigator.onLine !== false;
    const retryAt = online ? Date.now() + reconnectDelay(this.#attempt++) : undefined;
    if (retryAt !== undefined) {
      this.#retryTimer = setTimeout(() => this.#connect(), retryAt - Date.now());
    }
    this.#handlers.state({ state: "waiting", retryAt, reason });
  }

  #close() {
    clearInterval(this.#keepalive);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined && socket.readyState <= WebSocket.OPEN) socket.close(1000);
  }
}
