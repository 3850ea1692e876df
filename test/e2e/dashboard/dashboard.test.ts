/**
 * The dashboard (DESIGN §11) and the offline /docs page (§7), in real headless Chromium
 * against `wrangler dev`. Every page runs with requests to other hosts refused, and with
 * no console errors.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page, WebSocketRoute } from "playwright-core";
import { SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sharedServer, token, upload, waitForJob, type E2eServer } from "../dev-server";
import { HAVE_CHROMIUM, launchChromium, openTab, type Tab } from "./browser";

const P = "dash";
/** Built by the e2e project's global setup; `npm test` runs from the repo root. */
const ASSETS = "dist/web/index.html";

let server: E2eServer;
let browser: Browser;
let editor: string;
let viewer: string;
const tabs: Tab[] = [];
const tmp = mkdtempSync(join(tmpdir(), "edge-ingest-dashboard-"));

function api(path: string, t = editor): Promise<Response> {
  return fetch(`${server.url}/api/projects/${P}${path}`, { headers: { Authorization: `Bearer ${t}` } });
}

/** A GET's JSON body. */
async function getJson<T = Record<string, unknown>>(path: string): Promise<T> {
  return (await (await api(path)).json()) as T;
}

/** Opens the dashboard signed in through the URL fragment. */
async function signedIn(t: string, route = "", viewport?: { width: number; height: number }): Promise<Page> {
  const tab = await openTab(browser, viewport);
  tabs.push(tab);
  await tab.page.goto(`${server.url}/#token=${t}`);
  await tab.page.getByRole("heading", { name: "Jobs" }).waitFor();
  if (route) await tab.page.goto(`${server.url}/${route}`);
  return tab.page;
}

const row = (page: Page, jobId: string) => page.locator(`tr[data-job-id="${jobId}"]`);
const barValue = async (page: Page, jobId: string) => Number(await row(page, jobId).getByRole("progressbar").getAttribute("aria-valuenow"));

function markdown(paragraphs: number, seed = "alpha"): string {
  const out = [`# Notes ${seed}`, ""];
  for (let i = 0; i < paragraphs; i++) out.push(`Paragraph ${i} of ${seed}: the quick brown fox jumps over the lazy dog near the river bank.`, "");
  return out.join("\n");
}

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  if (!existsSync(ASSETS)) throw new Error("dist/web is not built: the e2e global setup builds it (or run `npm run build:web`)");
  // The shared server takes documents up to 500 M characters (SHARED_VARS): the large upload is 70 MB.
  [server, browser] = await Promise.all([sharedServer(), launchChromium()]);
  editor = await token({ sub: "alice", roles: ["editor"], projects: [P] });
  viewer = await token({ sub: "victor", roles: ["viewer"], projects: [P] });
});

