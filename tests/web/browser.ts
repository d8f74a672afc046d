/**
 * What the browser tests share: a real `nanochat serve --http` subprocess,
 * Debian's Chromium driven by Playwright, and a page per user, with
 * helpers that wait on what the page shows (never on time).
 *
 * @module
 */

import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { NanochatProcess } from "../support/cli_process.ts";

/**
 * The little of the DOM that functions run in the page use: the tests are
 * type-checked against Deno's globals, which have no `document`.
 */
interface PageElement {
  readonly textContent: string | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
};

/** The Chromium the tests drive: Debian's by default, `NANOCHAT_CHROMIUM` to override. */
export const CHROMIUM_PATH = Deno.env.get("NANOCHAT_CHROMIUM") ?? "/usr/bin/chromium";

/** How long a test waits for the page to show something before it fails. */
export const PAGE_TIMEOUT_MS = 10_000;

/** Whether Chromium is there to drive: the tests are skipped (and say why) without it. */
export const HAS_CHROMIUM = await Deno.stat(CHROMIUM_PATH).then(() => true, () => false);

if (!HAS_CHROMIUM) {
  // deno-lint-ignore no-console
  console.warn(`Browser tests skipped: no Chromium at ${CHROMIUM_PATH} (set NANOCHAT_CHROMIUM)`);
}

/** Starts headless Chromium. */
export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

