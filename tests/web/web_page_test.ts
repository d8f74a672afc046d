import assert from "@nanochat/assert";
import axe from "axe-core";
import { PRESENCE_NOTICE } from "../support/test_server.ts";
import { TestClient } from "../support/test_client.ts";
import { ChatPage, HAS_CHROMIUM, launchBrowser, startWebServer } from "./browser.ts";

/** With `NANOCHAT_SCREENSHOTS=1` the test also writes the README's screenshots to docs/. */
const SCREENSHOTS = Deno.env.get("NANOCHAT_SCREENSHOTS") === "1";
const DOCS = new URL("../../docs/", import.meta.url);

/** What axe reports of a violation. */
interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}
declare const axeInPage: { run(options: unknown): Promise<{ violations: Violation[] }> };

/** Runs axe in the page and returns its serious and critical violations. */
async function seriousViolations(page: ChatPage): Promise<string[]> {
  const { violations } = await page.page.evaluate(() =>
    axeInPage.run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } })
  );
  return violations
    .filter(({ impact }) => impact === "serious" || impact === "critical")
    .map(({ id, help, nodes }) => `${id}: ${help} (${JSON.stringify(nodes[0]?.target)})`);
}

async function ncLogin(port: number, name: string): Promise<TestClient> {
  const client = await TestClient.login(port, name);
  client.ignore(new RegExp(`${PRESENCE_NOTICE.source}|^(#\\S+ )?HISTORY `));
  assert.match(await client.readLine(), /^NOTICE welcome: /);
  return client;
}

const VARIANTS = [
  { scheme: "light", viewport: { width: 1280, height: 800 }, file: "web-light.png" },
  { scheme: "dark", viewport: { width: 1280, height: 800 }, file: "web-dark.png" },
  { scheme: "light", viewport: { width: 390, height: 844 }, file: "web-light-phone.png" },
  { scheme: "dark", viewport: { width: 390, height: 844 }, file: "web-dark-phone.png" },
] as const;

Deno.test({
  name: "the page has no serious accessibility violations, light and dark, desktop and phone",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await using browser = await launchBrowser();
    for (const { scheme, viewport, file } of VARIANTS) {
      // A server each, so every picture shows the same conversation.
      await using server = await startWebServer();
      await using bob = await ncLogin(server.port, "bob");
      await using carol = await ncLogin(server.port, "carol");
      await bob.send("JOIN #rust");
      assert.match(await bob.readLine(), /^#rust NOTICE joined: /);
      await bob.send("TOPIC #rust Rust talk: borrow checker support group");
      assert.match(await bob.readLine(), /^#rust NOTICE topic: /);
      await carol.send("*morning all! the coffee machine is fixed");
      await bob.send("SAY #lobby finally. did anyone try the new build?");
      await carol.send("ME raises a mug");
      assert.equal(await carol.readLine(), "[bob]: finally. did anyone try the new build?");

      const alice = await ChatPage.open(browser, server.url, {
        colorScheme: scheme,
        viewport,
        // Injected by the DevTools protocol, which the page's CSP does not govern.
        initScript: `${axe.source}; globalThis.axeInPage = axe;`,
      });
      assert.deepEqual(await seriousViolations(alice), [], `login page, ${file}`);
      await alice.login("alice");
      await alice.type("/join rust");
      await alice.page.locator('ol[data-conversation="#rust"]').waitFor();
      await alice.open("#lobby");
      await alice.type("morning! the build looks good here");
      assert.equal(await carol.readLine(), "[alice]: morning! the build looks good here");
      await carol.send("*welcome back alice, we missed you");
      await alice.waitForLine("#lobby", "carol: welcome back alice, we missed you");
      await bob.send("SAY #rust anyone up for pairing on the parser?");
      await alice.tab("#rust").locator(".badge").waitFor();
      await carol.send("MSG alice lunch at noon?");
      assert.equal(await carol.readLine(), "SENT [alice]: lunch at noon?");
      await alice.tab("@carol").locator(".badge").waitFor();
      assert.deepEqual(await seriousViolations(alice), [], `chat page, ${file}`);
      if (SCREENSHOTS) {
        await alice.page.locator("#input").blur();
        await alice.page.screenshot({ path: new URL(file, DOCS).pathname });
      }
      assert.deepEqual(alice.problems, []);
      await alice.close();
    }
  },
});