afterEach(async () => {
  const open = tabs.splice(0);
  // Read after the close: whatever a page logged up to its end counts.
  await Promise.all(open.map((t) => t.close()));
  const errors = open.flatMap((t) => t.errors);
  const offsite = open.flatMap((t) => t.offsite);
  expect(errors, "console errors").toEqual([]);
  expect(offsite, "requests to other hosts").toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!HAVE_CHROMIUM)("dashboard", () => {
  it("signs in from the #token= fragment, then drops it from the address bar and keeps it for the tab", async () => {
    const page = await signedIn(editor);
    expect(page.url()).not.toContain("token=");
    expect(page.url()).toContain(`#/p/${P}/jobs`);
    expect(await page.evaluate("sessionStorage.getItem('edge-ingest.token')")).toBe(editor);
    await page.getByText("alice").first().waitFor();
    // A reload stays signed in (sessionStorage), with no token in the URL.
    await page.reload();
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
  });

  it("shows the sign-in form without a token, and refuses what is not a JWT", async () => {
    const tab = await openTab(browser);
    tabs.push(tab);
    await tab.page.goto(`${server.url}/`);
    await tab.page.getByLabel("Access token").fill("not-a-token");
    await tab.page.getByRole("button", { name: "Sign in" }).click();
    await tab.page.getByRole("alert").getByText("That is not a JWT").waitFor();
    await tab.page.getByLabel("Access token").fill(editor);
    await tab.page.getByRole("button", { name: "Sign in" }).click();
    await tab.page.getByRole("heading", { name: "Jobs" }).waitFor();
  });

  it("returns to sign-in, saying why, when the server refuses the token", async () => {
    const forged = await new SignJWT({ roles: ["editor"], projects: [P] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("mallory")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("not-the-server-secret-but-32-bytes-long!!"));
    const tab = await openTab(browser);
    tabs.push(tab);
    // The browser itself logs the refused requests (the 401s, the socket's handshake);
    // nothing else may be logged, up to the tab's close after the test.
    tab.allowErrors(/status of 401|HTTP Authentication failed/);
    await tab.page.goto(`${server.url}/#token=${forged}`);
    await tab.page.getByText("The server refused the token").waitFor();
    await tab.page.getByLabel("Access token").waitFor();
    expect(await tab.page.evaluate("sessionStorage.getItem('edge-ingest.token')")).toBeNull();
  });

  it("lists the project's existing jobs newest first, and filters by status in the URL", async () => {
    const a = await upload(server.url, editor, P, markdown(5, "first"), { filename: "first.md", type: "text/markdown" });
    const b = await upload(server.url, editor, P, markdown(5, "second"), { filename: "second.md", type: "text/markdown" });
    await waitForJob(server.url, editor, P, a.id);
    await waitForJob(server.url, editor, P, b.id);
    const page = await signedIn(editor);
    await row(page, b.id).waitFor();
    const ids = await page.locator("tr[data-job-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-job-id")));
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    await row(page, a.id).getByText("first.md").waitFor();

    await page.getByLabel("Status").selectOption("CANCELLED");
    await page.waitForURL(/status=CANCELLED/);
    await page.getByText("No jobs match these filters").waitFor();
    await page.getByLabel("Status").selectOption("COMPLETED");
    await row(page, a.id).waitFor();
    // The filter survives a reload: it lives in the URL.
    await page.reload();
    await row(page, b.id).waitFor();
    expect(await page.getByLabel("Status").inputValue()).toBe("COMPLETED");
  });

  it("turns a file set on the file input into a completed job whose bar reaches 100% without a reload", async () => {
    const page = await signedIn(editor);
    await page.evaluate("window.__sameDocument = true");
    await page.setInputFiles("#file-input", [
      { name: "picked.md", mimeType: "", buffer: Buffer.from(markdown(200, "picked")) },
      { name: "second-pick.txt", mimeType: "text/plain", buffer: Buffer.from("plain text ".repeat(500)) },
    ]);
    const item = page.locator('li[data-upload="picked.md"][data-job-id]');
    await item.waitFor();
    const jobId = (await item.getAttribute("data-job-id"))!;
    await page.locator(`tr[data-job-id="${jobId}"][data-status="COMPLETED"]`).waitFor({ timeout: 60_000 });
    expect(await barValue(page, jobId)).toBe(100);
    await page.locator('li[data-upload="second-pick.txt"][data-job-id]').waitFor();
    expect(await page.evaluate("window.__sameDocument")).toBe(true);
    const job = await getJson(`/ingest/jobs/${jobId}`);
    expect(job).toMatchObject({ status: "COMPLETED", originalFilename: "picked.md", mimeType: "text/markdown" });
  });

  it("uploads files dropped on the drop zone", async () => {
    const page = await signedIn(editor);
    const files = await page.evaluateHandle(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["# Dropped one\\n\\nHello."], "dropped-one.md", { type: "" }));
      dt.items.add(new File(["Dropped two, plain text."], "dropped-two.txt", { type: "text/plain" }));
      return dt;
    })()`);
    await page.dispatchEvent(".dropzone", "dragover", { dataTransfer: files });
    await page.dispatchEvent(".dropzone", "drop", { dataTransfer: files });
    for (const name of ["dropped-one.md", "dropped-two.txt"]) {
      const jobId = (await page.locator(`li[data-upload="${name}"][data-job-id]`).getAttribute("data-job-id"))!;
      await page.locator(`tr[data-job-id="${jobId}"][data-status="COMPLETED"]`).waitFor();
    }
  });

  it("shows a large upload's bar moving; its Cancel button gives CANCELLED on the page and in the API; a viewer sees no Cancel", async () => {
    const file = join(tmp, "large.md");
    const paragraph = "Large upload paragraph: the quick brown fox jumps over the lazy dog, again and again.\n\n";
    writeFileSync(file, paragraph.repeat(Math.ceil((70 * 1024 * 1024) / paragraph.length)));
    const page = await signedIn(editor);
    await page.setInputFiles("#file-input", file);
    const item = page.locator('li[data-upload="large.md"][data-job-id]');
    await item.waitFor({ timeout: 120_000 });
    const jobId = (await item.getAttribute("data-job-id"))!;

    // The row's bar moves while the job runs: two different values below 100%.
    const seen = new Set<number>();
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const v = await barValue(page, jobId).catch(() => 0);
      if (v > 0 && v < 100) seen.add(v);
      if (seen.size >= 2) break;
      await page.waitForTimeout(50);
    }
    expect(seen.size, `bar values seen: ${[...seen]}`).toBeGreaterThanOrEqual(2);

    // Cancelled while the bar moves: the job runs only a few seconds.
    await row(page, jobId).getByRole("button", { name: "Cancel large.md" }).click();
    await page.locator(`tr[data-job-id="${jobId}"][data-status="CANCELLED"]`).waitFor();
    expect((await getJson(`/ingest/jobs/${jobId}`)).status).toBe("CANCELLED");
    // The same job, seen by a viewer: no Cancel, no Delete, no upload.
    const watcher = await signedIn(viewer);
    await watcher.locator(`tr[data-job-id="${jobId}"][data-status="CANCELLED"]`).waitFor();
    expect(await watcher.getByRole("button", { name: /^(Cancel|Delete)\b/ }).count()).toBe(0);
    expect(await watcher.locator("#file-input").count()).toBe(0);
    // A finished job offers Delete to its editor.
    await row(page, jobId).getByRole("button", { name: "Delete large.md" }).waitFor();
  });

  it("a viewer sees finished jobs without Cancel or Delete; an editor sees Delete on them and can delete", async () => {
    const job = await upload(server.url, editor, P, markdown(3, "deletable"), { filename: "deletable.md", type: "text/markdown" });
    await waitForJob(server.url, editor, P, job.id);
    const watcher = await signedIn(viewer);
    await row(watcher, job.id).waitFor();
    expect(await watcher.getByRole("button", { name: /^(Cancel|Delete)\b/ }).count()).toBe(0);

    const page = await signedIn(editor);
    await row(page, job.id).waitFor();
    // The same query finds the editor's buttons: the viewer's zero is not a blind locator.
    expect(await page.getByRole("button", { name: /^(Cancel|Delete)\b/ }).count()).toBeGreaterThan(0);
    await row(page, job.id).getByRole("button", { name: "Delete deletable.md" }).click();
    await page.getByRole("dialog", { name: "Delete deletable.md?" }).getByRole("button", { name: "Delete" }).click();
    await row(page, job.id).waitFor({ state: "detached" });
    // The viewer's list drops it live (job.deleted), and the API no longer has it.
    await row(watcher, job.id).waitFor({ state: "detached" });
    expect((await api(`/ingest/jobs/${job.id}`)).status).toBe(404);
  });

  it("catches up after the project stream drops: a job that ran and finished while it was away shows as finished", async () => {
    const tab = await openTab(browser);
    tabs.push(tab);
    const urls: string[] = [];
    const pages: WebSocketRoute[] = [];
    // The first numbered frame reached the page: only then does it know where to resume.
    let numbered!: () => void;
    const firstNumbered = new Promise<void>((r) => (numbered = r));
    let release!: () => void;
    const away = new Promise<void>((r) => (release = r));
    await tab.page.routeWebSocket(/\/ingest\/events/, async (ws) => {
      urls.push(ws.url());
      // The second connection waits until the job has finished.
      if (urls.length > 1) await away;
      const server = ws.connectToServer();
      server.onMessage((m) => {
        ws.send(m);
        if (/"projectSeq"/.test(String(m))) numbered();
      });
      pages.push(ws);
    });
    await tab.page.goto(`${server.url}/#token=${editor}`);
    await tab.page.locator(".live.on").waitFor();
    await firstNumbered;
    await pages[0]!.close();
    await tab.page.locator(".live.off").waitFor();

    const job = await upload(server.url, editor, P, markdown(50, "away"), { filename: "while-away.md", type: "text/markdown" });
    await waitForJob(server.url, editor, P, job.id);
    release();
    await tab.page.locator(`tr[data-job-id="${job.id}"][data-status="COMPLETED"]`).waitFor();
    expect(urls).toHaveLength(2);
    expect(urls[1]).toContain("access_token=");
    // With the project stream's numbering (DESIGN §5) it resumes where it stopped.
    expect(urls[1]).toMatch(/[?&]after=\d+/);
  });

  it("shows the problem's detail when the server refuses an action", async () => {
    const tab = await openTab(browser);
    tabs.push(tab);
    // No live stream: the page keeps showing the job as it was created (QUEUED), whatever
    // happens to it meanwhile.
    await tab.page.routeWebSocket(/\/ingest\/events/, () => undefined);
    await tab.page.goto(`${server.url}/#token=${editor}`);
    await tab.page.setInputFiles("#file-input", { name: "refused.md", mimeType: "text/markdown", buffer: Buffer.from(markdown(5, "refused")) });
    const jobId = (await tab.page.locator('li[data-upload="refused.md"][data-job-id]').getAttribute("data-job-id"))!;
    const cancel = row(tab.page, jobId).getByRole("button", { name: "Cancel refused.md" });
    await cancel.waitFor();
    // Finished elsewhere: cancelled here, or completed already.
    const elsewhere = await fetch(`${server.url}/api/projects/${P}/ingest/jobs/${jobId}/cancel`, {
      method: "POST",
      headers: { Authorization: `Bearer ${editor}` },
    });
    const status = elsewhere.status === 200 ? "CANCELLED" : (await waitForJob(server.url, editor, P, jobId)).status;
    // The browser logs the 400 itself; that one is expected.
    tab.allowErrors(/status of 400/);
    await cancel.click();
    await tab.page.getByRole("alert").getByText(`refused.md: Job cannot be cancelled. Current status: ${status}`).waitFor();
  });

  it("shows a job's detail with its event timeline, updating live to the end", async () => {
    const page = await signedIn(editor);
    // Large enough (about 24 MB), and deep-scanned (its text staged and analysed before it is
    // indexed), to be still running when the page opens.
    const job = await upload(server.url, editor, P, markdown(300_000, "detail"), {
      filename: "detail.md",
      type: "text/markdown",
      query: { isDeepScan: "true" },
    });
    await page.goto(`${server.url}/#/p/${P}/jobs/${job.id}`);
    await page.getByRole("heading", { name: "detail.md" }).waitFor();
    expect(await page.locator(".section-head .badge").textContent()).not.toBe("COMPLETED");
    await page.locator(".timeline li", { hasText: "job.completed" }).waitFor({ timeout: 60_000 });
    const types = await page.locator(".timeline .type").allTextContents();
    expect(types[0]).toBe("job.created");
    expect(types).toContain("job.started");
    const log = await getJson<{ items: { type: string }[] }>(`/ingest/jobs/${job.id}/events`);
    expect(types).toEqual(log.items.map((e) => e.type));
    await page.getByRole("link", { name: /^[0-9a-f-]{36}$/ }).waitFor();
  });

  it("shows a document's text with as many chunk marks as chunkCount, and its chunk list", async () => {
    const job = await upload(server.url, editor, P, markdown(60, "chunked"), {
      filename: "chunked.md",
      type: "text/markdown",
      query: { chunkSize: "400", chunkOverlap: "40" },
    });
    const done = await waitForJob(server.url, editor, P, job.id);
    const docId = done.canonicalDocumentId as string;
    const doc = await getJson<{ chunkCount: number; title: string; language: string | null }>(`/documents/${docId}`);
    expect(doc.chunkCount).toBeGreaterThan(5);

    const page = await signedIn(editor, `#/p/${P}/jobs/${job.id}`);
    await page.getByRole("link", { name: docId }).click();
    await page.getByRole("heading", { name: doc.title }).waitFor();
    await page
      .locator(".chunk-mark")
      .nth(doc.chunkCount - 1)
      .waitFor();
    expect(await page.locator(".chunk-mark").count()).toBe(doc.chunkCount);
    expect(await page.locator(".chunks li").count()).toBe(doc.chunkCount);
    const text = await (await api(`/documents/${docId}/text`)).text();
    const shown = await page.getByLabel("Document text").textContent();
    // The text with the marks' ordinals taken out is the document's text.
    const marks = await page.locator(".chunk-mark").allTextContents();
    let stripped = shown ?? "";
    expect(stripped.length).toBe(text.length + marks.join("").length);
    for (const m of marks) stripped = stripped.replace(m, "");
    expect(stripped.includes("Paragraph 59 of chunked")).toBe(true);
    await page
      .getByText(doc.language ?? "unknown", { exact: true })
      .first()
      .waitFor();
  });

  it("loads more jobs as the list scrolls to its end (the API's cursor)", async () => {
    const many = "dash-many";
    const t = await token({ sub: "alice", roles: ["editor"], projects: [many] });
    const ids: string[] = [];
    for (let i = 0; i < 55; i++) ids.push((await upload(server.url, t, many, `Note ${i}`, { filename: `note-${i}.txt`, type: "text/plain" })).id);
    const tab = await openTab(browser);
    tabs.push(tab);
    await tab.page.goto(`${server.url}/#token=${t}`);
    await tab.page.locator("tr[data-job-id]").nth(49).waitFor();
    await tab.page.waitForTimeout(300);
    expect(await tab.page.locator("tr[data-job-id]").count()).toBe(50);
    await tab.page.locator(".sentinel").first().scrollIntoViewIfNeeded();
    await tab.page.locator("tr[data-job-id]").nth(54).waitFor();
    const shown = await tab.page.locator("tr[data-job-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-job-id")));
    expect(shown).toEqual(ids.reverse());
  });

  it("labels every control, and signs in from the keyboard alone", async () => {
    const job = await upload(server.url, editor, P, "labelled", { filename: "labelled.txt", type: "text/plain" });
    await waitForJob(server.url, editor, P, job.id);
    const tab = await openTab(browser);
    tabs.push(tab);
    await tab.page.goto(`${server.url}/`);
    await tab.page.keyboard.press("Tab");
    await tab.page.keyboard.type(editor);
    await tab.page.keyboard.press("Tab");
    await tab.page.keyboard.press("Enter");
    await tab.page.getByRole("heading", { name: "Jobs" }).waitFor();
    await tab.page.locator(".live.on").waitFor();
    await row(tab.page, job.id).getByRole("button", { name: "Delete labelled.txt" }).waitFor();
    const unlabelled = await tab.page.evaluate(`[...document.querySelectorAll("input, select, textarea, button, a[href]")]
      .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.textContent.trim()))
      .map((el) => el.outerHTML)`);
    expect(unlabelled).toEqual([]);
  });

  it("is usable at phone width", async () => {
    const page = await signedIn(editor, "", { width: 390, height: 844 });
    await page.locator("tr[data-job-id]").first().waitFor();
    const overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
    expect(overflow).toBeLessThanOrEqual(0);
  });
});

describe.skipIf(!HAVE_CHROMIUM)("/docs", () => {
  it("renders every operation with requests to other hosts refused", async () => {
    const tab = await openTab(browser);
    tabs.push(tab);
    await tab.page.goto(`${server.url}/docs`);
    await tab.page.locator(".opblock").first().waitFor({ timeout: 30_000 });
    const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(spec.paths).reduce((n, ops) => n + Object.keys(ops).filter((m) => m !== "parameters").length, 0);
    expect(await tab.page.locator(".opblock").count()).toBe(operations);
    await tab.page.getByText("/api/projects/{projectId}/ingest/jobs/{jobId}/cancel").first().waitFor();
  });
});