/** A `nanochat serve` with the web page on, and the page's address. */
export interface WebServer extends AsyncDisposable {
  readonly process: NanochatProcess;
  /** The TCP port for `nc` users. */
  readonly port: number;
  /** The page's address, such as `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `nanochat serve --http` on loopback.
 *
 * @param options Ports to use (a free one each by default, which a restart
 * must reuse), a database file and the directory it may write in.
 */
export async function startWebServer(
  options: { port?: number; httpPort?: number; data?: { dir: string; db: string } } = {},
): Promise<WebServer> {
  const flags = [
    "--listen",
    `127.0.0.1:${options.port ?? 0}`,
    "--http",
    `127.0.0.1:${options.httpPort ?? 0}`,
    // The tests speak faster than people and log in many times from one address.
    "--rate",
    "0",
    "--max-new-per-ip",
    "0",
    // Nothing is kept on disk unless the test names a database.
    ...(options.data ? ["--data", options.data.db] : ["--in-memory"]),
  ];
  const permissions = options.data
    ? [`--allow-read=${options.data.dir}`, `--allow-write=${options.data.dir}`]
    : [];
  const process = new NanochatProcess(["serve", ...flags], false, permissions);
  let ports;
  try {
    ports = await listening(process);
  } catch (error) {
    await process[Symbol.asyncDispose]();
    throw error;
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await process.stop("SIGTERM");
  };
  return {
    process,
    port: ports.port,
    url: `http://127.0.0.1:${ports.httpPort}/`,
    stop,
    async [Symbol.asyncDispose]() {
      if (!stopped) await process[Symbol.asyncDispose]();
    },
  };
}

/**
 * Waits for a server's TCP and web listeners, for up to a few of the
 * support code's line timeouts: a loaded machine may take that long to
 * start Deno.
 */
async function listening(process: NanochatProcess): Promise<{ port: number; httpPort: number }> {
  const tcp = / listening addr=\S+:(\d+) tls=false$/;
  const web = / web addr=\S+:(\d+) tls=false$/;
  const both = () => process.stderr.lines.some((line) => web.test(line));
  for (let waits = 1;; waits++) {
    try {
      await process.stderr.waitFor(both, "the web listener");
      break;
    } catch (error) {
      if (waits === 4) throw error;
    }
  }
  const port = (pattern: RegExp) =>
    Number(process.stderr.lines.map((line) => line.match(pattern)?.[1]).find(Boolean));
  return { port: port(tcp), httpPort: port(web) };
}

/** A port nothing listens on now, for a server that must come back on the same one. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** A temporary directory for a server's database, removed at the end. */
export async function dataDir(): Promise<{ dir: string; db: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "nanochat-web-" });
  return {
    dir,
    db: `${dir}/chat.db`,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** One user's page in a browser context of its own (its own cookies, its own network). */
export class ChatPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** What the page's console said that no page should: errors, CSP refusals. */
  readonly problems: string[] = [];

  private constructor(context: BrowserContext, page: Page) {
    this.context = context;
    this.page = page;
    page.on("console", (message) => {
      if (message.type() === "error") this.problems.push(message.text());
    });
    page.on("pageerror", (error) => this.problems.push(String(error)));
  }

  /**
   * Opens the page in a new context.
   *
   * @param browser The browser.
   * @param url The page's address.
   * @param options The viewport and color scheme.
   */
  static async open(
    browser: Browser,
    url: string,
    options: {
      viewport?: { width: number; height: number };
      colorScheme?: "light" | "dark";
      /** A script run in the page before its own. */
      initScript?: string;
    } = {},
  ): Promise<ChatPage> {
    const context = await browser.newContext({
      viewport: options.viewport ?? { width: 1280, height: 800 },
      colorScheme: options.colorScheme ?? "light",
    });
    context.setDefaultTimeout(PAGE_TIMEOUT_MS);
    if (options.initScript !== undefined) await context.addInitScript(options.initScript);
    const page = await context.newPage();
    const chat = new ChatPage(context, page);
    await page.goto(url);
    return chat;
  }

  /** Logs in with a name (and a password, when the server asks for one) and waits to be in. */
  async login(name: string, password?: string): Promise<void> {
    await this.page.getByLabel("Your name").fill(name);
    await this.page.getByRole("button", { name: "Log in" }).click();
    if (password !== undefined) {
      await this.page.getByLabel("Password").fill(password);
      await this.page.getByRole("button", { name: "Log in" }).click();
    }
    await this.waitOnline();
  }

  /** Waits until the page says it is connected and logged in. */
  async waitOnline(): Promise<void> {
    await this.page.locator('#status[data-state="online"]').waitFor();
  }

  /** Types a line into the message input and sends it with Enter. */
  async type(line: string): Promise<void> {
    const input = this.page.locator("#input");
    await input.fill(line);
    await input.press("Enter");
  }

  /** Shows a conversation by clicking its tab (`#rust`, `@bob`). */
  async open(conversation: string): Promise<void> {
    await this.tab(conversation).click();
    await this.page.locator(`ol[data-conversation="${conversation}"]`).waitFor();
  }

  /** A conversation's tab. */
  tab(conversation: string) {
    return this.page.locator(`#tab-list li[data-conversation="${conversation}"] button`);
  }

  /**
   * The chat lines a conversation shows, in order, as `name: text`,
   * `* name action` or, for private ones, `name → you: text`.
   */
  lines(conversation: string): Promise<string[]> {
    return this.page.evaluate((name) => {
      const log = document.querySelector(`ol[data-conversation="${name}"]`);
      if (log === null) return [];
      return [...log.querySelectorAll("li.message, li.action, li.private")].map((li) =>
        [...li.querySelectorAll("span")].map((span) => span.textContent).join("")
      );
    }, conversation);
  }

  /** Waits until a conversation shows a chat line equal to `line`. */
  async waitForLine(conversation: string, line: string): Promise<void> {
    await this.#waitForLine(conversation, line).catch(async (error) => {
      const shown = await this.lines(conversation).catch(() => []);
      throw new Error(
        `${conversation} never showed "${line}"; it shows:\n${shown.join("\n")}`,
        { cause: error },
      );
    });
  }

  #waitForLine(conversation: string, line: string) {
    return this.page.waitForFunction(
      ([name, wanted]) => {
        const log = document.querySelector(`ol[data-conversation="${name}"]`);
        return log !== null &&
          [...log.querySelectorAll("li.message, li.action, li.private")].some((li) =>
            [...li.querySelectorAll("span")].map((span) => span.textContent).join("") === wanted
          );
      },
      [conversation, line] as const,
      { timeout: PAGE_TIMEOUT_MS },
    );
  }

  /**
   * Waits until a conversation shows more than `count` chat lines, or the
   * page says there are no older ones.
   */
  async waitForMoreLines(conversation: string, count: number): Promise<void> {
    // A predicate given as a function: as a string the page's CSP refuses it.
    await this.page.waitForFunction(
      ([name, shown]) =>
        document.querySelectorAll(`ol[data-conversation="${name}"] li.message`).length > shown ||
        document.querySelector("#older-none:not([hidden])") !== null,
      [conversation, count] as const,
    );
  }

  /** Waits until a notice line (any class) holding `text` is in a conversation. */
  async waitForNotice(conversation: string, text: string): Promise<void> {
    await this.page.locator(`ol[data-conversation="${conversation}"] li`, { hasText: text })
      .first().waitFor();
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
