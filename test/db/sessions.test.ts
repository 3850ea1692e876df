import { describe, expect, it } from "vitest";
import { parseBookmarkHeader, sessionStartingPoint } from "../../src/http/bookmark";
import { call, createJob, drive, getJob, jobsPath, problem, token } from "../helpers";
import { projectOnShard } from "./shard-helpers";

const A = projectOnShard(0, "sess_a");
const B = projectOnShard(1, "sess_b");
const HEADER = "x-d1-bookmark";

/** `<shard>:<bookmark>` as the responses carry it. */
function parse(value: string | null): { shard: string; bookmark: string } {
  expect(value).toMatch(/^DB_\d+:[0-9a-f-]+$/);
  const [shard, bookmark] = value!.split(":") as [string, string];
  return { shard, bookmark };
}

describe("x-d1-bookmark", () => {
  it("is on every response that read D1: lists, documents, chunks", async () => {
    const t = await token({ projects: [A] });
    const job = await createJob(t, A, "# Doc\n\nSome text to index. ".repeat(20), { filename: "d.md", type: "text/markdown" });
    await drive(job.id);
    const docId = (await getJob(t, A, job.id)).canonicalDocumentId!;
    for (const path of [
      jobsPath(A),
      `/api/projects/${A}/documents`,
      `/api/projects/${A}/documents/${docId}`,
      `/api/projects/${A}/documents/${docId}/chunks`,
      `/api/projects/${A}/documents/${docId}/text`,
    ]) {
      const res = await call(path, { token: t });
      expect(res.status, path).toBe(200);
      expect(parse(res.headers.get(HEADER)).shard, path).toBe("DB_0");
    }
    // A 404 read D1 too: its bookmark still tells the caller how fresh that answer was.
    const missing = await call(`/api/projects/${A}/documents/00000000-0000-7000-8000-000000000000`, { token: t });
    expect(missing.status).toBe(404);
    expect(missing.headers.get(HEADER)).not.toBeNull();
  });

  it("names the project's own shard", async () => {
    const t = await token({ projects: [B] });
    expect(parse((await call(jobsPath(B), { token: t })).headers.get(HEADER)).shard).toBe("DB_1");
  });

  it("comes back from cancels and deletes: the bookmark of the object's index write", async () => {
    const t = await token({ projects: [A] });
    const { id } = await createJob(t, A, "text");
    const listed = parse((await call(jobsPath(A), { token: t })).headers.get(HEADER));
    const cancelled = await call(`${jobsPath(A)}/${id}/cancel`, { method: "POST", token: t });
    expect(cancelled.status).toBe(200);
    const afterCancel = parse(cancelled.headers.get(HEADER));
    expect(afterCancel.bookmark > listed.bookmark).toBe(true);
    const deleted = await call(`${jobsPath(A)}/${id}`, { method: "DELETE", token: t });
    expect(deleted.status).toBe(204);
    expect(parse(deleted.headers.get(HEADER)).bookmark > afterCancel.bookmark).toBe(true);
  });

  it("comes back from a create with an Idempotency-Key (its claim is a D1 write), not from one without", async () => {
    const t = await token({ projects: [A] });
    const send = (headers: Record<string, string>) =>
      call(`${jobsPath(A)}?filename=a.txt`, {
        method: "POST",
        token: t,
        body: "text",
        headers: { "Content-Type": "text/plain", "Content-Length": "4", ...headers },
      });
    // The object replies before its index write (issue 12): that request touched no D1.
    expect((await send({})).headers.get(HEADER)).toBeNull();
    expect(parse((await send({ "Idempotency-Key": "bookmarked" })).headers.get(HEADER)).shard).toBe("DB_0");
  });

  it("is accepted back, and the list read with it shows the caller's own cancel", async () => {
    const t = await token({ projects: [A] });
    const { id } = await createJob(t, A, "more");
    const cancelled = await call(`${jobsPath(A)}/${id}/cancel`, { method: "POST", token: t });
    const bookmark = cancelled.headers.get(HEADER)!;
    const res = await call(`${jobsPath(A)}?status=CANCELLED`, { token: t, headers: { [HEADER]: bookmark } });
    expect(res.status).toBe(200);
    expect((await res.json<{ items: { id: string }[] }>()).items.map((j) => j.id)).toContain(id);
    // The answer is at least as fresh as what was asked for.
    expect(parse(res.headers.get(HEADER)).bookmark >= parse(bookmark).bookmark).toBe(true);
  });

  it("accepts the session constraints, and ignores a bookmark of another shard", async () => {
    const t = await token({ projects: [A, B] });
    const fromB = (await call(jobsPath(B), { token: t })).headers.get(HEADER)!;
    for (const value of ["first-unconstrained", "first-primary", fromB]) {
      const res = await call(jobsPath(A), { token: t, headers: { [HEADER]: value } });
      expect(res.status, value).toBe(200);
      expect(parse(res.headers.get(HEADER)).shard).toBe("DB_0");
    }
  });

  it("is a 400 problem when it is not a value any response carried", async () => {
    const t = await token({ projects: [A] });
    for (const value of ["garbage", ":0000", "DB_0:", "DB_0:not a bookmark", "1DB:abc", `DB_0:${"a".repeat(300)}`]) {
      const res = await call(jobsPath(A), { token: t, headers: { [HEADER]: value } });
      expect(res.status, value).toBe(400);
      expect((await problem(res)).detail).toMatch(/Invalid x-d1-bookmark/);
    }
  });

  it("is checked after authentication: no token is still 401", async () => {
    const res = await call(jobsPath(A), { headers: { [HEADER]: "garbage" } });
    expect(res.status).toBe(401);
  });

  it("is absent from responses that never touched D1 (a job read from its object)", async () => {
    const t = await token({ projects: [A] });
    const job = await createJob(t, A);
    const res = await call(`${jobsPath(A)}/${job.id}`, { token: t });
    expect(res.status).toBe(200);
    expect(res.headers.get(HEADER)).toBeNull();
  });
});

