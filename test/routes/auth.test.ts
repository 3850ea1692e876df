import { describe, expect, it } from "vitest";
import { call, createJob, jobsPath, problem, token } from "../helpers";

const P = "proj_a";
const B = "proj_b";

describe("authentication", () => {
  it("is 401 with a detail that says what is wrong and how to get a token", async () => {
    const cases: [string | undefined, RegExp][] = [
      [undefined, /^Authentication required\. Send `Authorization: Bearer <JWT>`; against a local server, `npm run token` prints one\.$/],
      ["not-a-jwt", /^The token is invalid: it is not a well-formed signed JWT\. Send/],
      [await token({ ttl: -120 }), /^The token has expired at \d{4}-\d\d-\d\dT[\d:.]+Z: get a new one\. Send/],
      [await token({ active: false }), /^The token is not active\. Send/],
      [await token({ secret: "another-secret-that-is-also-32-bytes-long" }), /^The token is invalid: its signature does not verify/],
      [await token({ sub: "" }), /^The token has no `sub` claim\. Send/],
    ];
    for (const [t, detail] of cases) {
      const res = await call(jobsPath(P), { token: t });
      expect(res.status).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
      expect((await problem(res)).detail).toMatch(detail);
    }
  });

  it("says the Authorization header is malformed when it is not a bearer token", async () => {
    const res = await call(jobsPath(P), { headers: { Authorization: "Basic dXNlcjpwYXNz" } });
    expect(res.status).toBe(401);
    expect((await problem(res)).detail).toMatch(/^The Authorization header is not `Bearer <JWT>`/);
  });

  it("accepts a token within the 30 s clock tolerance", async () => {
    const res = await call(jobsPath(P), { token: await token({ ttl: -10 }) });
    expect(res.status).toBe(200);
  });

  it("refuses ?access_token= on plain HTTP requests", async () => {
    const res = await call(`${jobsPath(P)}?access_token=${await token()}`);
    expect(res.status).toBe(401);
  });

  it("needs no token for /health, /openapi.json and /docs", async () => {
    for (const path of ["/health", "/openapi.json", "/docs"]) expect((await call(path)).status).toBe(200);
  });
});

/** DESIGN §2's table: action → roles allowed. */
const TABLE: Record<string, string[]> = {
  read: ["viewer", "editor", "dispatcher", "admin"],
  create: ["editor", "admin"],
  cancelOwn: ["editor", "dispatcher", "admin"],
  cancelOthers: ["dispatcher", "admin"],
  delete: ["editor", "dispatcher", "admin"],
};

describe("role × action table", () => {
  for (const role of ["viewer", "editor", "dispatcher", "admin"]) {
    it(`applies DESIGN §2 to ${role}`, async () => {
      const me = await token({ sub: "me", roles: [role], projects: [P] });
      const creator = await token({ sub: "creator", roles: ["editor"], projects: [P] });

      const read = await call(jobsPath(P), { token: me });
      expect(read.status === 200, "read").toBe(TABLE.read!.includes(role));

      const create = await call(`${jobsPath(P)}?filename=a.txt`, {
        method: "POST",
        token: me,
        body: "abc",
        headers: { "Content-Type": "text/plain", "Content-Length": "3" },
      });
      expect(create.status, "create").toBe(TABLE.create!.includes(role) ? 201 : 403);
      if (create.status === 403) expect((await problem(create)).detail).toBe(`Creating jobs needs one of the roles editor, admin; this token has: ${role}.`);

      // Cancel a job someone else created.
      const others = await createJob(creator, P);
      const cancelOthers = await call(`${jobsPath(P)}/${others.id}/cancel`, { method: "POST", token: me });
      expect(cancelOthers.status, "cancel others'").toBe(TABLE.cancelOthers!.includes(role) ? 200 : 403);

      // Cancel one's own job (viewer/dispatcher cannot create, so the job is made as an admin-created job with sub "me").
      const own = await createJob(await token({ sub: "me", roles: ["admin"] }), P);
      const cancelOwn = await call(`${jobsPath(P)}/${own.id}/cancel`, { method: "POST", token: me });
      expect(cancelOwn.status, "cancel own").toBe(TABLE.cancelOwn!.includes(role) ? 200 : 403);

      // Delete a finished job.
      const done = await createJob(creator, P);
      await call(`${jobsPath(P)}/${done.id}/cancel`, { method: "POST", token: creator });
      const del = await call(`${jobsPath(P)}/${done.id}`, { method: "DELETE", token: me });
      expect(del.status, "delete").toBe(TABLE.delete!.includes(role) ? 204 : 403);
    });
  }

  it("gives admins every project, even ones not in the token", async () => {
    const admin = await token({ roles: ["admin"], projects: [] });
    const job = await createJob(admin, "proj_anything");
    expect((await call(`${jobsPath("proj_anything")}/${job.id}`, { token: admin })).status).toBe(200);
  });

  it("gives a token without roles nothing", async () => {
    const res = await call(jobsPath(P), { token: await token({ roles: [] }) });
    expect(res.status).toBe(403);
  });
});

describe("project isolation", () => {
  it("keeps project B's jobs out of reach of a project A user, by every route", async () => {
    const owner = await token({ sub: "bob", roles: ["admin"], projects: [B] });
    const job = await createJob(owner, B);
    const a = await token({ sub: "alice", roles: ["editor", "dispatcher"], projects: [P] });

    // Project routes naming B: 403, the project is not theirs.
    for (const [method, path] of [
      ["GET", `${jobsPath(B)}`],
      ["GET", `${jobsPath(B)}/${job.id}`],
      ["POST", `${jobsPath(B)}/${job.id}/cancel`],
      ["DELETE", `${jobsPath(B)}/${job.id}`],
      ["GET", `${jobsPath(B)}/${job.id}/events`],
    ] as const) {
      const res = await call(path, { method, token: a });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await problem(res)).detail).toBe(`This token does not grant project "${B}" (its projects: "${P}"); use a token that lists it.`);
    }
    // Project routes naming A with B's job id: 404.
    for (const [method, path] of [
      ["GET", `${jobsPath(P)}/${job.id}`],
      ["POST", `${jobsPath(P)}/${job.id}/cancel`],
      ["DELETE", `${jobsPath(P)}/${job.id}`],
      ["GET", `${jobsPath(P)}/${job.id}/events`],
    ] as const) {
      expect((await call(path, { method, token: a })).status, `${method} ${path}`).toBe(404);
    }
    // Id-only routes: 404 (or the seed's 400), never 403.
    expect((await call(`/api/v1/ingestion/job/${job.id}`, { token: a })).status).toBe(404);
    expect((await call(`/api/v1/ingestion/job/${job.id}`, { method: "DELETE", token: a })).status).toBe(400);
    expect((await call(`/api/jobs/${job.id}/cancel`, { method: "POST", token: a })).status).toBe(404);
    // Project A's listing never shows it.
    const list = await (await call(jobsPath(P), { token: a })).json<{ items: { id: string }[] }>();
    expect(list.items.map((j) => j.id)).not.toContain(job.id);
    // And it is untouched.
    const still = await (await call(`${jobsPath(B)}/${job.id}`, { token: owner })).json<{ status: string }>();
    expect(still.status).toBe("QUEUED");
  });
});
