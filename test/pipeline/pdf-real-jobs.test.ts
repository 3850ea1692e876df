import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/lifecycle";
import { realPdf, type RealPdf } from "../fixtures/real/pdf/files";
import { call, createJob, drive, getJob, jobStub, jobsPath, step, token } from "../helpers";

const P = "proj_real_pdf";
const docsPath = (id: string) => `/api/projects/${P}/documents/${id}`;

async function ingest(name: RealPdf): Promise<{ t: string; job: Job }> {
  const t = await token({ projects: [P] });
  const created = await createJob(t, P, realPdf(name), { filename: name, type: "application/pdf" });
  await drive(created.id);
  return { t, job: await getJob(t, P, created.id) };
}

async function documentText(t: string, job: Job): Promise<string> {
  return (await call(`${docsPath(job.canonicalDocumentId!)}/text`, { token: t })).text();
}

describe("PDF jobs on real files", () => {
  it("completes PDFs the pre-scan cannot measure (page tree in encrypted object streams, a broken xref)", async () => {
    for (const [name, expected] of [
      ["bug1815476.pdf", "pasaporte"],
      ["pr-138-example.pdf", "Principal and Interest"],
      ["xref_command_missing.pdf", "Reduced test-case"],
    ] as const) {
      const { t, job } = await ingest(name);
      expect(job.status, name).toBe("COMPLETED");
      expect(job.counters.pagesExtracted).toBeGreaterThan(0);
      expect(await documentText(t, job)).toContain(expected);
    }
  });

  it("fails a PDF that needs a password to open with PDF_ENCRYPTED, not PDF_CORRUPT (pdf.js's issue3371.pdf)", async () => {
    const { job } = await ingest("issue3371.pdf");
    expect(job.status).toBe("FAILED");
    expect(job.errors.map((e) => e.code)).toEqual(["PDF_ENCRYPTED"]);
  });

  it("completes a PDF with damaged pages, naming each skipped page in errors (pdf.js's poppler-90-0-fuzzed.pdf)", async () => {
    const { t, job } = await ingest("poppler-90-0-fuzzed.pdf");
    expect(job.status).toBe("COMPLETED");
    expect(job.counters.pagesExtracted).toBe(16);
    const skipped = job.errors.filter((e) => e.code === "PDF_PAGE_UNREADABLE");
    expect(skipped).toHaveLength(2);
    for (const e of skipped) expect(e).toMatchObject({ stage: "EXTRACTING", message: expect.stringMatching(/^Page \d+ could not be read and was skipped: /) });
    expect((await documentText(t, job)).length).toBeGreaterThan(1000);
  });

  it("counts the junk characters it drops in counters.charactersDropped (pdf.js's TAMReview.pdf)", async () => {
    const { t, job } = await ingest("TAMReview.pdf");
    expect(job.status).toBe("COMPLETED");
    expect(job.counters.charactersDropped).toBeGreaterThan(30_000);
    // oxlint-disable-next-line no-control-regex -- what must be gone
    expect(await documentText(t, job)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\ue000-\uf8ff]/u);
  });

  it("gives the same text after an eviction between every slice (Unstructured's multi-column.pdf, 13 pages)", async () => {
    const steady = await ingest("multi-column.pdf");
    const t = steady.t;
    const evicted = await createJob(t, P, realPdf("multi-column.pdf"), { filename: "multi-column.pdf", type: "application/pdf" });
    let runs = 0;
    while (await step(evicted.id)) {
      runs++;
      await evictDurableObject(jobStub(evicted.id));
    }
    expect(runs).toBeGreaterThan(3);
    const done = await getJob(t, P, evicted.id);
    expect(done.status).toBe("COMPLETED");
    const a = await documentText(t, steady.job);
    expect(await documentText(t, done)).toBe(a);
    expect(a).toContain("open-domain");
    expect(a).not.toMatch(/\p{L}-\n\p{Ll}/u);
  });
});

describe("POST /jobs with a real PDF", () => {
  it("accepts a PDF whose header follows a banner within the first KiB (pdfplumber's issue-848.pdf)", async () => {
    const t = await token({ projects: [P] });
    const bytes = realPdf("issue-848.pdf");
    expect(new TextDecoder().decode(bytes.subarray(0, 5))).not.toBe("%PDF-");
    for (const type of ["application/pdf", "application/octet-stream"]) {
      const job = await createJob(t, P, bytes, { filename: "issue-848.pdf", type });
      expect(job.mimeType).toBe("application/pdf");
      await drive(job.id);
    }
    const { job } = await ingest("issue-848.pdf");
    expect(job.status).toBe("COMPLETED");
  });

  it("keeps a text upload that mentions %PDF- as text", async () => {
    const t = await token({ projects: [P] });
    const res = await call(`${jobsPath(P)}?filename=notes.txt`, {
      method: "POST",
      token: t,
      body: "A PDF starts with %PDF-1.7 and ends with %%EOF.",
      headers: { "Content-Type": "text/plain" },
    });
    expect(res.status).toBe(201);
    const job = await res.json<Job>();
    expect(job.mimeType).toBe("text/plain");
    await drive(job.id);
  });
});
