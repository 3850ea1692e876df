/** `ETag` / `If-None-Match` on `GET /jobs/{id}` (DESIGN §4). */
import { describe, expect, it } from "vitest";
import { call, createJob, jobsPath, step, token } from "../helpers";

const P = "proj_etag";

describe("GET /jobs/{jobId} with ETag", () => {
  it("carries the job's version as a strong ETag and answers 304, with no body, to If-None-Match", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    const first = await call(`${jobsPath(P)}/${job.id}`, { token: t });
    expect(first.status).toBe(200);
    const etag = first.headers.get("ETag");
    expect(etag).toMatch(/^"\d+"$/);
    const again = await call(`${jobsPath(P)}/${job.id}`, { token: t, headers: { "If-None-Match": etag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get("ETag")).toBe(etag);
    expect(await again.text()).toBe("");
    for (const header of [`W/${etag}`, `"0", ${etag}`, "*"]) {
      expect((await call(`${jobsPath(P)}/${job.id}`, { token: t, headers: { "If-None-Match": header } })).status, header).toBe(304);
    }
  });

  it("answers 200 with a new ETag once the job has changed", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    const etag = (await call(`${jobsPath(P)}/${job.id}`, { token: t })).headers.get("ETag")!;
    await step(job.id); // the first slice starts the job: a new version
    const res = await call(`${jobsPath(P)}/${job.id}`, { token: t, headers: { "If-None-Match": etag } });
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).not.toBe(etag);
    expect((await res.json<{ status: string }>()).status).toBe("RUNNING");
  });

  it("never lets a current ETag skip the project and role checks", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    const etag = (await call(`${jobsPath(P)}/${job.id}`, { token: t })).headers.get("ETag")!;
    const stranger = await token({ sub: "mallory", projects: ["proj_other"] });
    const twoProjects = await token({ projects: [P, "proj_b"] });
    const cases = [
      ["a stranger, through the job's project", stranger, `${jobsPath(P)}/${job.id}`, 403],
      ["a stranger, through their own project", stranger, `${jobsPath("proj_other")}/${job.id}`, 404],
      ["a member, through another of their projects", twoProjects, `${jobsPath("proj_b")}/${job.id}`, 404],
    ] as const;
    for (const [what, who, path, status] of cases) {
      const res = await call(path, { token: who, headers: { "If-None-Match": etag } });
      expect(res.status, what).toBe(status);
      expect(res.headers.get("ETag"), what).toBeNull();
    }
    const anonymous = await call(`${jobsPath(P)}/${job.id}`, { headers: { "If-None-Match": etag } });
    expect(anonymous.status).toBe(401);
  });

  it("is 404, not 304, for a deleted job", async () => {
    const t = await token({ projects: [P] });
    const job = await createJob(t, P);
    const etag = (await call(`${jobsPath(P)}/${job.id}`, { token: t })).headers.get("ETag")!;
    expect((await call(`${jobsPath(P)}/${job.id}/cancel`, { method: "POST", token: t })).status).toBe(200);
    expect((await call(`${jobsPath(P)}/${job.id}`, { method: "DELETE", token: t })).status).toBe(204);
    expect((await call(`${jobsPath(P)}/${job.id}`, { token: t, headers: { "If-None-Match": etag } })).status).toBe(404);
  });
});
