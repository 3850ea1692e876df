/**
 * The dashboard's upload card and count, delete confirmation, paths, stage times, retry,
 * documents search and sign-in failures, in real headless Chromium against `wrangler dev`.
 * Every page runs with requests to other hosts refused, and with no console errors but
 * those a test names.
 */
import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sharedServer, token, upload, waitForJob, type E2eServer } from "../dev-server";
import { HAVE_CHROMIUM, launchChromium, openTab, type Tab } from "./browser";

const P = "dash-more";
const ASSETS = "dist/web/index.html";

let server: E2eServer;
let browser: Browser;
let editor: string;
const tabs: Tab[] = [];

function api(path: string, init: RequestInit = {}, t = editor): Promise<Response> {
  return fetch(`${server.url}/api/projects/${P}${path}`, { ...init, headers: { Authorization: `Bearer ${t}`, ...init.headers } });
}

async function tab(): Promise<Tab> {
  const t = await openTab(browser);
  tabs.push(t);
  return t;
}

async function signedIn(t = editor, route = ""): Promise<Page> {
  return (await signedInTab(t, route)).page;
}

async function signedInTab(t = editor, route = ""): Promise<Tab> {
  const opened = await tab();
  const { page } = opened;
  await page.goto(`${server.url}/#token=${t}`);
  await page.getByRole("heading", { name: "Jobs" }).waitFor();
  if (route) await page.goto(`${server.url}/${route}`);
  return opened;
}

const text = (seed: string, paragraphs = 5) =>
  Array.from({ length: paragraphs }, (_, i) => `Paragraph ${i} of ${seed}: the quick brown fox jumps over the lazy dog.`).join("\n\n");

async function finished(body: string, filename: string, query: Record<string, string> = {}, type = "text/markdown") {
  const job = await upload(server.url, editor, P, body, { filename, type, query });
  return waitForJob(server.url, editor, P, job.id);
}

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  if (!existsSync(ASSETS)) throw new Error("dist/web is not built: the e2e global setup builds it (or run `npm run build:web`)");
  [server, browser] = await Promise.all([sharedServer(), launchChromium()]);
  editor = await token({ sub: "alice", roles: ["editor"], projects: [P] });
});

