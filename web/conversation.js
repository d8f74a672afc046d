/**
 * One tab of the page, a room or a private conversation, with its lines:
 * where each line goes, the unread count and marker, and the scroll
 * position. Lines are built with `textContent` only: nothing the server
 * sends is ever parsed as HTML.
 *
 * Live lines go at the end, in the server's one order. A line from a
 * history goes right after the line of the event before it in the same
 * history, so lines said within one millisecond keep their order; the first
 * of a history goes where its time says.
 *
 * @module
 */

/** How close to the end, in pixels, counts as reading the end. */
const AT_END_PX = 24;

/** How many colours names get (the `name-0` … classes in app.css). */
const NAME_COLORS = 8;

/**
 * The key a conversation is found by: rooms and names ignore case.
 *
 * @param {"room" | "private"} kind
 * @param {string} name
 * @returns {string}
 */
export function conversationKey(kind, name) {
  return `${kind === "room" ? "" : "@"}${name.toLowerCase()}`;
}

/**
 * A name's colour class: the same for a name on every page, whatever the
 * case it is written in.
 *
 * @param {string} name
 * @returns {string}
 */
export function nameColor(name) {
  let hash = 0x811c9dc5; // FNV-1a
  for (const char of name.toLowerCase()) {
    hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  }
  return `name-${hash % NAME_COLORS}`;
}

/**
 * A line of a log: its time, then its parts, each a `<span>` of its class
 * (`from` parts also get the name's colour).
 *
 * @param {string} className
 * @param {number} time Milliseconds since the epoch.
 * @param {[string, string][]} parts Each part's class and text.
 * @param {string} [id] The event's id.
 * @returns {HTMLLIElement}
 */
export function lineElement(className, time, parts, id = "") {
  const li = document.createElement("li");
  li.className = `line ${className}`;
  li.dataset.time = String(time);
  if (id !== "") li.dataset.id = id;
  const stamp = document.createElement("time");
  const date = new Date(time);
  stamp.dateTime = date.toISOString();
  stamp.title = date.toLocaleString();
  stamp.textContent = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  li.append(stamp, " ");
  for (const [part, value] of parts) {
    const span = document.createElement("span");
    span.className = part === "from" ? `from ${nameColor(value)}` : part;
    span.textContent = value;
    li.append(span);
  }
  return li;
}

/** One tab: a room, or a private conversation with one user. */
export class Conversation {
  /** @type {HTMLElement} */
  #scroller;

  /**
   * @param {"room" | "private"} kind
   * @param {string} name The room (`#rust`) or the other user's name.
   * @param {HTMLElement} scroller The element that scrolls the log shown.
   */
  constructor(kind, name, scroller) {
    this.kind = kind;
    this.name = name;
    this.#scroller = scroller;
    /** Whether its log is the one on screen. */
    this.shown = false;
    /** Whether the user is in the room (a private conversation always is). */
    this.joined = true;
    this.topic = "";
    /** @type {Set<string>} */
    this.people = new Set();
    this.unread = 0;
    /** Whether the unread marker stands before this visit's first unread line already. */
    this.markerPlaced = false;
    /** Whether the log was at its end when last left, and where it was. */
    this.stuck = true;
    this.scrollTop = 0;
    /** Whether any line from the server (with an id) was shown here. */
    this.hasIds = false;
    /**
     * The user's own lines not yet seen in a history, which will carry their ids.
     *
     * @type {HTMLLIElement[]}
     */
    this.unconfirmed = [];
    /**
     * Where scrolling back goes on: undefined before the first page, null at the beginning.
     *
     * @type {number | null | undefined}
     */
    this.olderNext = undefined;
    /** @type {import("./history.js").HistoryRequest | null} */
    this.request = null;
    /**
     * The line of the oldest event of the page asked for, before which a gap would be.
     *
     * @type {HTMLLIElement | null}
     */
    this.requestFirst = null;
    /** @type {import("./history.js").Replay | null} */
    this.replay = null;
    /**
     * The line of the last event of the history coming in, after which its next new line goes.
     *
     * @type {HTMLLIElement | null}
     */
    this.anchor = null;

    this.log = document.createElement("ol");
    this.log.className = "lines";
    this.log.hidden = true;
    this.marker = document.createElement("li");
    this.marker.className = "unread-marker";
    this.marker.setAttribute("role", "separator");
    this.marker.textContent = "New messages";

    this.tab = document.createElement("li");
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.className = `tab ${kind}`;
    this.label = document.createElement("span");
    this.badge = document.createElement("span");
    this.badge.className = "badge";
    this.badge.hidden = true;
    this.button.append(this.label, this.badge);
    this.tab.append(this.button);
    this.rename(name);
  }

  /** The key the page finds it by. */
  get key() {
    return conversationKey(this.kind, this.name);
  }

  /** What its tab says: `#rust`, or `@bob`. */
  get title() {
    return this.kind === "room" ? this.name : `@${this.name}`;
  }

  /** @param {string} name */
  rename(name) {
    this.name = name;
    this.label.textContent = this.title;
    this.log.dataset.conversation = this.title;
    this.tab.dataset.conversation = this.title;
  }

