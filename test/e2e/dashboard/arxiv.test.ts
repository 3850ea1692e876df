/**
 * An arXiv harvest's batch page (DESIGN §14) in real headless Chromium against `wrangler
 * dev` and the fake arXiv (global-setup.ts). Other files harvest through the same fake
 * at the same time: this one asks only for its own generated papers.
 */
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EdgeIngest } from "../../../src/client/node";
import { fakeArxivUrl, sharedServer, token, type E2eServer } from "../dev-server";
import { HAVE_CHROMIUM, launchChromium, openTab, type Tab } from "./browser";

const P = "dash-arxiv";
/** A title as a hostile feed could carry it: markup that must stay text. */
const XSS_TITLE = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>Retrieval & "ranking" <b>bold</b>`;
let server: E2eServer;
let browser: Browser;
let editor: string;
const tabs: Tab[] = [];

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  if (!existsSync("dist/web/index.html")) throw new Error("dist/web is not built: run `npm run build:web`");
  [server, browser] = await Promise.all([sharedServer(), launchChromium()]);
  editor = await token({ sub: "alice", roles: ["editor"], projects: [P] });
});

afterEach(async () => {
  const open = tabs.splice(0);
  const errors = open.flatMap((t) => t.errors);
  await Promise.all(open.map((t) => t.close()));
  expect(errors, "console errors").toEqual([]);
});

afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!HAVE_CHROMIUM)("dashboard: an arXiv harvest", () => {
  it("shows the harvest's counters and lists its papers' titles as text, linked to their arXiv abstract pages", async () => {
    const fake = fakeArxivUrl();
    await fetch(`${fake}/__control`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ retitle: { "2501.10121": XSS_TITLE } }),
    });
    const plain = (await (await fetch(`${fake}/__paper?id=2501.10120`)).json()) as { versionedId: string; title: string };
    const api = new EdgeIngest({ baseUrl: server.url, token: editor, projectId: P });
    const harvest = await api.arxiv.harvest({ idList: ["2501.10120", "2501.10121"] });
    const done = await api.batches.wait(harvest.id);
    expect(done.status).toBe("COMPLETED");

    const tab = await openTab(browser);
    tabs.push(tab);
    const page = tab.page;
    await page.goto(`${server.url}/#token=${editor}`);
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    await page.goto(`${server.url}/#/p/${P}/batches/${harvest.id}`);
    await page.getByRole("heading", { name: /Batch/ }).waitFor();

    const counters = page.locator("dl.harvest-counters");
    await counters.waitFor();
    for (const [label, value] of [
      ["Papers fetched", "2"],
      ["Papers created", "2"],
      ["PDFs downloaded", "2"],
      ["PDFs processed", "2"],
      ["Errors", "0"],
    ]) {
      await expect
        .poll(() =>
          counters
            .locator("div", { has: page.locator("dt", { hasText: new RegExp(`^${label}$`) }) })
            .locator("dd")
            .textContent(),
        )
        .toBe(value);
    }

    const titles = page.locator("table.items a.paper-title");
    await expect.poll(() => titles.count()).toBe(2);
    const links = await titles.evaluateAll((as) => as.map((a) => ({ text: a.textContent, href: a.getAttribute("href") })));
    const abs = (id: string) => expect.stringMatching(new RegExp(`^https?://arxiv\\.org/abs/${id.replace(".", "\\.")}$`));
    expect(links).toContainEqual({ text: plain.title, href: abs(plain.versionedId) });
    expect(links).toContainEqual({ text: XSS_TITLE, href: abs("2501.10121v1") });
    // The hostile title stayed text: no element was made from it, and none of its script ran.
    expect(await page.locator("table.items img, table.items script, table.items b").count()).toBe(0);
    expect(await page.evaluate("typeof window.__xss")).toBe("undefined");
  });
});
