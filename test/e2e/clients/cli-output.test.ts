/** The CLI's output rules, as pure functions (no server). */
import { describe, expect, it } from "vitest";
import { fitLine, fitName } from "../../../src/cli/upload/display";
import { ingestKey } from "../../../src/cli/upload/hash";
import { jobLine, summary, type FileRun } from "../../../src/cli/upload/run";

const file = (display: string) => ({ path: `/tmp/${display}`, display, size: 10 });
const completed = (display: string, documentId: string): FileRun => ({
  file: file(display),
  phase: "done",
  sent: 10,
  created: true,
  job: { id: `job-${display}`, status: "COMPLETED", stage: "DONE", progress: 1, counters: {} as never, canonicalDocumentId: documentId },
});

describe("file names in the bars", () => {
  it("cuts a long name in the middle, keeping its folder and its file name", () => {
    const name = fitName("packages/very-long-package-name/docs/README.md", 28);
    expect([...name]).toHaveLength(28);
    expect(name).toBe("packages/very…docs/README.md");
  });

  it("pads a short name to the column", () => {
    expect(fitName("a.md", 8)).toBe("a.md    ");
  });

  it("never lets a line wrap an 80-column terminal", () => {
    const line = `${" overall".padEnd(30)}${"█".repeat(24)} 100% ${"x".repeat(200)}`;
    expect([...fitLine(line, 80)].length).toBeLessThan(80);
    expect(fitLine("short", 80)).toBe("short");
  });
});

describe("the upload's JSON lines and summary", () => {
  it("gives each completed file its document id", () => {
    expect(jobLine(completed("a.md", "doc-1"))).toMatchObject({ file: "a.md", status: "COMPLETED", documentId: "doc-1" });
    expect(summary([completed("a.md", "doc-1")], 1000, false)).toContain("Documents:\n  a.md: doc-1");
  });

  it("says what --no-wait did: jobs created, not '0 completed'", () => {
    const runs: FileRun[] = Array.from({ length: 17 }, (_, i) => ({ file: file(`f${i}`), phase: "done", sent: 10, created: true }));
    const text = summary(runs, 2000, false, false);
    expect(text).toMatch(/^Uploaded in 2\.0 s: 17 jobs created, 0 skipped \(already ingested with the same options; no new job\), 0 refused, of 17 files\./);
    expect(text).not.toContain("completed");
  });
});

describe("the CLI's Idempotency-Key", () => {
  const hash = "a".repeat(64);
  it("is the same for the same file and options", () => {
    expect(ingestKey(hash, { chunkSize: 800 })).toBe(ingestKey(hash, { chunkSize: 800 }));
  });
  it("changes with any option a job's result depends on", () => {
    const keys = new Set([
      ingestKey(hash, {}),
      ingestKey(hash, { chunkSize: 800 }),
      ingestKey(hash, { chunkOverlap: 50 }),
      ingestKey(hash, { isDeepScan: true }),
      ingestKey(hash, { sourceId: "crawl-42" }),
    ]);
    expect(keys.size).toBe(5);
  });
});
