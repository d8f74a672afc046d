import assert from "@nanochat/assert";
import { PRESENCE_NOTICE } from "../support/test_server.ts";
import { TestClient } from "../support/test_client.ts";
import {
  ChatPage,
  dataDir,
  freePort,
  HAS_CHROMIUM,
  launchBrowser,
  startWebServer,
  type WebServer,
} from "./browser.ts";

/** Logs in over TCP as an `nc` user would, reading past the welcome and any history. */
async function ncLogin(port: number, name: string): Promise<TestClient> {
  const client = await TestClient.login(port, name);
  client.ignore(new RegExp(`${PRESENCE_NOTICE.source}|^(#\\S+ )?HISTORY `));
  assert.match(await client.readLine(), /^NOTICE welcome: /);
  return client;
}

Deno.test({
  name: "a page that was offline, or whose server restarted, shows every line once and in order",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await using data = await dataDir();
    const ports = { port: freePort(), httpPort: freePort(), data };
    let server: WebServer = await startWebServer(ports);
    try {
      await using browser = await launchBrowser();
      const alice = await ChatPage.open(browser, server.url);
      const bob = await ChatPage.open(browser, server.url);
      let carol = await ncLogin(server.port, "carol");
      await alice.login("alice");
      await bob.login("bob");
      await alice.type("/join rust");
      await alice.page.locator('ol[data-conversation="#rust"]').waitFor();
      await carol.send("JOIN #rust");
      assert.match(await carol.readLine(), /^#rust NOTICE joined: /);
      await carol.send("SAY #lobby before");
      await carol.send("SAY #rust rust before");
      await alice.waitForLine("#lobby", "carol: before");
      await alice.waitForLine("#rust", "carol: rust before");

      // alice's network goes away while the others talk: more lines than the
      // replay at login holds, so the page must fetch older ones to close the gap.
      await alice.context.setOffline(true);
      await alice.page.locator('#status[data-state="waiting"]').waitFor();
      await bob.waitForNotice("#lobby", "alice was disconnected");
      const away = Array.from({ length: 60 }, (_, index) => `carol: away ${index + 1}`);
      for (const line of away) await carol.send(`SAY #lobby ${line.slice("carol: ".length)}`);
      await carol.send("SAY #rust rust away");
      await bob.waitForLine("#lobby", away.at(-1)!);
      await bob.type("bob while alice is away");
      assert.equal(await carol.readLine(), "[bob]: bob while alice is away");
      await alice.context.setOffline(false);
      await alice.waitOnline();
      await alice.waitForLine("#lobby", "bob: bob while alice is away");
      await alice.waitForLine("#lobby", "carol: away 1");
      await alice.waitForLine("#rust", "carol: rust away");
      let lobby = ["carol: before", ...away, "bob: bob while alice is away"];
      assert.deepEqual(await alice.lines("#lobby"), lobby);
      assert.deepEqual(await alice.lines("#rust"), ["carol: rust before", "carol: rust away"]);

      // The server stops and comes back on the same ports with its database:
      // both pages log in again and show what was said after, once.
      await server.stop();
      assert.deepEqual(await carol.readUntilClosed(), [
        "NOTICE shutdown: The server is shutting down",
      ]);
      await carol.close();
      await alice.page.locator('#status[data-state="waiting"]').waitFor();
      server = await startWebServer(ports);
      await alice.waitOnline();
      await bob.waitOnline();
      carol = await ncLogin(server.port, "carol");
      await alice.open("#lobby");
      await alice.type("alice after the restart");
      assert.equal(await carol.readLine(), "[alice]: alice after the restart");
      await carol.send("*carol after the restart");
      await alice.waitForLine("#lobby", "carol: carol after the restart");
      await bob.waitForLine("#lobby", "carol: carol after the restart");
      lobby = [...lobby, "alice: alice after the restart", "carol: carol after the restart"];
      assert.deepEqual(await alice.lines("#lobby"), lobby);
      assert.deepEqual(await alice.lines("#rust"), ["carol: rust before", "carol: rust away"]);
      const bobs = await bob.lines("#lobby");
      assert.equal(new Set(bobs).size, bobs.length, `bob sees a line twice: ${bobs}`);
      assert.deepEqual(bobs.filter((line) => !line.startsWith("bob:")), [
        ...lobby.filter((line) => !line.startsWith("bob:")),
      ]);
      await carol.close();
      assert.deepEqual(alice.problems.filter((problem) => !/WebSocket|ERR_/.test(problem)), []);
    } finally {
      await server[Symbol.asyncDispose]();
    }
  },
});

Deno.test({
  name: "the page does not reconnect after /quit",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await using server = await startWebServer();
    await using browser = await launchBrowser();
    await using carol = await TestClient.login(server.port, "carol");
    assert.match(await carol.readLine(), /^NOTICE welcome: /);
    const alice = await ChatPage.open(browser, server.url);
    await alice.login("alice");
    assert.equal(await carol.readLine(), "NOTICE join: alice joined");
    await alice.type("/quit see you");
    assert.equal(await carol.readLine(), "NOTICE quit: alice left (see you)");
    await alice.page.locator('#status[data-state="stopped"]').waitFor();
    await alice.page.getByLabel("Your name").waitFor();
    await alice.page.locator("#status", { hasText: "Logged out" }).waitFor();
  },
});
