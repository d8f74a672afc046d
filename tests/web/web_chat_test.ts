import assert from "@nanochat/assert";
import { PRESENCE_NOTICE } from "../support/test_server.ts";
import { TestClient } from "../support/test_client.ts";
import { ChatPage, HAS_CHROMIUM, launchBrowser, startWebServer } from "./browser.ts";

/** Logs in over TCP as an `nc` user would, reading past the welcome. */
async function ncLogin(port: number, name: string): Promise<TestClient> {
  const client = await TestClient.login(port, name);
  client.ignore(PRESENCE_NOTICE);
  assert.match(await client.readLine(), /^NOTICE welcome: /);
  return client;
}

Deno.test({
  name: "two pages and an nc user talk in one conversation, in rooms and in private",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await using server = await startWebServer();
    await using browser = await launchBrowser();
    await using carol = await ncLogin(server.port, "carol");
    const alice = await ChatPage.open(browser, server.url);
    const bob = await ChatPage.open(browser, server.url);
    await alice.login("alice");
    await bob.login("bob");

    // Both directions in the lobby, in the order sent.
    await carol.send("*one from nc");
    await carol.send("*two from nc");
    await alice.waitForLine("#lobby", "carol: two from nc");
    await alice.type("three from alice");
    assert.equal(await carol.readLine(), "[alice]: three from alice");
    // The page shows its user's own line at once (the server echoes none):
    // bob answers what he has seen.
    await bob.waitForLine("#lobby", "alice: three from alice");
    await bob.type("/me waves");
    assert.equal(await carol.readLine(), "* bob waves");
    await alice.waitForLine("#lobby", "* bob waves");
    const lobby = [
      "carol: one from nc",
      "carol: two from nc",
      "alice: three from alice",
      "* bob waves",
    ];
    assert.deepEqual(await alice.lines("#lobby"), lobby);
    assert.deepEqual(await bob.lines("#lobby"), lobby);

    // Rooms: a message goes to the room shown, wherever the server's current room is.
    await alice.type("/join rust");
    await alice.page.locator('ol[data-conversation="#rust"]').waitFor();
    await bob.type("/join #rust");
    await bob.page.locator('ol[data-conversation="#rust"]').waitFor();
    await carol.send("JOIN #rust");
    assert.match(await carol.readLine(), /^#rust NOTICE joined: You joined #rust: 3 users/);
    await bob.type("/topic Rust talk");
    await alice.page.locator("#room-topic", { hasText: "Rust talk" }).waitFor();
    assert.equal(await carol.readLine(), "#rust NOTICE topic: bob set the topic: Rust talk");
    await bob.open("#lobby");
    await bob.type("back in the lobby");
    assert.equal(await carol.readLine(), "[bob]: back in the lobby");
    await alice.waitForLine("#lobby", "bob: back in the lobby");
    assert.equal(await alice.tab("#lobby").locator(".badge").textContent(), "1 unread message");
    await carol.send("*hello rust");
    await alice.waitForLine("#rust", "carol: hello rust");
    await bob.waitForLine("#rust", "carol: hello rust");
    await alice.open("#lobby");
    assert.equal(await alice.tab("#lobby").locator(".badge").isHidden(), true);
    await alice.type("/me is back in the lobby");
    assert.equal(await carol.readLine(), "* alice is back in the lobby");
    await bob.waitForLine("#lobby", "* alice is back in the lobby");

    // Private messages reach only their recipient, in a conversation of their own.
    await carol.send("MSG alice psst");
    assert.equal(await carol.readLine(), "SENT [alice]: psst");
    await alice.waitForLine("@carol", "carol → you: psst");
    await alice.open("@carol");
    await alice.type("got it");
    assert.equal(await carol.readLine(), "PRIVATE [alice]: got it");
    await alice.waitForLine("@carol", "you → carol: got it");
    await alice.type("/msg bob just for you");
    await bob.waitForLine("@alice", "alice → you: just for you");
    await alice.waitForLine("@bob", "you → bob: just for you");
    assert.equal(await bob.tab("@carol").count(), 0);

    // Every server command works from the input: LIST and WHO answer on the page.
    await bob.open("#rust");
    await bob.type("/who");
    await bob.waitForNotice("#rust", "In #rust: 3 — alice, bob, carol");
    await carol.send("*last");
    await bob.waitForLine("#rust", "carol: last");
    assert.deepEqual(await bob.lines("#rust"), ["carol: hello rust", "carol: last"]);
    assert.deepEqual(alice.problems, []);
    assert.deepEqual(bob.problems, []);
  },
});

