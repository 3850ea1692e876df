import { describe, expect, it } from "vitest";
import { pageTreeBomb, sharedStreamPdf } from "../fixtures/hostile-pdf";
import { createJob, drive, getJob, step, token } from "../helpers";
import { checkpointOf, expectStorageClean } from "./storage";
import { DEFAULT_DOCUMENT_LIMITS } from "../../src/pipeline/limits";

const MiB = 1 << 20;
/** Alarm steps any of these jobs may take to end: measuring, a few slices, clean-up. */
const MAX_STEPS = 40;

async function runPdf(projectId: string, pdf: Uint8Array) {
  const t = await token({ projects: [projectId] });
  const job = await createJob(t, projectId, pdf, { filename: "hostile.pdf", type: "application/pdf" });
  let heaviest = 0;
  let steps = 0;
  for (; steps < MAX_STEPS; steps++) {
    const cp = await checkpointOf(job.id);
    heaviest = Math.max(heaviest, Number(cp?.heaviestSliceBytes ?? 0));
    if (!(await step(job.id))) break;
  }
  await drive(job.id, 5);
  return { done: await getJob(t, projectId, job.id), steps, heaviest };
}

describe("hostile PDFs", () => {
  it("fails a page-tree bomb claiming 10⁹ pages on open, naming the page limit", async () => {
    const pdf = pageTreeBomb(9, 10);
    expect(pdf.byteLength).toBeLessThan(4096);
    const { done, steps } = await runPdf("proj_tree_bomb", pdf);
    expect(done.status).toBe("FAILED");
    expect(done.errors.at(-1)?.code).toBe("LIMIT_EXCEEDED");
    expect(done.errorMessage).toBe("LIMIT_EXCEEDED: more than 10000 pages");
    expect(done.counters.pagesExtracted).toBe(0);
    expect(steps).toBeLessThan(MAX_STEPS);
    await expectStorageClean("proj_tree_bomb", done.id);
  });

  it("fails a page tree that shares nodes under a small /Count as corrupt, before parsing a page", async () => {
    const { done } = await runPdf("proj_tree_shared", pageTreeBomb(3, 10, 5));
    expect(done.status).toBe("FAILED");
    expect(done.errors.at(-1)?.code).toBe("PDF_CORRUPT");
    expect(done.errorMessage).toMatch(/shares or loops/);
    expect(done.counters.pagesExtracted).toBe(0);
    await expectStorageClean("proj_tree_shared", done.id);
  });

  it("refuses 10 pages sharing a stream that inflates to 100 MB, without parsing it", async () => {
    const pdf = await sharedStreamPdf(10, 100 * 1000 * 1000);
    expect(pdf.byteLength).toBeLessThan(200_000);
    const { done, steps, heaviest } = await runPdf("proj_flate_bomb", pdf);
    expect(done.status).toBe("FAILED");
    expect(done.errors.at(-1)?.code).toBe("LIMIT_EXCEEDED");
    expect(done.errorMessage).toBe(`LIMIT_EXCEEDED: a PDF stream inflates to more than ${DEFAULT_DOCUMENT_LIMITS.maxPdfStreamBytes} bytes`);
    expect(done.counters.pagesExtracted).toBe(0);
    expect(heaviest).toBe(0);
    expect(steps).toBeLessThan(MAX_STEPS);
    await expectStorageClean("proj_flate_bomb", done.id);
  });

  it("cuts a PDF whose pages share a large stream into slices by decoded bytes, counting the stream per page", async () => {
    const budget = DEFAULT_DOCUMENT_LIMITS.sliceDecodedBytes;
    const { done, heaviest } = await runPdf("proj_flate_heavy", await sharedStreamPdf(10, MiB));
    expect(done.status).toBe("COMPLETED");
    expect(done.counters.pagesExtracted).toBe(10);
    // 4 pages of 1 MiB fill a 4 MiB slice; 10 pages at 10 per slice would parse 10 MiB.
    expect(heaviest).toBeGreaterThan(3 * MiB);
    expect(heaviest).toBeLessThanOrEqual(budget);
  });
});
