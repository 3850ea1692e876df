#!/usr/bin/env node
/**
 * `npm run screenshots`: the README's dashboard screenshots, taken in headless Chromium
 * (Debian's `chromium`, driven by playwright-core) against a fresh `wrangler dev` with a
 * few demo jobs: the jobs view at 1280×800 and at phone width, a job's detail, and a
 * document. Writes `docs/screenshots/*.png`. Builds the assets first.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startDev, token, upload, waitForJob } from "./lib/dev-server.mjs";
import { buildWeb } from "./build-web.mjs";

const OUT = "docs/screenshots";
const P = "demo";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

function markdown(title, paragraphs) {
  const out = [`# ${title}`, ""];
  for (let i = 0; i < paragraphs; i++) {
    out.push(
      `## Section ${i + 1}`,
      "",
      `${title}, part ${i + 1}. Ingested documents are split into overlapping chunks; each chunk keeps its character offsets into the canonical text, so a reader can find exactly where it came from.`,
      "",
    );
  }
  return out.join("\n");
}

await buildWeb();
mkdirSync(OUT, { recursive: true });
const state = mkdtempSync(join(tmpdir(), "edge-ingest-shots-"));
const server = await startDev({
  port: await freePort(),
  persistTo: state,
  vars: { RATE_LIMIT_PROJECT_PER_MINUTE: "100000", RATE_LIMIT_USER_PER_HOUR: "100000" },
});
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const t = await token({ sub: "alice", roles: ["editor", "dispatcher"], projects: [P, "archive"] });
  const jobs = [];
  for (const [name, body, type, query] of [
    ["handbook.md", markdown("Operations handbook", 40), "text/markdown", { chunkSize: "600", chunkOverlap: "60" }],
    [
      "release-notes.html",
      `<html><head><title>Release notes</title></head><body>${"<p>Faster uploads and live dashboards.</p>".repeat(200)}</body></html>`,
      "text/html",
      {},
    ],
    ["meeting-2026-11-20.txt", "Notes from the weekly meeting. ".repeat(3000), "text/plain", { sourceId: "meetings" }],
    ["broken-scan.pdf", "%PDF-1.7\nthis is not really a PDF\n%%EOF\n", "application/pdf", {}],
    ["handbook-copy.md", markdown("Operations handbook", 40), "text/markdown", { chunkSize: "600", chunkOverlap: "60" }],
  ]) {
    const job = await upload(server.url, t, P, body, { filename: name, type, query });
    jobs.push(await waitForJob(server.url, t, P, job.id));
  }
  // Two jobs still running when the pictures are taken.
  const big = "A long paragraph of an archive export that takes a while to chunk and index. ".repeat(600_000);
  const running = await upload(server.url, t, P, big, { filename: "archive-export-2026.md", type: "text/markdown" });
  const queued = await upload(server.url, t, P, big, { filename: "archive-export-2025.md", type: "text/markdown" });

  const shoot = async (viewport, hash, file, ready) => {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${server.url}/#token=${t}`);
    await page.getByRole("heading", { name: "Projects" }).waitFor();
    await page.goto(`${server.url}/${hash}`);
    await ready(page);
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(OUT, file) });
    await context.close();
    console.log(`wrote ${join(OUT, file)}`);
  };
  const list = `#/p/${P}/jobs`;
  const picked = join(state, "quarterly-report.md");
  writeFileSync(picked, markdown("Quarterly report", 150_000));
  await shoot({ width: 1280, height: 800 }, list, "jobs.png", async (page) => {
    await page.locator(`tr[data-job-id="${running.id}"]`).waitFor();
    // An upload from the picker, shown while its job runs.
    await page.setInputFiles("#file-input", picked);
    await page.locator('li[data-upload="quarterly-report.md"][data-job-id]').waitFor();
    await page.waitForFunction("Number(document.querySelector('li[data-upload] [role=progressbar]')?.getAttribute('aria-valuenow')) > 20");
  });
  await shoot({ width: 390, height: 844 }, list, "jobs-phone.png", (page) => page.locator(`tr[data-job-id="${running.id}"]`).waitFor());
  const handbook = jobs[0];
  await shoot({ width: 1280, height: 800 }, `#/p/${P}/jobs/${jobs[4].id}`, "job-detail.png", (page) => page.locator(".timeline li").first().waitFor());
  await shoot({ width: 1280, height: 800 }, `#/p/${P}/documents/${handbook.canonicalDocumentId}`, "document.png", (page) =>
    page.locator(".chunk-mark").first().waitFor(),
  );
  await shoot({ width: 1280, height: 800 }, `#/p/${P}/jobs/${jobs[3].id}`, "job-failed.png", (page) => page.locator(".timeline li").first().waitFor());
  // Leave nothing running behind.
  const cancel = (id) => fetch(`${server.url}/api/projects/${P}/ingest/jobs/${id}/cancel`, { method: "POST", headers: { Authorization: `Bearer ${t}` } });
  const open = await (await fetch(`${server.url}/api/projects/${P}/ingest/jobs?status=RUNNING`, { headers: { Authorization: `Bearer ${t}` } })).json();
  await Promise.all([running.id, queued.id, ...open.items.map((j) => j.id)].map(cancel));
} finally {
  await browser.close();
  await server.stop();
  rmSync(state, { recursive: true, force: true });
}
