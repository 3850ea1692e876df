/** The dashboard's Batches view (DESIGN §13) in real headless Chromium against `wrangler dev`. */
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildCorruptPdf } from "../../fixtures/pdf";
import { sharedServer, token, type E2eServer } from "../dev-server";
import { HAVE_CHROMIUM, launchChromium, openTab, type Tab } from "./browser";

const P = "dash-batches";
let server: E2eServer;
let browser: Browser;
let editor: string;
let viewer: string;
const tabs: Tab[] = [];

async function call(path: string, init: RequestInit & { body?: BodyInit } = {}, t = editor): Promise<Response> {
  return fetch(`${server.url}/api/projects/${P}${path}`, { ...init, headers: { Authorization: `Bearer ${t}`, ...(init.headers as Record<string, string>) } });
}

async function batchWithOneFailure(): Promise<string> {
  const batch = (await (
    await call("/ingest/batches", { method: "POST", body: JSON.stringify({ kind: "upload" }), headers: { "Content-Type": "application/json" } })
  ).json()) as { id: string };
  await call(`/ingest/jobs?filename=good.txt&batchId=${batch.id}`, {
    method: "POST",
    body: "a good text file with words",
    headers: { "Content-Type": "text/plain" },
  });
  await call(`/ingest/jobs?filename=broken.pdf&batchId=${batch.id}`, {
    method: "POST",
    body: buildCorruptPdf(),
    headers: { "Content-Type": "application/pdf" },
  });
  await call(`/ingest/batches/${batch.id}/close`, { method: "POST" });
  for (let i = 0; i < 300; i++) {
    const b = (await (await call(`/ingest/batches/${batch.id}`)).json()) as { status: string };
    if (b.status === "COMPLETED") return batch.id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("batch did not complete");
}

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  if (!existsSync("dist/web/index.html")) throw new Error("dist/web is not built: run `npm run build:web`");
  [server, browser] = await Promise.all([sharedServer(), launchChromium()]);
  editor = await token({ sub: "alice", roles: ["editor"], projects: [P] });
  viewer = await token({ sub: "victor", roles: ["viewer"], projects: [P] });
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

describe.skipIf(!HAVE_CHROMIUM)("dashboard: batches", () => {
  it("shows a batch's counts as a stacked bar, filters its items by status, and shows why its corrupt file cannot be retried", async () => {
    const id = await batchWithOneFailure();
    const tab = await openTab(browser);
    tabs.push(tab);
    const page = tab.page;
    await page.goto(`${server.url}/#token=${editor}`);
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    await page.getByRole("navigation", { name: "Project" }).getByRole("link", { name: "Batches", exact: true }).click();
    await page.getByRole("heading", { name: "Batches" }).waitFor();
    await page.locator(`a[href$="/batches/${id}"]`).click();
    await page.getByRole("img", { name: "1 completed, 1 failed, 0 cancelled, 0 skipped, 0 running, 0 queued" }).waitFor();
    // The items page loads after the batch itself: wait for it rather than count at once.
    await expect.poll(() => page.locator("table.items tbody tr").count()).toBe(2);
    await page.getByLabel("Status").selectOption("FAILED");
    await page.locator("table.items tbody tr", { hasText: "broken.pdf" }).waitFor();
    await expect.poll(() => page.locator("table.items tbody tr").count()).toBe(1);
    expect(await page.getByRole("button", { name: "Cancel batch" }).count()).toBe(0);
    // A corrupt file fails the same way again: the batch's retry refuses it and says why.
    tab.allowErrors(/status of 400/);
    await page.getByRole("button", { name: "Retry 1 failed" }).click();
    await page.getByRole("alert").filter({ hasText: "can be mended by a retry" }).waitFor();
    await page.getByLabel("Status").selectOption("");
    await expect.poll(() => page.locator("table.items tbody tr").count()).toBe(2);
    await page.getByRole("img", { name: "1 completed, 1 failed, 0 cancelled, 0 skipped, 0 running, 0 queued" }).waitFor();
  });

  it("offers a viewer neither Cancel nor Retry", async () => {
    const id = await batchWithOneFailure();
    const tab = await openTab(browser);
    tabs.push(tab);
    await tab.page.goto(`${server.url}/#token=${viewer}`);
    await tab.page.getByRole("heading", { name: "Jobs" }).waitFor();
    await tab.page.goto(`${server.url}/#/p/${P}/batches/${id}`);
    await tab.page.getByRole("heading", { name: /Batch/ }).waitFor();
    await tab.page.locator("table.items tbody tr").first().waitFor();
    expect(await tab.page.getByRole("button", { name: /Retry|Cancel batch/ }).count()).toBe(0);
  });
});
