/**
 * The nanochat web page: logs in over the WebSocket at `/ws`, shows each room
 * and private conversation in its own tab, and sends what is typed as lines
 * of the line protocol (see `commands.js`). Everything the server says is
 * put on the page with `textContent`, never parsed as HTML.
 *
 * Nothing is shown twice and nothing is lost across a reconnect: every event
 * carries an id, the page remembers the ids it showed, and when a room's
 * replayed history shares none of them it asks for older pages until one
 * does (or says that a gap may exist). Lines are placed by their time, so
 * history fetched late still lands where it belongs.
 *
 * @module
 */

import { mentions, parseInput } from "./commands.js";
import { ServerLink } from "./connection.js";
import { eventLine, sameName } from "./event_lines.js";
import { SentLines } from "./sent_lines.js";
import { Conversation, conversationKey, lineElement } from "./conversation.js";
import {
  afterPage,
  afterReplay,
  countLine,
  HISTORY_PAGE,
  historyRequest,
  olderBefore,
  replay,
} from "./history.js";

/** Errors that refuse a message or action: the user's line shown at once was not delivered. */
const REFUSED_LINE_ERRORS = new Set(["muted", "not-in-room", "no-current-room", "usage"]);

/** Errors after which reconnecting would only repeat them. */
const FINAL_ERRORS = new Set(["replaced", "banned"]);

/**
 * Login refusals that pass by themselves, so a reconnect tries again: the
 * name still held by our own connection that the server has not yet seen
 * drop, a full server, limits per address.
 */
const PASSING_REFUSALS = new Set([
  "name-taken",
  "server-full",
  "too-many-connections",
  "too-many-new-connections",
  "login-timeout",
]);

/** @param {string} id */
const element = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const ui = {
  status: element("status"),
  retry: element("retry"),
  panelToggle: element("panel-toggle"),
  loginView: element("login-view"),
  login: /** @type {HTMLFormElement} */ (element("login")),
  loginError: element("login-error"),
  loginName: /** @type {HTMLInputElement} */ (element("login-name")),
  passwordRow: element("password-row"),
  loginPassword: /** @type {HTMLInputElement} */ (element("login-password")),
  chatView: element("chat-view"),
  tabList: element("tab-list"),
  roomTitle: element("room-title"),
  roomTopic: element("room-topic"),
  messages: element("messages"),
  older: /** @type {HTMLButtonElement} */ (element("older")),
  olderNone: element("older-none"),
  logs: element("logs"),
  composer: /** @type {HTMLFormElement} */ (element("composer")),
  inputLabel: element("input-label"),
  input: /** @type {HTMLInputElement} */ (element("input")),
  panel: element("panel"),
  people: element("people"),
  peopleTitle: element("people-title"),
  listRooms: element("list-rooms"),
  roomList: element("room-list"),
  joinForm: /** @type {HTMLFormElement} */ (element("join-form")),
  joinName: /** @type {HTMLInputElement} */ (element("join-name")),
  notify: /** @type {HTMLInputElement} */ (element("notify")),
  quit: element("quit"),
};

const session = {
  /** The name logged in with (the server's spelling once welcomed). */
  name: "",
  /** The password, kept in memory only, to log in again after a reconnect. */
  password: "",
  /** A password set by `/register` or `/password`, kept once the server confirms it. */
  pendingPassword: "",
  /** `login`: the form; `connecting`: name sent; `password`: asked for one; `chat`: welcomed. */
  phase: /** @type {"login" | "connecting" | "password" | "chat"} */ ("login"),
  /** Whether the page was ever welcomed: a new login is then a reconnect. */
  welcomed: false,
  /** The room the server sends `ME` and room-less commands to. */
  serverRoom: "",
  /** Unread messages while the page is hidden, for the title. */
  hiddenUnread: 0,
  /**
   * Who asked each WHO still unanswered: the page after its login (the answer
   * names the default room) or after a join (it ends the room's history), or
   * the user.
   *
   * @type {("login" | "join" | "user")[]}
   */
  pendingWho: [],
  /** Counts the connections, so a line knows whether it was sent on this one. */
  generation: 0,
  /** Whether the user asked for a LIST still unanswered. */
  listAsked: false,
  /** Whether the user typed a SWITCH: the room it makes current is then shown. */
  switchAsked: false,
  /** The user's own line shown for the last line sent, if it was a message or action. */
  /** @type {HTMLLIElement | undefined} */
  lastOwnLine: undefined,
};

