import assert from "@nanochat/assert";
import { PRESENCE_NOTICE } from "../support/test_server.ts";
import { TestClient } from "../support/test_client.ts";
import { ChatPage, dataDir, HAS_CHROMIUM, launchBrowser, startWebServer } from "./browser.ts";

async function ncLogin(port: number, name: string): Promise<TestClient> {
  const client = await TestClient.login(port, name);
  client.ignore(new RegExp(`${PRESENCE_NOTICE.source}|^(#\\S+ )?HISTORY `));
  assert.match(await client.readLine(), /^NOTICE welcome: /);
  return client;
}

/** Makes the page believe it is hidden (another browser tab in front) or shown again. */
async function setHidden(chat: ChatPage, hidden: boolean): Promise<void> {
  await chat.page.evaluate(`
    Object.defineProperty(document, "hidden", { configurable: true, get: () => ${hidden} });
    document.dispatchEvent(new Event("visibilitychange"));
  `);
}

Deno.test({
  name: "the page scrolls back through a room's history a page at a time, to its beginning",
  ignore: !HAS_CHROMIUM,
  async fn() {
    // Only a database keeps more than the 50 lines replayed at login.
    await using data = await dataDir();
    await using server = await startWebServer({ data });
    await using browser = await launchBrowser();
    await using carol = await ncLogin(server.port, "carol");
    const said = Array.from({ length: 120 }, (_, index) => `carol: line ${index + 1}`);
    for (const line of said) await carol.send(`*${line.slice("carol: ".length)}`);
    await carol.send("PING said");
    assert.equal(await carol.readLine(), "PONG said");
    const alice = await ChatPage.open(browser, server.url);
    await alice.login("alice");
    await alice.waitForLine("#lobby", "carol: line 120");
    assert.deepEqual(await alice.lines("#lobby"), said.slice(-50));
    // Scrolling to the top loads older lines, and leaves the lines read in
    // view, so the user goes on scrolling up. All 120 lines were said within
    // a second or two, more than a page of 50: the page asks for whole
    // seconds until it has them all.
    const log = alice.page.locator("#messages");
    const none = alice.page.getByText("No older messages.");
    for (let scrolls = 0; scrolls < 5 && !await none.isVisible(); scrolls++) {
      const before = (await alice.lines("#lobby")).length;
      await log.evaluate((element) => element.scrollTop = 0);
      await alice.waitForMoreLines("#lobby", before);
    }
    await alice.page.getByText("No older messages.").waitFor();
    assert.deepEqual(await alice.lines("#lobby"), said);
    assert.equal(
      await alice.page.getByRole("button", { name: "Load older messages" }).isHidden(),
      true,
    );
    assert.deepEqual(alice.problems, []);
  },
});

Deno.test({
  name:
    "the page marks unread lines, counts them in its title while hidden, and highlights mentions",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await using server = await startWebServer();
    await using browser = await launchBrowser();
    await using carol = await ncLogin(server.port, "carol");
    const alice = await ChatPage.open(browser, server.url);
    await alice.login("alice");
    await carol.send("*before you looked away");
    await alice.waitForLine("#lobby", "carol: before you looked away");
    await setHidden(alice, true);
    await carol.send("*are you there?");
    await carol.send("*hey Alice, lunch?");
    await alice.waitForLine("#lobby", "carol: hey Alice, lunch?");
    assert.equal(await alice.page.title(), "(2) nanochat");
    const marker = alice.page.locator('ol[data-conversation="#lobby"] li.unread-marker + li');
    assert.equal(await marker.locator(".text").textContent(), "are you there?");
    const mention = alice.page.locator("li.mention .text");
    assert.deepEqual(await mention.allTextContents(), ["hey Alice, lunch?"]);
    await setHidden(alice, false);
    assert.equal(await alice.page.title(), "nanochat");
    assert.equal(await alice.tab("#lobby").locator(".badge").isHidden(), true);
    assert.deepEqual(alice.problems, []);
  },
});

Deno.test({
  name: "a refused login brings back the form with the server's words",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await using server = await startWebServer();
    await using browser = await launchBrowser();
    await using _carol = await ncLogin(server.port, "carol");
    const page = await ChatPage.open(browser, server.url);
    await page.page.getByLabel("Your name").fill("Carol");
    await page.page.getByRole("button", { name: "Log in" }).click();
    await page.page.getByRole("alert").filter({ hasText: "The name Carol is in use" }).waitFor();
    await page.page.getByLabel("Your name").fill("bad name");
    await page.page.getByRole("button", { name: "Log in" }).click();
    await page.page.getByRole("alert").filter({ hasText: /^Name must be/ }).waitFor();
    await page.login("dave");
    assert.deepEqual(page.problems, []);
  },
});