describe("where a request's D1 session starts", () => {
  const start = (header: string | undefined, shard: string) => sessionStartingPoint(parseBookmarkHeader(header), shard);

  it("reads from the primary first for a caller that sent no bookmark (its own writes stay visible)", () => {
    expect(start(undefined, "DB_0")).toBe("first-primary");
  });

  it("resumes from the caller's bookmark on the same shard", () => {
    expect(start("DB_1:0000000a-00000002-00005048-abcdef", "DB_1")).toBe("0000000a-00000002-00005048-abcdef");
  });

  it("falls back to the primary for a bookmark of another shard", () => {
    expect(start("DB_1:0000000a-00000002", "DB_0")).toBe("first-primary");
  });

  it("honours an explicit constraint", () => {
    expect(start("first-unconstrained", "DB_0")).toBe("first-unconstrained");
    expect(start(" first-primary ", "DB_1")).toBe("first-primary");
  });
});

describe("x-d1-bookmark in openapi.json", () => {
  it("is a request header and a response header of the routes that use D1", async () => {
    type Parameter = { in: string; name: string } | { $ref: string };
    const doc = await (await call("/openapi.json")).json<{
      paths: Record<string, Record<string, { parameters?: Parameter[]; responses: Record<string, { headers?: Record<string, unknown> }> }>>;
      components: { parameters: Record<string, { in: string; name: string }> };
    }>();
    // Parameters every route shares are written once, as components, and referred to.
    const resolve = (p: Parameter) => ("$ref" in p ? doc.components.parameters[p.$ref.split("/").pop()!]! : p);
    const list = doc.paths["/api/projects/{projectId}/ingest/jobs"]!;
    for (const [method, status] of [
      ["get", "200"],
      ["post", "201"],
    ] as const) {
      expect(list[method]!.parameters?.map(resolve)).toContainEqual(expect.objectContaining({ in: "header", name: HEADER }));
      expect(Object.keys(list[method]!.responses[status]!.headers ?? {})).toContain(HEADER);
    }
    const chunks = doc.paths["/api/projects/{projectId}/documents/{documentId}/chunks"]!.get!;
    expect(Object.keys(chunks.responses["200"]!.headers ?? {})).toContain(HEADER);
  });
});