/** @type {Map<string, Conversation>} */
const conversations = new Map();
/** @type {Conversation | undefined} */
let shown;
/** The line of every event shown, by id: a reconnect's replay skips them. */
/** @type {Map<string, HTMLLIElement>} */
const shownById = new Map();

const link = new ServerLink(
  `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`,
  {
    open: () => {
      session.phase = "connecting";
      session.generation++;
      session.pendingWho = [];
      session.listAsked = false;
      link.send(session.name);
    },
    event: (event) => receive(event),
    state: (state) => showLinkState(state),
  },
);

// ---- Login ----------------------------------------------------------------

ui.login.addEventListener("submit", (event) => {
  event.preventDefault();
  if (session.phase === "password" && link.isOpen) {
    session.password = ui.loginPassword.value;
    ui.loginPassword.value = "";
    link.send(`PASS ${session.password}`);
    return;
  }
  const name = ui.loginName.value.trim();
  if (name === "") {
    showLoginError("Enter a name to log in with");
    return;
  }
  session.name = name;
  session.password = ui.loginPassword.value;
  ui.loginPassword.value = "";
  ui.loginError.hidden = true;
  link.start();
});

/** @param {string} text */
function showLoginError(text) {
  ui.loginError.textContent = text;
  ui.loginError.hidden = false;
}

/** Shows the login form, with the password field when `askPassword`. */
function showLogin(askPassword = false) {
  session.phase = askPassword ? "password" : "login";
  ui.chatView.hidden = true;
  ui.panelToggle.hidden = true;
  ui.loginView.hidden = false;
  ui.loginName.value = session.name;
  ui.loginName.readOnly = askPassword;
  ui.passwordRow.hidden = !askPassword;
  (askPassword ? ui.loginPassword : ui.loginName).focus();
}

function showChat() {
  ui.loginView.hidden = true;
  ui.loginError.hidden = true;
  ui.chatView.hidden = false;
  ui.panelToggle.hidden = false;
  ui.input.focus();
}

// ---- Connection state ---------------------------------------------------------

/** @type {ReturnType<typeof setInterval> | undefined} */
let countdown;

/** @param {import("./connection.js").LinkState} state */
function showLinkState(state) {
  clearInterval(countdown);
  ui.status.dataset.state = state.state;
  ui.retry.hidden = state.state !== "waiting";
  switch (state.state) {
    case "connecting":
      ui.status.textContent = session.welcomed ? "Reconnecting…" : "Connecting…";
      break;
    case "open":
      ui.status.textContent = "Logging in…";
      break;
    case "stopped":
      ui.status.textContent = "Not connected";
      break;
    case "waiting": {
      if (session.phase === "chat") lostConnection(state.reason);
      if (session.phase !== "login") session.phase = "connecting";
      const tell = () => {
        const when = state.retryAt === undefined
          ? "when the network is back"
          : `in ${Math.max(1, Math.round((state.retryAt - Date.now()) / 1000))} s`;
        ui.status.textContent = `Connection lost: ${state.reason}. Reconnecting ${when}.`;
      };
      tell();
      countdown = setInterval(tell, 1000);
      break;
    }
  }
}

ui.retry.addEventListener("click", () => link.retryNow());

/** @param {string} reason */
function lostConnection(reason) {
  for (const conversation of conversations.values()) {
    conversation.request = null;
    conversation.replay = null;
    if (conversation.kind === "room" && conversation.joined) {
      notice(conversation, `Connection lost: ${reason}`, "status-line");
    }
  }
}

// ---- Events from the server -------------------------------------------------

/**
 * Reads a field as a string, whatever the server sent.
 *
 * @param {Record<string, unknown>} event
 * @param {string} field
 */
function text(event, field) {
  const value = event[field];
  return typeof value === "string" ? value : value === undefined ? "" : String(value);
}

/**
 * @param {Record<string, unknown>} event
 * @param {string} field
 * @returns {number | undefined}
 */
