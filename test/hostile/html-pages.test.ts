import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/lifecycle";
import { call, createJob, drive, getJob, jobStub, step, token } from "../helpers";

const P = "proj_html_pages";
const docsPath = (id: string) => `/api/projects/${P}/documents/${id}`;

async function text(t: string, job: Job): Promise<string> {
  const done = await getJob(t, P, job.id);
  expect(done.status).toBe("COMPLETED");
  return (await call(`${docsPath(done.canonicalDocumentId!)}/text`, { token: t })).text();
}

describe("HTML pages the DOM must not see", () => {
  it("extracts a page nested 150,000 deep (under the DOM's size bound) by streaming, without a DOM", async () => {
    const t = await token({ projects: [P] });
    const html = `<html><body>${"<div>".repeat(150_000)}deep text</body></html>`;
    const job = await createJob(t, P, html, { filename: "deep.html", type: "text/html" });
    await drive(job.id);
    expect(await text(t, job)).toBe("deep text");
  });

  it("drops furniture from a page past the DOM bound the same whether or not the object is evicted after every slice", async () => {
    const t = await token({ projects: [P] });
    const section = (i: number) =>
      `<nav role="navigation"><a href="/">Home</a><nav><a>Inner ${i}</a></nav></nav><header>Site banner</header>` +
      `<article><header><h2>Part ${i}</h2></header><p>${"Words in a sentence here. ".repeat(40)}</p><aside>Related ${i}</aside></article><footer>Footer ${i}</footer>`;
    const html = `<html><head><title>Long page</title></head><body>${Array.from({ length: 1500 }, (_, i) => section(i)).join("\n")}</body></html>`;
    expect(html.length).toBeGreaterThan(1 << 20);
    const steady = await createJob(t, P, html, { filename: "long.html", type: "text/html" });
    const evicted = await createJob(t, P, html, { filename: "long.html", type: "text/html" });
    await drive(steady.id);
    let runs = 0;
    while (await step(evicted.id)) {
      runs++;
      await evictDurableObject(jobStub(evicted.id));
    }
    expect(runs).toBeGreaterThan(3);
    const a = await text(t, steady);
    expect(await text(t, evicted)).toBe(a);
    expect(a).toContain("Part 1499");
    for (const furniture of ["Home", "Inner", "Site banner", "Related", "Footer"]) expect(a).not.toContain(furniture);
  });
});
