/**
 * Login CSRF through `#token=`: a page on another origin navigates a signed-in tab to the
 * dashboard with another account's token. The tab asks before switching, and declining
 * keeps the stored session. Real headless Chromium against `wrangler dev`.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sharedServer, token, type E2eServer } from "../dev-server";
import { HAVE_CHROMIUM, launchChromium, openTab, type Tab } from "./browser";

const P = "dash-switch";
const OTHER = "dash-switch-other";
/** Where web/session.ts keeps the tab's token. */
const STORAGE_KEY = "edge-ingest.token";

let server: E2eServer;
let browser: Browser;
/** Another origin whose page sends the tab to `?to=`. */
let attacker: Server;
let attackerUrl: string;
const tabs: Tab[] = [];

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  if (!existsSync("dist/web/index.html")) throw new Error("dist/web is not built: the e2e global setup builds it (or run `npm run build:web`)");
  [server, browser] = await Promise.all([sharedServer(), launchChromium()]);
  attacker = createServer((req, res) => {
    const to = new URL(req.url ?? "/", "http://x").searchParams.get("to") ?? "/";
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<!doctype html><title>elsewhere</title><script>location.href = ${JSON.stringify(to)};</script>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
});

afterEach(async () => {
  const open = tabs.splice(0);
  await Promise.all(open.map((t) => t.close()));
  expect(
    open.flatMap((t) => t.errors),
    "console errors",
  ).toEqual([]);
});

afterAll(async () => {
  attacker?.close();
  await browser?.close();
});

/** A tab signed in as alice (editor of P), on P's jobs. */
async function aliceTab(alice: string): Promise<Page> {
  const tab = await openTab(browser);
  tabs.push(tab);
  await tab.page.goto(`${server.url}/#token=${alice}`);
  await tab.page.getByRole("heading", { name: "Jobs" }).waitFor();
  return tab.page;
}

/** Another site sends the tab to the dashboard with `t` in the fragment. */
async function sentByAnotherSite(page: Page, t: string): Promise<void> {
  await page.goto(`${attackerUrl}/?to=${encodeURIComponent(`${server.url}/#token=${t}`)}`);
  await page.waitForURL((url) => url.origin === server.url);
}

const storedToken = (page: Page) => page.evaluate((key) => sessionStorage.getItem(key), STORAGE_KEY);

describe.skipIf(!HAVE_CHROMIUM)("a #token= link for another account in a signed-in tab", () => {
  it("asks before switching, and keeps the stored session when declined", async () => {
    const alice = await token({ sub: "alice", roles: ["editor"], projects: [P] });
    const mallory = await token({ sub: "mallory", roles: ["editor"], projects: [OTHER] });
    const page = await aliceTab(alice);
    expect(await storedToken(page)).toBe(alice);

    await sentByAnotherSite(page, mallory);
    await page.getByRole("heading", { name: "Switch account?" }).waitFor();
    // Nothing is switched while the question is open.
    expect(await storedToken(page)).toBe(alice);
    expect(page.url()).not.toContain(mallory);

    await page.getByRole("button", { name: "Stay signed in as alice" }).click();
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    expect(await storedToken(page)).toBe(alice);
    expect(page.url()).toContain(`/p/${P}/`);
    // A reload keeps alice, and does not ask again.
    await page.reload();
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    expect(await page.getByRole("heading", { name: "Switch account?" }).count()).toBe(0);
    expect(await storedToken(page)).toBe(alice);
  });

  it("switches only when the user accepts", async () => {
    const alice = await token({ sub: "alice", roles: ["editor"], projects: [P] });
    const mallory = await token({ sub: "mallory", roles: ["editor"], projects: [OTHER] });
    const page = await aliceTab(alice);
    await sentByAnotherSite(page, mallory);
    await page.getByRole("button", { name: "Switch to mallory" }).click();
    // The tab leaves alice's project, which mallory's token does not reach, for mallory's own.
    await page.waitForURL((url) => url.hash.startsWith(`#/p/${OTHER}/`));
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    expect(await page.getByText("does not give access").count()).toBe(0);
    expect(await storedToken(page)).toBe(mallory);
  });
});