function number(event, field) {
  const value = event[field];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** @param {Record<string, unknown>} event */
function receive(event) {
  switch (event.type) {
    case "welcome":
      return welcomed(event);
    case "event":
      return chatEvent(event, true);
    case "history":
      return chatEvent(event, false);
    case "history-end":
      return historyEnd(event);
    case "who":
      return who(event);
    case "joined":
      return joined(event);
    case "parted":
      return parted(text(event, "room"));
    case "current": {
      session.serverRoom = text(event, "room");
      const conversation = room(session.serverRoom);
      if (session.switchAsked && conversation !== undefined) show(conversation);
      session.switchAsked = false;
      return;
    }
    case "topic": {
      const conversation = room(text(event, "room"));
      const topic = text(event, "topic");
      if (conversation === undefined) return;
      setTopic(conversation, topic);
      notice(conversation, topic === "" ? "No topic is set" : `Topic: ${topic}`);
      return;
    }
    case "list":
      return listed(event);
    case "pong":
      return;
    case "help":
      return notice(shown, `${text(event, "usage")} — ${text(event, "summary")}`, "help");
    case "shutdown":
      return noticeEverywhere("The server is shutting down");
    case "moderation":
      return notice(shown, text(event, "text"), "moderation");
    case "bans":
      return banList(event);
    case "account":
      return account(event);
    case "error":
      return serverError(event);
  }
}

/** @param {Record<string, unknown>} event */
function welcomed(event) {
  const again = session.welcomed;
  session.phase = "chat";
  session.welcomed = true;
  session.name = text(event, "name") || session.name;
  session.serverRoom = "";
  link.loggedIn();
  ui.status.textContent = `Connected as ${session.name}`;
  ui.status.dataset.state = "online";
  showChat();
  const users = number(event, "users") ?? 0;
  loginNotice = again ? "Reconnected" : `Welcome to ${text(event, "server")}, ${session.name}! ` +
    `${users === 1 ? "1 user" : `${users} users`} online.`;
  // The default room's name comes with the answer to this WHO, which the
  // server sends after the room's history: it also ends the replay, which
  // any room the page was in may be (the page does not know yet which).
  for (const conversation of conversations.values()) {
    if (conversation.kind === "room" && conversation.joined) startReplay(conversation);
  }
  session.pendingWho.push("login");
  link.send("WHO");
}

/** The notice for the default room once the login's WHO names it. */
let loginNotice = "";

/**
 * An event, live or from history.
 *
 * @param {Record<string, unknown>} event
 * @param {boolean} live
 */
function chatEvent(event, live) {
  const id = text(event, "id");
  const kind = text(event, "kind");
  const from = text(event, "from");
  const to = text(event, "to");
  const body = text(event, "text");
  const time = number(event, "time") ?? Date.now();
  const conversation = kind === "private"
    ? privateConversation(sameName(from, session.name) ? to : from)
    : room(text(event, "room"), true);
  if (conversation === undefined) return;

  const known = (id === "" ? undefined : shownById.get(id)) ??
    (live || !sameName(from, session.name)
      ? undefined
      : claimOwnLine(conversation, kind, body, id, time));
  if (!live) {
    if (conversation.replay !== null) countLine(conversation.replay, time, known !== undefined);
    if (conversation.request !== null) countLine(conversation.request, time, known !== undefined);
  }
  if (known !== undefined) {
    if (!live) conversation.anchor = known;
    if (conversation.request !== null) conversation.requestFirst ??= known;
    return;
  }
  if (live) updateRoom(conversation, kind, from, to, body);

  const line = eventLine(kind, from, to, body, session.name);
  if (line === undefined) return;
  const li = lineElement(line.className, time, line.parts, id);
  if (!live) li.classList.add("history");
  const mine = sameName(from, session.name);
  const mentioned = !mine && (kind === "message" || kind === "action") &&
    mentions(body, session.name);
  if (mentioned) li.classList.add("mention");
  if (id !== "") shownById.set(id, li);
  if (live) {
    conversation.append(li);
  } else {
    conversation.placeHistory(li, time);
    if (conversation.request !== null) conversation.requestFirst ??= li;
  }
  conversation.hasIds = true;
  const countable = live && !mine && ["message", "action", "private"].includes(kind);
  if (countable) arrived(conversation, li, mentioned || kind === "private", line.parts);
}

/**
 * Keeps the room's people, topic and membership up to date with a live event.
 *
 * @param {Conversation} conversation
 * @param {string} kind
 * @param {string} from
 * @param {string} to
 * @param {string} body
 */
function updateRoom(conversation, kind, from, to, body) {
  const people = conversation.people;
  switch (kind) {
    case "join":
      people.add(from);
      break;
    case "part":
    case "quit":
    case "disconnect":
      people.delete(from);
      break;
    case "kick":
      people.delete(to);
      if (sameName(to, session.name)) {
        conversation.joined = false;
        conversation.button.classList.add("left");
      }
      break;
    case "topic":
      setTopic(conversation, body);
      break;
    case "nick":
      if (people.delete(from)) people.add(to);
      if (sameName(from, session.name)) session.name = to;
      renamePrivate(from, to);
      break;
  }
  if (conversation === shown) showPeople();
}

/**
 * Gives the user's own line shown at once the id and time the server gave it,
 * found in a history by its text; returns that line, if there was one.
 *
 * @param {Conversation} conversation
 * @param {string} kind
 * @param {string} body
 * @param {string} id
 * @param {number} time
 */
function claimOwnLine(conversation, kind, body, id, time) {
  const index = conversation.unconfirmed.findIndex((li) =>
    li.dataset.kind === kind && li.dataset.text === body
  );
  const [li] = index < 0 ? [] : conversation.unconfirmed.splice(index, 1);
  if (li === undefined) return undefined;
  li.dataset.id = id;
  li.dataset.time = String(time);
  li.classList.remove("unsent");
  if (id !== "") shownById.set(id, li);
  return li;
}

/** @param {Record<string, unknown>} event */
function historyEnd(event) {
  const conversation = room(text(event, "room"));
  if (conversation === undefined) return;
  const request = conversation.request;
  const first = conversation.requestFirst;
  conversation.request = null;
  conversation.requestFirst = null;
  conversation.anchor = null;
  if (request === null) {
    conversation.notice(`${number(event, "count") ?? 0} older lines`);
    return;
  }
  const step = afterPage(request, number(event, "next"));
  switch (step.kind) {
    case "ask":
      return askHistory(conversation, step.request, step.before);
    case "older":
      conversation.olderNext = step.next;
      if (conversation === shown) showOlderButton();
      return;
    case "gap": {
      const li = lineElement("gap", request.oldest, [[
        "text",
        "Some messages may be missing here",
      ]]);
      conversation.insertBefore(li, first);
      return;
    }
  }
}

/**
 * Asks for a page of a room's history.
 *
 * @param {Conversation} conversation
 * @param {import("./history.js").HistoryRequest} request
 * @param {string} before A UTC time as the protocol writes it, or "" for now.
 */
function askHistory(conversation, request, before) {
  const line = `HISTORY ${conversation.name} ${request.count}${before === "" ? "" : ` ${before}`}`;
  if (!link.send(line)) return;
  conversation.request = request;
  conversation.requestFirst = null;
  conversation.anchor = null;
}

/** @param {Record<string, unknown>} event */
function who(event) {
  const asker = session.pendingWho.shift() ?? "user";
  const name = text(event, "room");
  const names = Array.isArray(event.names) ? event.names.map(String) : [];
  const conversation = asker === "login" ? loggedInTo(name) : room(name);
  if (conversation !== undefined) {
    conversation.people = new Set(names);
    if (conversation === shown) showPeople();
    if (asker !== "user") replayEnded(conversation);
  }
  if (asker === "user") {
    const count = number(event, "count") ?? names.length;
    notice(conversation ?? shown, `In ${name}: ${count} — ${names.join(", ")}`);
  }
}

/**
 * The login's WHO named the default room: show it, and after a reconnect go
 * back to the rooms the user was in.
 *
 * @param {string} name The default room.
 * @returns {Conversation}
 */
function loggedInTo(name) {
  session.serverRoom = name;
  const wasIn = room(name);
  const conversation = wasIn ?? openRoom(name);
  notice(conversation, loginNotice, "status-line");
  for (const other of conversations.values()) {
    if (other.kind !== "room" || other === conversation || !other.joined) continue;
    startReplay(other);
    link.send(`JOIN ${other.name}`);
  }
  link.send("LIST");
  return conversation;
}

/** @param {Record<string, unknown>} event */
function joined(event) {
  const name = text(event, "room");
  session.serverRoom = name;
  let conversation = room(name);
  const rejoined = conversation !== undefined && conversation.replay !== null;
  if (conversation === undefined) conversation = openRoom(name);
  conversation.joined = true;
  conversation.button.classList.remove("left");
  if (conversation.replay === null) startReplay(conversation);
  setTopic(conversation, text(event, "topic"));
  if (!rejoined) {
    const users = number(event, "users") ?? 0;
    notice(conversation, `You joined ${name}: ${users === 1 ? "1 user" : `${users} users`}`);
    show(conversation);
  } else {
    notice(conversation, "Reconnected", "status-line");
  }
  session.pendingWho.push("join");
  link.send(`WHO ${name}`);
}

/**
 * Counts the history the server replays into a room after a login or join.
 *
 * @param {Conversation} conversation
 */
function startReplay(conversation) {
  conversation.anchor = null;
  conversation.replay = replay(conversation.hasIds);
}

/**
 * A room's replayed history is complete: if it shared no line with what the
 * page showed before, older pages are fetched until one does.
 *
 * @param {Conversation} conversation
 */
function replayEnded(conversation) {
  const replayed = conversation.replay;
  conversation.replay = null;
  conversation.anchor = null;
  if (replayed === null) return;
  // The user's lines sent on a connection that was lost before the server
  // had them, though the replay covers their time, never reached it.
  for (const li of conversation.unconfirmed) {
    if (Number(li.dataset.generation) === session.generation || replayed.received === 0) continue;
    if (Number(li.dataset.time) < replayed.oldest || li.classList.contains("unsent")) continue;
    li.classList.add("unsent");
    li.title = "This message may not have reached the server";
  }
  const step = afterReplay(replayed);
  if (step.kind === "ask") askHistory(conversation, step.request, step.before);
}

/** @param {string} name */
function parted(name) {
  const conversation = room(name);
  if (session.serverRoom.toLowerCase() === name.toLowerCase()) session.serverRoom = "";
  if (conversation === undefined) return;
  closeConversation(conversation);
}

/** @param {Record<string, unknown>} event */
function listed(event) {
  const rooms = Array.isArray(event.rooms) ? event.rooms : [];
  ui.roomList.replaceChildren();
  for (const entry of rooms) {
    const name = text(entry, "room");
    const users = number(entry, "users") ?? 0;
    const topic = text(entry, "topic");
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "room-entry";
    const title = document.createElement("span");
    title.className = "room-name";
    title.textContent = name;
    const size = document.createElement("span");
    size.className = "room-size";
    size.textContent = users === 1 ? "1 user" : `${users} users`;
    button.append(title, size);
    if (topic !== "") {
      const about = document.createElement("span");
      about.className = "room-topic";
      about.textContent = topic;
      button.append(about);
    }
    button.addEventListener("click", () => {
      const open = room(name);
      if (open?.joined) show(open);
      else send(`JOIN ${name}`);
      closePanel();
    });
    li.append(button);
    ui.roomList.append(li);
  }
  if (session.listAsked) {
    session.listAsked = false;
    const summary = rooms.map((entry) => `${text(entry, "room")} (${number(entry, "users") ?? 0})`);
    notice(
      shown,
      `${rooms.length === 1 ? "1 room" : `${rooms.length} rooms`}: ${summary.join(", ")}`,
    );
  }
}

/** @param {Record<string, unknown>} event */
function banList(event) {
  const bans = Array.isArray(event.bans) ? event.bans : [];
  for (const ban of bans) {
    const until = number(ban, "until");
    const when = until === undefined ? "for good" : `until ${new Date(until).toLocaleString()}`;
    notice(
      shown,
      `Ban: ${text(ban, "target")} ${when} by ${text(ban, "by")}: ${text(ban, "reason")}`,
    );
  }
  notice(shown, bans.length === 1 ? "1 ban" : `${bans.length} bans`);
}

/** @param {Record<string, unknown>} event */
function account(event) {
  switch (event.notice) {
    case "password":
      if (session.password !== "") {
        link.send(`PASS ${session.password}`);
      } else {
        showLogin(true);
      }
      return;
    case "registered":
    case "password-changed":
      session.password = session.pendingPassword;
      break;
    case "unregistered":
      session.password = "";
      break;
  }
  session.pendingPassword = "";
  notice(shown, text(event, "text"), "account");
}

/** @param {Record<string, unknown>} event */
function serverError(event) {
  const code = text(event, "code");
  const message = text(event, "text");
  const closes = text(event, "closes");
  if (session.phase !== "chat" && closes !== "never") {
    if (session.welcomed && PASSING_REFUSALS.has(code)) {
      ui.status.textContent = `${message}; trying again`;
      return;
    }
    link.stop();
    if (code.startsWith("password")) session.password = "";
    showLogin(false);
    showLoginError(message);
    return;
  }
  const refused = session.lastOwnLine;
  if (refused !== undefined && REFUSED_LINE_ERRORS.has(code)) {
    refused.classList.add("unsent");
    refused.title = message;
    for (const conversation of conversations.values()) {
      conversation.unconfirmed = conversation.unconfirmed.filter((li) => li !== refused);
    }
  }
  const li = lineElement("error", Date.now(), [["text", message]]);
  li.dataset.code = code;
  shown?.append(li);
  if (closes === "always" && FINAL_ERRORS.has(code)) {
    link.stop();
    ui.status.textContent = `Disconnected: ${message}`;
  }
}

// ---- Conversations and tabs ---------------------------------------------------

/**
 * The room with this name, if the page has it; with `create`, made for it
 * (a line of a room the page has not seen named yet).
 *
 * @param {string} name
 * @param {boolean} [create]
 */
function room(name, create = false) {
  if (name === "") return undefined;
  const found = conversations.get(conversationKey("room", name));
  return found ?? (create ? openRoom(name) : undefined);
}

/** @param {string} name */
function openRoom(name) {
  const conversation = new Conversation("room", name, ui.messages);
  addConversation(conversation);
  return conversation;
}

/** @param {string} name */
function privateConversation(name) {
  const key = conversationKey("private", name);
  let conversation = conversations.get(key);
  if (conversation === undefined) {
    conversation = new Conversation("private", name, ui.messages);
    addConversation(conversation);
  }
  return conversation;
}

/**
 * @param {string} from
 * @param {string} to
 */
function renamePrivate(from, to) {
  const conversation = conversations.get(conversationKey("private", from));
  if (conversation === undefined || conversations.has(conversationKey("private", to))) return;
  conversations.delete(conversation.key);
  conversation.rename(to);
  conversations.set(conversation.key, conversation);
  if (conversation === shown) showHeader();
}

/** @param {Conversation} conversation */
function addConversation(conversation) {
  conversations.set(conversation.key, conversation);
  ui.logs.append(conversation.log);
  ui.tabList.append(conversation.tab);
  conversation.button.addEventListener("click", () => {
    show(conversation);
    ui.input.focus();
  });
  if (shown === undefined) show(conversation);
}

/** @param {Conversation} conversation */
function closeConversation(conversation) {
  conversations.delete(conversation.key);
  // Joined again, the room's history is shown again.
  for (const id of conversation.ids()) shownById.delete(id);
  conversation.log.remove();
  conversation.tab.remove();
  if (shown === conversation) {
    shown = undefined;
    const next = [...conversations.values()][0];
    if (next !== undefined) show(next);
    else showHeader();
  }
}

/** @param {Conversation} conversation */
function show(conversation) {
  const already = shown === conversation;
  if (!already) shown?.hide();
  shown = conversation;
  if (!document.hidden) conversation.markRead();
  showHeader();
  showPeople();
  showOlderButton();
  if (!already) conversation.show();
}

function showHeader() {
  if (shown === undefined) {
    ui.roomTitle.textContent = "No conversation";
    ui.roomTopic.textContent = "You are in no room: join one.";
    ui.inputLabel.textContent = "Message";
    return;
  }
  const isRoom = shown.kind === "room";
  ui.roomTitle.textContent = isRoom ? shown.name : `Private with ${shown.name}`;
  ui.roomTopic.textContent = isRoom ? shown.topic : "Only the two of you see these messages.";
  ui.inputLabel.textContent = isRoom ? `Message ${shown.name}` : `Private message to ${shown.name}`;
}

function showPeople() {
  ui.people.replaceChildren();
  if (shown === undefined || shown.kind !== "room") {
    ui.peopleTitle.textContent = "People here";
    return;
  }
  const names = [...shown.people].sort((a, b) => a.localeCompare(b));
  ui.peopleTitle.textContent = `People in ${shown.name} (${names.length})`;
  for (const name of names) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "person";
    button.textContent = name;
    if (sameName(name, session.name)) {
      button.disabled = true;
      button.textContent = `${name} (you)`;
    } else {
      button.setAttribute("aria-label", `Private message to ${name}`);
    }
    button.addEventListener("click", () => {
      show(privateConversation(name));
      closePanel();
      ui.input.focus();
    });
    li.append(button);
    ui.people.append(li);
  }
}

