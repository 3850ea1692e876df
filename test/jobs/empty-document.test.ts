import { describe, expect, it } from "vitest";
import { buildPdf } from "../fixtures/pdf";
import { APP_SHELLS, browserifyLicense, READMES } from "../fixtures/real";
import { call, createJob, drive, getJob, token } from "../helpers";

const P = "proj_quality";
const docsPath = (id: string) => `/api/projects/${P}/documents/${id}`;

describe("POST /ingest/jobs with a source that yields no text", () => {
  for (const [name, html] of Object.entries(APP_SHELLS)) {
    it(`ends FAILED with EMPTY_DOCUMENT for the app shell ${name}, never COMPLETED with 0 characters`, async () => {
      const t = await token({ projects: [P] });
      const job = await createJob(t, P, html, { filename: name, type: "text/html" });
      await drive(job.id);
      const failed = await getJob(t, P, job.id);
      expect(failed).toMatchObject({ status: "FAILED", stage: "EXTRACTING", canonicalDocumentId: null });
      expect(failed.errors.map((e) => e.code)).toEqual(["EMPTY_DOCUMENT"]);
      expect(failed.errorMessage).toMatch(/no text/);
    });
  }

  it("ends FAILED with EMPTY_DOCUMENT for an image-only PDF (pages with no text layer)", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, buildPdf(["", "", ""]), { filename: "scan.pdf", type: "application/pdf" });
    await drive(job.id);
    const failed = await getJob(t, P, job.id);
    expect(failed.status).toBe("FAILED");
    expect(failed.errors.map((e) => e.code)).toEqual(["EMPTY_DOCUMENT"]);
    expect(failed.errorMessage).toMatch(/OCR/);
  });

  it("ends FAILED with EMPTY_DOCUMENT for a text file of whitespace only", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, " \n\n\t \n", { filename: "blank.txt" });
    await drive(job.id);
    expect((await getJob(t, P, job.id)).errors.map((e) => e.code)).toEqual(["EMPTY_DOCUMENT"]);
  });
});

describe("POST /ingest/jobs with real Markdown and extension-less text", () => {
  it("accepts LICENSE (no extension, no declared type) as text/plain and completes it", async () => {
    const t = await token({ projects: [P] });
    for (const type of ["", "application/octet-stream"]) {
      const job = await createJob(t, P, browserifyLicense, { filename: "LICENSE", type });
      expect(job.mimeType).toBe("text/plain");
      await drive(job.id);
      expect((await getJob(t, P, job.id)).status).toBe("COMPLETED");
    }
  });

  it("reports a README's setext headings with titles free of markup", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, READMES.uglifyReadme, { filename: "README.md", type: "text/markdown" });
    await drive(job.id);
    const done = await getJob(t, P, job.id);
    expect(done.status).toBe("COMPLETED");
    const doc = await (await call(docsPath(done.canonicalDocumentId!), { token: t })).json<{ title: string }>();
    expect(doc.title).toBe("UglifyJS 3");
  });
});
