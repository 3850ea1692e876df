import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";
import { createJob, drive, getJob, token } from "../helpers";

const P = "proj_sources";
const sourceOf = (jobId: string) => env.BUCKET.head(`sources/${P}/${jobId}`);

describe("a job's source in R2", () => {
  it("is deleted once the job has completed and its document is built", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "A source that is read once. ".repeat(200));
    expect(await sourceOf(job.id)).not.toBeNull();
    await drive(job.id);
    const done = await getJob(t, P, job.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.canonicalDocumentId).not.toBeNull();
    expect(await sourceOf(job.id)).toBeNull();
  });

  it("stays while the job runs and after it fails, so a retry can read it again", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P, "%PDF-1.7 not really a pdf", { filename: "broken.pdf", type: "application/pdf" });
    await drive(job.id);
    const failed = await getJob(t, P, job.id);
    expect(failed.status).toBe("FAILED");
    expect(await sourceOf(job.id)).not.toBeNull();
  });

  it("KEEP_SOURCES is off by default and must be true or false", () => {
    expect(loadConfig({ ...env, KEEP_SOURCES: undefined }).keepSources).toBe(false);
    expect(loadConfig({ ...env, KEEP_SOURCES: "true" }).keepSources).toBe(true);
    expect(() => loadConfig({ ...env, KEEP_SOURCES: "yes" })).toThrow(ConfigError);
  });
});