function showOlderButton() {
  const canScroll = shown?.kind === "room";
  ui.older.hidden = !canScroll || shown?.olderNext === null;
  ui.olderNone.hidden = !canScroll || shown?.olderNext !== null;
}

/**
 * @param {Conversation} conversation
 * @param {string} topic
 */
function setTopic(conversation, topic) {
  conversation.topic = topic;
  if (conversation === shown) showHeader();
}

ui.older.addEventListener("click", () => loadOlder());
ui.messages.addEventListener("scroll", () => {
  if (ui.messages.scrollTop === 0 && shown?.kind === "room" && shown.olderNext !== null) {
    loadOlder();
  }
});

function loadOlder() {
  const conversation = shown;
  if (conversation === undefined || conversation.kind !== "room" || conversation.request !== null) {
    return;
  }
  const before = olderBefore(conversation.olderNext ?? undefined, conversation.oldestTime());
  askHistory(conversation, historyRequest("older", HISTORY_PAGE), before);
}

// ---- Lines ------------------------------------------------------------------

/**
 * Adds a notice line (not from a chat event) at the end of a conversation.
 *
 * @param {Conversation | undefined} conversation
 * @param {string} message
 * @param {string} [className]
 */
function notice(conversation, message, className = "notice") {
  conversation?.notice(message, className);
}

