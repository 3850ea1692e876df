import { describe, expect, it } from "vitest";
import { createJob, drive, getJob, token } from "../helpers";

const P = "proj_heading_flood";

describe("a heading flood", () => {
  it("turns 5 MB of '# h' lines into chunks no shorter than a quarter of the chunk size", async () => {
    const t = await token({ projects: [P] });
    const md = "# h\n".repeat((5 * 1024 * 1024) / 4);
    const job = await createJob(t, P, md, { filename: "flood.md", type: "text/markdown" });
    const steps = await drive(job.id, 500);
    const done = await getJob(t, P, job.id);
    expect(done.status).toBe("COMPLETED");
    expect(steps).toBeLessThan(500);
    // Default size 1000: at most one chunk per 250 chars (the issue saw 1,310,720).
    expect(done.counters.chunksCreated).toBeLessThanOrEqual(md.length / 250);
    expect(done.counters.chunksCreated).toBeGreaterThan(md.length / 1000);
  });
});