afterEach(async () => {
  const open = tabs.splice(0);
  // Read after the close: whatever a page logged up to its end counts.
  await Promise.all(open.map((t) => t.close()));
  const errors = open.flatMap((t) => t.errors);
  expect(errors, "console errors").toEqual([]);
  expect(
    open.flatMap((t) => t.offsite),
    "requests to other hosts",
  ).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!HAVE_CHROMIUM)("dashboard: jobs", () => {
  it("shows the upload card in the table's live state when the job finished before the upload's answer, and counts it live", async () => {
    const page = await signedIn();
    const count = page.locator(".section-head .muted", { hasText: "in all" });
    await count.waitFor();
    const before = Number((await count.textContent())!.split(" ")[0]);
    // Hold the upload's answer until the job has finished: its frames arrive first.
    await page.route(/\/ingest\/jobs\?filename=/, async (route) => {
      const res = await route.fetch();
      const job = (await res.json()) as { id: string };
      await waitForJob(server.url, editor, P, job.id);
      await route.fulfill({ response: res, json: job });
    });
    await page.setInputFiles("#file-input", { name: "raced.md", mimeType: "text/markdown", buffer: Buffer.from(text("raced")) });
    const card = page.locator('li[data-upload="raced.md"][data-job-id]');
    await card.waitFor();
    const jobId = (await card.getAttribute("data-job-id"))!;
    await page.locator(`tr[data-job-id="${jobId}"][data-status="COMPLETED"]`).waitFor();
    await card.locator(".badge", { hasText: "COMPLETED" }).waitFor();
    expect(await card.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("100");
    await count.getByText(`${before + 1} in all`).waitFor();

    // A job created elsewhere counts too, and one deleted here leaves it.
    const other = await finished(text("elsewhere"), "elsewhere.md");
    await page.locator(`tr[data-job-id="${other.id}"]`).waitFor();
    await count.getByText(`${before + 2} in all`).waitFor();
    await page.getByRole("button", { name: "Delete elsewhere.md" }).click();
    await page.getByRole("dialog", { name: "Delete elsewhere.md?" }).getByRole("button", { name: "Delete" }).click();
    await page.locator(`tr[data-job-id="${other.id}"]`).waitFor({ state: "detached" });
    await count.getByText(`${before + 1} in all`).waitFor();
  });

  it("asks before deleting, in a modal dialog: Keep it keeps the job, Delete deletes it", async () => {
    const job = await finished(text("confirm"), "confirm.md");
    const page = await signedIn();
    const row = page.locator(`tr[data-job-id="${job.id}"]`);
    await row.getByRole("button", { name: "Delete confirm.md" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete confirm.md?" });
    await dialog.waitFor();
    expect(await dialog.evaluate((d) => d.matches("dialog[open]:modal"))).toBe(true);
    await dialog.getByRole("button", { name: "Keep it" }).click();
    await dialog.waitFor({ state: "detached" });
    expect((await api(`/ingest/jobs/${job.id}`)).status).toBe(200);

    // Escape cancels too.
    await row.getByRole("button", { name: "Delete confirm.md" }).click();
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect((await api(`/ingest/jobs/${job.id}`)).status).toBe(200);

    await row.getByRole("button", { name: "Delete confirm.md" }).click();
    await dialog.getByRole("button", { name: "Delete" }).click();
    await row.waitFor({ state: "detached" });
    expect((await api(`/ingest/jobs/${job.id}`)).status).toBe(404);
  });

  it("shows the file's path with its folders in the FILE column, cut in the middle when long", async () => {
    const short = await finished(text("short"), "README.md", { sourcePath: "guides/README.md" });
    const longPath = "handbook/engineering/platform/ingestion/pipelines/extraction/pdf/README.md";
    const long = await finished(text("long"), "README.md", { sourcePath: longPath });
    const page = await signedIn();
    const shortLink = page.locator(`tr[data-job-id="${short.id}"] td.file a`);
    expect(await shortLink.textContent()).toBe("guides/README.md");
    const longLink = page.locator(`tr[data-job-id="${long.id}"] td.file a`);
    const shown = (await longLink.textContent())!;
    expect(shown).toContain("…");
    expect(shown.length).toBeLessThan(longPath.length);
    expect(longPath.startsWith(shown.split("…")[0]!)).toBe(true);
    expect(longPath.endsWith(shown.split("…")[1]!)).toBe(true);
    expect(shown.endsWith("pdf/README.md")).toBe(true);
    expect(await longLink.getAttribute("title")).toBe(longPath);
  });

  it("shows the time spent in each stage of a finished job, from its events", async () => {
    const job = await finished(text("staged", 400), "staged.md");
    const page = await signedIn(editor, `#/p/${P}/jobs/${job.id}`);
    const table = page.locator(".stage-times");
    await table.waitFor();
    const log = (await (await api(`/ingest/jobs/${job.id}/events`)).json()) as { items: { type: string; job: { stage: string; status: string } }[] };
    const worked = new Set(log.items.filter((e) => e.job.status === "RUNNING").map((e) => e.job.stage));
    const stages = await table.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-stage")));
    expect(stages[0]).toBe("QUEUED");
    expect(new Set(stages.slice(1))).toEqual(worked);
    for (const cell of await table.locator("td.duration").allTextContents()) expect(cell).toMatch(/^\d+(\.\d)? (ms|s)$|min|h/);
    // Finished: nothing is still counting.
    expect(await table.getByText("so far").count()).toBe(0);
  });

  it("offers Retry on a failed job's detail, and stops offering it when the server has no retry route", async () => {
    const failed = await finished("%PDF-1.4\nnot really a pdf\n%%EOF\n", "broken.pdf", {}, "application/pdf");
    expect(failed.status).toBe("FAILED");
    const { page, allowErrors } = await signedInTab(editor, `#/p/${P}/jobs/${failed.id}`);
    const retry = page.getByRole("button", { name: "Retry broken.pdf" });
    await retry.waitFor();
    const route = await api(`/ingest/jobs/${failed.id}/retry`, { method: "POST" });
    // The browser logs a refused retry itself.
    allowErrors(/status of (400|404|405)/);
    await retry.click();
    if (route.status === 404 && /No route/.test(((await route.json()) as { detail: string }).detail)) {
      await retry.waitFor({ state: "detached" });
    } else {
      // The service retries: the job leaves FAILED, or the refusal's reason is shown.
      await page.locator(".section-head .badge:not(.status-failed), [role=alert]").first().waitFor();
    }
  });
});

describe.skipIf(!HAVE_CHROMIUM)("dashboard: documents", () => {
  it("searches documents by the start of a file name or source path, and filters by language, in the URL", async () => {
    const guide = await finished(text("guide"), "intro.md", { sourcePath: "manual/guide/intro.md" });
    const api1 = await finished(text("reference"), "endpoints.md", { sourcePath: "manual/api/endpoints.md" });
    const loose = await finished(text("loose"), "loose-notes.md", { sourcePath: "loose-notes.md" });
    const page = await signedIn(editor);
    await page.getByRole("link", { name: "Documents" }).click();
    await page.getByRole("heading", { name: "Documents" }).waitFor();
    const shown = () => page.locator("tr[data-document-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-document-id")).sort());
    await page.locator(`tr[data-document-id="${loose.canonicalDocumentId}"]`).waitFor();

    await page.getByLabel("File name or path starts with").fill("manual/");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/documents\?q=manual%2F/);
    await page.getByText("2 in all").waitFor();
    expect(await shown()).toEqual([guide.canonicalDocumentId, api1.canonicalDocumentId].sort());

    await page.getByLabel("File name or path starts with").fill("endpoints");
    await page.getByLabel("File name or path starts with").press("Enter");
    await page.getByText("1 in all").waitFor();
    expect(await shown()).toEqual([api1.canonicalDocumentId]);

    // A reload keeps the search; a language no document has empties it.
    await page.reload();
    await page.getByText("1 in all").waitFor();
    expect(await page.getByLabel("File name or path starts with").inputValue()).toBe("endpoints");
    await page.getByLabel("Language").fill("xx");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByText("No documents match this search").waitFor();
    await page.getByRole("link", { name: "Clear" }).click();
    await page.locator(`tr[data-document-id="${loose.canonicalDocumentId}"]`).waitFor();
    await page.getByRole("link", { name: "intro" }).first().waitFor();
  });
});

describe.skipIf(!HAVE_CHROMIUM)("dashboard: sign-in failures", () => {
  it("says that a sign-in link's token has expired, and when", async () => {
    const expired = await token({ sub: "alice", roles: ["editor"], projects: [P], ttl: -3600 });
    const { page } = await tab();
    await page.goto(`${server.url}/#token=${expired}`);
    const notice = page.getByRole("status").filter({ hasText: "expired" });
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/The sign-in link did not work\. That token expired at .+ \(1 h ago\)/);
    expect(page.url()).not.toContain("token=");
    await page.getByLabel("Access token").waitFor();
  });

  it("says when the token does not give access to the URL's project, names the ones it does, and offers no upload", async () => {
    const elsewhere = await token({ sub: "bob", roles: ["editor"], projects: ["alpha", "beta"] });
    const { page } = await tab();
    await page.goto(`${server.url}/#token=${elsewhere}`);
    await page.getByRole("heading", { name: "Projects" }).waitFor();
    await page.goto(`${server.url}/#/p/${P}/jobs`);
    const alert = page.getByRole("alert");
    await alert.getByText(`This token does not give access to project ${P}`).waitFor();
    expect(await alert.textContent()).toContain("It gives access to alpha, beta.");
    expect(await page.locator("#file-input").count()).toBe(0);
    expect(await page.getByText("Connecting…").count()).toBe(0);
    await page.getByRole("link", { name: "beta" }).click();
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    await page.locator("#file-input").waitFor({ state: "attached" });
  });
});