/** @param {string} message */
function noticeEverywhere(message) {
  for (const conversation of conversations.values()) {
    if (conversation.kind === "room") conversation.notice(message, "status-line");
  }
}

/**
 * A message from someone else arrived live: counts it unread unless the user
 * is reading it, and notifies when the user asked to be.
 *
 * @param {Conversation} conversation
 * @param {HTMLLIElement} li
 * @param {boolean} personal A mention or a private message.
 * @param {[string, string][]} parts
 */
function arrived(conversation, li, personal, parts) {
  const reading = conversation === shown && !document.hidden;
  if (!reading) conversation.markUnread(li);
  if (document.hidden) {
    session.hiddenUnread++;
    document.title = `(${session.hiddenUnread}) nanochat`;
  }
  if (
    personal && !reading && ui.notify.checked && "Notification" in globalThis &&
    Notification.permission === "granted"
  ) {
    const body = parts.map(([, value]) => value).join("");
    new Notification(conversation.title, { body, tag: conversation.key });
  }
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  session.hiddenUnread = 0;
  document.title = "nanochat";
  shown?.markRead();
});

// ---- Sending ----------------------------------------------------------------

/** What Up and Down bring back into the input. */
const sentLines = new SentLines();

ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const line = ui.input.value;
  if (!submit(line)) return;
  sentLines.remember(line);
  ui.input.value = "";
});

