import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { call, createJob, drive, getJob, problem, token } from "../helpers";
import { DAY_MS, jobRow, stepPurger } from "./helpers";

const DEFAULT_DAYS = loadConfig(env).retention.days;
const path = (projectId: string) => `/api/projects/${projectId}/retention`;

function put(t: string, projectId: string, body: unknown): Promise<Response> {
  return call(path(projectId), { method: "PUT", token: t, body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
}

async function completedJob(t: string, projectId: string) {
  const job = await createJob(t, projectId, "A document that will not be kept for long. ".repeat(20));
  await drive(job.id);
  expect((await getJob(t, projectId, job.id)).status).toBe("COMPLETED");
  return job;
}

describe("GET /api/projects/{projectId}/retention", () => {
  it("shows the service's default to any member, viewer included", async () => {
    const P = "proj_ret_get";
    const res = await call(path(P), { token: await token({ projects: [P], roles: ["viewer"] }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      projectId: P,
      days: DEFAULT_DAYS,
      overridden: false,
      defaultDays: DEFAULT_DAYS,
      deletedGraceDays: loadConfig(env).retention.deletedGraceDays,
      updatedAt: null,
      updatedBy: null,
    });
  });

  it("returns 403 for a token without the project", async () => {
    const res = await call(path("proj_ret_other"), { token: await token({ projects: ["proj_ret_get"], roles: ["viewer"] }) });
    expect(res.status).toBe(403);
  });
});

describe("PUT /api/projects/{projectId}/retention", () => {
  it("sets the project's retention for an admin, and GET shows it", async () => {
    const P = "proj_ret_put";
    const admin = await token({ projects: [], roles: ["admin"], sub: "root" });
    const res = await put(admin, P, { days: 90 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ projectId: P, days: 90, overridden: true, defaultDays: DEFAULT_DAYS, updatedBy: "root" });
    const read = await call(path(P), { token: await token({ projects: [P], roles: ["viewer"] }) });
    expect(await read.json()).toMatchObject({ days: 90, overridden: true });
  });

  it("returns 403 for an editor, naming the role it needs", async () => {
    const P = "proj_ret_put";
    const res = await put(await token({ projects: [P], roles: ["editor"] }), P, { days: 5 });
    expect(res.status).toBe(403);
    expect((await problem(res)).detail).toMatch(/retention needs one of the roles admin/);
  });

  it.each([
    ["zero days", { days: 0 }],
    ["a fraction", { days: 1.5 }],
    ["a string", { days: "30" }],
    ["more than a hundred years", { days: 36_501 }],
    ["no days", {}],
    ["an unknown field", { days: 3, hours: 4 }],
  ])("returns 400 for %s, saying what is accepted", async (_what, body) => {
    const P = "proj_ret_bad";
    const res = await put(await token({ roles: ["admin"] }), P, body);
    expect(res.status).toBe(400);
    const p = await problem(res);
    expect(p.detail.length).toBeGreaterThan(0);
    if ("days" in body && body.days !== 3) expect(p.detail).toMatch(/whole number of days between 1 and 36500/);
  });
});

describe("DELETE /api/projects/{projectId}/retention", () => {
  it("returns the project to the default", async () => {
    const P = "proj_ret_reset";
    const admin = await token({ roles: ["admin"] });
    expect((await put(admin, P, { days: 7 })).status).toBe(200);
    const res = await call(path(P), { method: "DELETE", token: admin });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ days: DEFAULT_DAYS, overridden: false, updatedAt: null });
  });
});

describe("a project's retention", () => {
  it("purges the project's jobs after its own days, shorter or longer than the default, and not another project's", async () => {
    const SHORT = "proj_ret_short";
    const LONG = "proj_ret_long";
    const PLAIN = "proj_ret_plain";
    const admin = await token({ roles: ["admin"] });
    expect((await put(admin, SHORT, { days: 2 })).status).toBe(200);
    expect((await put(admin, LONG, { days: DEFAULT_DAYS * 2 })).status).toBe(200);
    const short = await completedJob(admin, SHORT);
    const long = await completedJob(admin, LONG);
    const plain = await completedJob(admin, PLAIN);

    // Three days on: past the short retention only.
    for (const p of [SHORT, LONG, PLAIN]) await stepPurger(p, 3 * DAY_MS);
    expect(await jobRow(SHORT, short.id)).toBeNull();
    expect(await jobRow(LONG, long.id)).not.toBeNull();
    expect(await jobRow(PLAIN, plain.id)).not.toBeNull();

    // Past the default: the plain project's job goes, the long one stays.
    for (const p of [LONG, PLAIN]) await stepPurger(p, (DEFAULT_DAYS + 1) * DAY_MS);
    expect(await jobRow(PLAIN, plain.id)).toBeNull();
    expect(await jobRow(LONG, long.id)).not.toBeNull();

    // Back to the default: the long project's job, already past it, goes too.
    expect((await call(path(LONG), { method: "DELETE", token: admin })).status).toBe(200);
    await stepPurger(LONG, (DEFAULT_DAYS + 1) * DAY_MS);
    expect(await jobRow(LONG, long.id)).toBeNull();
  });
});