Deno.test({
  name: "the page asks for the password of a registered name and logs in with it",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await using server = await startWebServer();
    await using browser = await launchBrowser();
    {
      await using owner = await ncLogin(server.port, "dana");
      await owner.send("REGISTER correct-horse");
      assert.match(await owner.readLine(), /^NOTICE registered: /);
      await owner.send("QUIT");
    }
    const page = await ChatPage.open(browser, server.url);
    await page.page.getByLabel("Your name").fill("dana");
    await page.page.getByRole("button", { name: "Log in" }).click();
    await page.page.getByLabel("Password").fill("wrong-password");
    await page.page.getByRole("button", { name: "Log in" }).click();
    await page.page.getByRole("alert").filter({ hasText: "Wrong password for dana" }).waitFor();
    await page.login("dana", "correct-horse");
    await page.page.locator("#status", { hasText: "Connected as dana" }).waitFor();
    // After a lost connection the page logs in again with the password it kept.
    await page.context.setOffline(true);
    await page.page.locator('#status[data-state="waiting"]').waitFor();
    await page.context.setOffline(false);
    await page.waitOnline();
    assert.equal(await page.page.locator("#chat-view").isVisible(), true);
    assert.deepEqual(page.problems.filter((problem) => !/WebSocket|ERR_/.test(problem)), []);
  },
});

Deno.test({
  name: "the page works with the keyboard alone, on a phone too",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await using server = await startWebServer();
    await using browser = await launchBrowser();
    await using carol = await ncLogin(server.port, "carol");
    const erin = await ChatPage.open(browser, server.url, {
      viewport: { width: 390, height: 844 },
    });
    const { keyboard } = erin.page;
    await keyboard.type("erin");
    await keyboard.press("Enter");
    await erin.waitOnline();
    await keyboard.type("hello from the keyboard");
    await keyboard.press("Enter");
    assert.equal(await carol.readLine(), "[erin]: hello from the keyboard");
    await keyboard.type("/join rust");
    await keyboard.press("Enter");
    await erin.tab("#rust").and(erin.page.locator('[aria-current="page"]')).waitFor();
    await keyboard.press("Alt+ArrowDown");
    await erin.tab("#lobby").and(erin.page.locator('[aria-current="page"]')).waitFor();
    // Up and Down bring back the lines sent, then what was being typed.
    const input = erin.page.locator("#input");
    await keyboard.type("draft");
    const recalled = [];
    for (const key of ["ArrowUp", "ArrowUp", "ArrowUp", "ArrowDown", "ArrowDown"]) {
      await keyboard.press(key);
      recalled.push(await input.inputValue());
    }
    assert.deepEqual(recalled, [
      "/join rust",
      "hello from the keyboard",
      "hello from the keyboard",
      "/join rust",
      "draft",
    ]);
    await input.fill("/switch rust");
    await keyboard.press("Enter");
    await erin.tab("#rust").and(erin.page.locator('[aria-current="page"]')).waitFor();
    await keyboard.press("Alt+ArrowUp");
    await erin.tab("#lobby").and(erin.page.locator('[aria-current="page"]')).waitFor();
    // Shift+Tab walks back from the input to the button that shows rooms and people.
    const toggle = erin.page.getByRole("button", { name: "Rooms & people" });
    for (
      let presses = 0;
      presses < 20 && !await toggle.evaluate((b) => b.matches(":focus"));
      presses++
    ) {
      await keyboard.press("Shift+Tab");
    }
    await keyboard.press("Enter");
    await erin.page.locator("#panel.open").waitFor();
    await erin.page.getByRole("button", { name: "Private message to carol" }).waitFor();
    await keyboard.press("Escape");
    await erin.page.locator("#panel").waitFor({ state: "hidden" });
    assert.equal(await toggle.evaluate((button) => button.matches(":focus")), true);
    assert.deepEqual(erin.problems, []);
  },
});