ui.input.addEventListener("keydown", (event) => {
  if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const recalled = sentLines.step(event.key === "ArrowUp" ? "up" : "down", ui.input.value);
  if (recalled === undefined) return;
  ui.input.value = recalled;
  event.preventDefault();
});

/**
 * Sends a typed line; false leaves it in the input (not connected, refused).
 *
 * @param {string} input
 * @returns {boolean}
 */
function submit(input) {
  const target = shown === undefined
    ? { kind: /** @type {const} */ ("room"), name: session.serverRoom }
    : { kind: shown.kind, name: shown.name };
  const outgoing = parseInput(input, target);
  if (outgoing.kind === "none") return true;
  if (outgoing.kind === "refused") {
    notice(shown, outgoing.error ?? "", "error");
    return false;
  }
  if (
    shown?.kind === "room" && !shown.joined &&
    (outgoing.kind === "say" || outgoing.kind === "action") && outgoing.room === shown.name
  ) {
    notice(shown, `You are not in ${shown.name}: /join ${shown.name} to talk here`, "error");
    return false;
  }
  if (!link.isOpen || session.phase !== "chat") {
    notice(
      shown,
      "Not connected: your message stays in the box until the connection is back",
      "error",
    );
    return false;
  }
  const word = outgoing.lines[0]?.split(" ")[0]?.toUpperCase() ?? "";
  if (
    shown?.kind === "room" && shown.joined && outgoing.kind !== "say" &&
    !["SWITCH", "JOIN"].includes(word) &&
    session.serverRoom.toLowerCase() !== shown.name.toLowerCase()
  ) {
    // ME and room-less commands (TOPIC, WHO, PART…) go to the server's
    // current room: make it the one shown first.
    link.send(`SWITCH ${shown.name}`);
    session.serverRoom = shown.name;
  }
  for (const line of outgoing.lines) link.send(line);
  if (outgoing.password !== undefined) session.pendingPassword = outgoing.password;
  if (word === "WHO") session.pendingWho.push("user");
  if (word === "LIST") session.listAsked = true;
  if (word === "SWITCH") session.switchAsked = true;
  session.lastOwnLine = undefined;
  switch (outgoing.kind) {
    case "say":
    case "action":
      session.lastOwnLine = showOwnLine(
        outgoing.kind === "say" ? "message" : "action",
        outgoing.room ?? "",
        outgoing.text ?? "",
      );
      break;
    case "private": {
      const conversation = privateConversation(outgoing.peer ?? "");
      show(conversation);
      break;
    }
    case "quit":
      link.stop();
      noticeEverywhere("You left the chat");
      ui.status.textContent = "Logged out";
      showLogin(false);
      break;
  }
  return true;
}