  /** @param {number} count */
  setUnread(count) {
    this.unread = count;
    this.badge.hidden = count === 0;
    this.badge.textContent = String(count);
    const spoken = document.createElement("span");
    spoken.className = "visually-hidden";
    spoken.textContent = count === 1 ? " unread message" : " unread messages";
    this.badge.append(spoken);
  }

  /** The user is reading it: nothing is unread, the next unread line moves the marker. */
  markRead() {
    this.setUnread(0);
    this.markerPlaced = false;
  }

  /**
   * A line arrived that the user is not reading: counts it and, for the
   * first of a visit, puts the unread marker before it.
   *
   * @param {HTMLLIElement} li
   */
  markUnread(li) {
    if (!this.markerPlaced) {
      this.marker.dataset.time = li.dataset.time ?? "";
      this.log.insertBefore(this.marker, li);
      this.markerPlaced = true;
    }
    this.setUnread(this.unread + 1);
  }

  /** Puts its log on screen, where the user left it. */
  show() {
    this.shown = true;
    this.log.hidden = false;
    this.button.setAttribute("aria-current", "page");
    if (this.stuck) this.scrollToEnd();
    else this.#scroller.scrollTop = this.scrollTop;
  }

  /** Takes its log off screen, remembering where the user was. */
  hide() {
    if (!this.shown) return;
    this.stuck = this.#atEnd();
    this.scrollTop = this.#scroller.scrollTop;
    this.shown = false;
    this.log.hidden = true;
    this.button.removeAttribute("aria-current");
    this.markerPlaced = false;
  }

  scrollToEnd() {
    this.#scroller.scrollTop = this.#scroller.scrollHeight;
  }

  /**
   * Adds a live line at the end.
   *
   * @param {HTMLLIElement} li
   */
  append(li) {
    this.#insert(li, null);
  }

  /**
   * Adds a notice (not an event) at the end, no earlier than the last line.
   *
   * @param {string} message
   * @param {string} [className]
   */
  notice(message, className = "notice") {
    if (message === "") return;
    const now = Math.max(Date.now(), this.lastTime());
    this.append(lineElement(className, now, [["text", message]]));
  }

  /**
   * Puts a line from a history where it belongs: right after the line of the
   * event before it in the same history (past notices no later than it, such
   * as "Connection lost"), or, for the first, before every line as late as it
   * or later.
   *
   * @param {HTMLLIElement} li
   * @param {number} time
   */
  placeHistory(li, time) {
    const anchor = this.anchor;
    let before = null;
    if (anchor !== null && anchor.parentElement === this.log) {
      before = anchor.nextElementSibling;
      while (
        before instanceof HTMLElement && before.dataset.id === undefined &&
        Number(before.dataset.time) <= time
      ) {
        before = before.nextElementSibling;
      }
    } else {
      for (
        let node = this.log.lastElementChild;
        node instanceof HTMLElement && Number(node.dataset.time) >= time;
        node = node.previousElementSibling
      ) {
        before = node;
      }
    }
    this.#insert(li, before);
    this.anchor = li;
  }

  /**
   * Puts a line before another, without moving what the user reads.
   *
   * @param {HTMLLIElement} li
   * @param {Element | null} before
   */
  insertBefore(li, before) {
    this.#insert(li, before);
  }

  /** The time of its last line, or 0. */
  lastTime() {
    const last = this.log.lastElementChild;
    return last instanceof HTMLElement ? Number(last.dataset.time) || 0 : 0;
  }

  /**
   * The time of its oldest line from the server.
   *
   * @returns {number | undefined}
   */
  oldestTime() {
    const first = this.log.querySelector("li[data-id]");
    return first instanceof HTMLElement ? Number(first.dataset.time) : undefined;
  }

  /** The ids of the events it shows. */
  *ids() {
    for (const li of this.log.querySelectorAll("li[data-id]")) {
      if (li instanceof HTMLElement && li.dataset.id) yield li.dataset.id;
    }
  }

  /**
   * The view follows the end only if it was there, and does not move when a
   * line goes in above what the user reads.
   *
   * @param {HTMLLIElement} li
   * @param {Element | null} before
   */
  #insert(li, before) {
    const follow = this.shown ? this.#atEnd() : this.stuck;
    // The first line in view stays where it is (the browser's own scroll
    // anchoring is off for the log: it does nothing at the very top).
    const kept = this.shown && !follow && before !== null ? this.#firstInView() : undefined;
    const keptAt = kept === undefined ? 0 : kept.offsetTop - this.#scroller.scrollTop;
    this.log.insertBefore(li, before);
    if (!this.shown) return;
    if (follow) this.scrollToEnd();
    else if (kept !== undefined) this.#scroller.scrollTop = kept.offsetTop - keptAt;
  }

  /** @returns {HTMLElement | undefined} */
  #firstInView() {
    const top = this.#scroller.scrollTop;
    for (const child of this.log.children) {
      if (child instanceof HTMLElement && child.offsetTop + child.offsetHeight > top) return child;
    }
    return undefined;
  }

  #atEnd() {
    const { scrollHeight, scrollTop, clientHeight } = this.#scroller;
    return scrollHeight - scrollTop - clientHeight < AT_END_PX;
  }
}