/**
 * Shows the user's own message or action at once: the server does not echo
 * them. It gets its id when a later history holds it.
 *
 * @param {"message" | "action"} kind
 * @param {string} roomName
 * @param {string} body
 * @returns {HTMLLIElement | undefined} The line shown.
 */
function showOwnLine(kind, roomName, body) {
  const conversation = room(roomName);
  if (conversation === undefined) return undefined;
  const line = eventLine(kind, session.name, "", body, session.name);
  if (line === undefined) return undefined;
  const now = Math.max(Date.now(), conversation.lastTime());
  const li = lineElement(`${line.className} own`, now, line.parts);
  li.dataset.kind = kind;
  li.dataset.text = body;
  li.dataset.generation = String(session.generation);
  conversation.unconfirmed.push(li);
  if (conversation === shown) conversation.scrollToEnd();
  conversation.append(li);
  return li;
}

/**
 * Sends a line the page makes itself (a button), if connected.
 *
 * @param {string} line
 */
function send(line) {
  if (session.phase === "chat") link.send(line);
}

ui.listRooms.addEventListener("click", () => send("LIST"));
ui.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = ui.joinName.value.trim();
  if (name === "") return;
  send(`JOIN ${name.startsWith("#") ? name : `#${name}`}`);
  ui.joinName.value = "";
  closePanel();
});
ui.quit.addEventListener("click", () => {
  submit("/quit");
});

ui.notify.addEventListener("change", async () => {
  if (!ui.notify.checked || !("Notification" in globalThis)) {
    if (ui.notify.checked) ui.notify.checked = false;
    return;
  }
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    ui.notify.checked = false;
    notice(shown, "The browser does not allow notifications for this page", "error");
  }
});

// ---- The panel on narrow screens ---------------------------------------------

ui.panelToggle.addEventListener("click", () => {
  const open = !ui.panel.classList.contains("open");
  ui.panel.classList.toggle("open", open);
  ui.panelToggle.setAttribute("aria-expanded", String(open));
  if (open && session.phase === "chat") send("LIST");
});

function closePanel() {
  ui.panel.classList.remove("open");
  ui.panelToggle.setAttribute("aria-expanded", "false");
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && ui.panel.classList.contains("open")) {
    closePanel();
    ui.panelToggle.focus();
  }
  // Alt+Up and Alt+Down step through the tabs from anywhere.
  if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
    const all = [...conversations.values()];
    if (shown === undefined || all.length < 2) return;
    const step = event.key === "ArrowUp" ? -1 : 1;
    const next = all[(all.indexOf(shown) + step + all.length) % all.length];
    if (next !== undefined) show(next);
    event.preventDefault();
  }
});

showLogin(false);
