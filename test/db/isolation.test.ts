import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { allShards, projectDb } from "../../src/db/shards";
import { chunkOptions, ingestFingerprint } from "../../src/jobs/fingerprint";
import { call, createJob, drive, getJob, jobsPath, problem, token } from "../helpers";
import { jobRow, projectOnShard } from "./shard-helpers";

const A = projectOnShard(0, "iso_a");
const B = projectOnShard(1, "iso_b");
const A2 = projectOnShard(0, "iso_c");

type List = { items: { id: string; projectId: string }[]; total: number };

async function list(t: string, project: string, query = ""): Promise<List> {
  const res = await call(`${jobsPath(project)}${query}`, { token: t });
  expect(res.status).toBe(200);
  return res.json();
}

async function completed(t: string, project: string, text: string) {
  const job = await createJob(t, project, text, { filename: "doc.md", type: "text/markdown" });
  await drive(job.id);
  const done = await getJob(t, project, job.id);
  expect(done.status).toBe("COMPLETED");
  return done;
}

describe("projects on different shards", () => {
  it("write every row to their own shard and nothing to the other", async () => {
    const t = await token({ projects: [A, B] });
    const a = await createJob(t, A);
    const b = await createJob(t, B);
    const [shard0, shard1] = allShards(env);
    expect(await jobRow(shard0!.db, a.id)).toMatchObject({ project_id: A, status: "QUEUED" });
    expect(await jobRow(shard1!.db, a.id)).toBeNull();
    expect(await jobRow(shard1!.db, b.id)).toMatchObject({ project_id: B, status: "QUEUED" });
    expect(await jobRow(shard0!.db, b.id)).toBeNull();
  });

  it("never mix in lists, even for projects sharing a shard", async () => {
    const t = await token({ projects: [A, B, A2] });
    const ids = { [A]: [] as string[], [B]: [] as string[], [A2]: [] as string[] };
    for (let i = 0; i < 4; i++) {
      for (const p of [A, B, A2]) ids[p]!.push((await createJob(t, p, `job ${i} of ${p}`)).id);
    }
    for (const p of [A, B, A2]) {
      const page = await list(t, p, "?limit=100");
      expect(page.items.every((j) => j.projectId === p)).toBe(true);
      expect(page.items.map((j) => j.id)).toEqual(expect.arrayContaining(ids[p]!));
      for (const other of [A, B, A2].filter((o) => o !== p)) {
        expect(page.items.some((j) => ids[other]!.includes(j.id))).toBe(false);
      }
      expect(page.total).toBe(page.items.length);
    }
  });

  it("keep documents apart: each in its shard, invisible through the other project", async () => {
    const t = await token({ projects: [A, B] });
    const a = await completed(t, A, "# Alpha\n\nText that belongs to project A. ".repeat(20));
    const b = await completed(t, B, "# Beta\n\nText that belongs to project B. ".repeat(20));
    const docRow = (db: D1Database, id: string) => db.prepare("SELECT project_id FROM documents WHERE id = ?").bind(id).first();
    expect(await docRow(projectDb(env, A), a.canonicalDocumentId!)).toEqual({ project_id: A });
    expect(await docRow(projectDb(env, A), b.canonicalDocumentId!)).toBeNull();
    expect(await docRow(projectDb(env, B), b.canonicalDocumentId!)).toEqual({ project_id: B });
    expect((await call(`/api/projects/${A}/documents/${a.canonicalDocumentId}`, { token: t })).status).toBe(200);
    expect((await call(`/api/projects/${B}/documents/${a.canonicalDocumentId}`, { token: t })).status).toBe(404);
    expect((await call(`/api/projects/${A}/documents/${b.canonicalDocumentId}/chunks`, { token: t })).status).toBe(404);
  });

  it("keep idempotency keys per project: the same key on two shards makes two jobs", async () => {
    const t = await token({ projects: [A, B] });
    const headers = { "Idempotency-Key": "same-key-across-shards" };
    const a = await createJob(t, A, "same bytes", { headers });
    const b = await createJob(t, B, "same bytes", { headers });
    expect(a.id).not.toBe(b.id);
    expect(a.projectId).toBe(A);
    expect(b.projectId).toBe(B);
    const claim = (db: D1Database, project: string) =>
      db.prepare("SELECT job_id FROM idempotency_keys WHERE project_id = ? AND key = ?").bind(project, headers["Idempotency-Key"]).first();
    expect(await claim(projectDb(env, A), A)).toEqual({ job_id: a.id });
    expect(await claim(projectDb(env, B), B)).toEqual({ job_id: b.id });
    expect(await claim(projectDb(env, A), B)).toBeNull();
  });
});

describe("idempotency within a shard", () => {
  it("returns the first job for a repeated key and 409 for the key with another file", async () => {
    const t = await token({ projects: [B] });
    const headers = { "Content-Type": "text/plain", "Idempotency-Key": "within-shard" };
    const send = (body: string) =>
      call(`${jobsPath(B)}?filename=a.txt`, { method: "POST", token: t, body, headers: { ...headers, "Content-Length": String(body.length) } });
    const first = await send("one file");
    expect(first.status).toBe(201);
    const firstJob = await first.json<{ id: string }>();
    const again = await send("one file");
    expect(again.status).toBe(200);
    expect((await again.json<{ id: string }>()).id).toBe(firstJob.id);
    const other = await send("another file");
    expect(other.status).toBe(409);
    expect((await problem(other)).detail).toMatch(/Idempotency-Key/);
    const page = await list(t, B, "?limit=100");
    expect(page.items.filter((j) => j.id === firstJob.id)).toHaveLength(1);
  });

  it("lets exactly one of two concurrent creates with the same key win", async () => {
    const t = await token({ projects: [A] });
    const body = "concurrent bytes";
    const send = () =>
      call(`${jobsPath(A)}?filename=a.txt`, {
        method: "POST",
        token: t,
        body,
        headers: { "Content-Type": "text/plain", "Content-Length": String(body.length), "Idempotency-Key": "race" },
      });
    const replies = await Promise.all([send(), send(), send()]);
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 201]);
    const ids = new Set(await Promise.all(replies.map(async (r) => (await r.json<{ id: string }>()).id)));
    expect(ids.size).toBe(1);
  });
});

describe("an Idempotency-Key claimed by a create that died before creating its job", () => {
  const body = "bytes of a create that was killed";
  const send = (t: string, key: string) =>
    call(`${jobsPath(B)}?filename=a.txt`, {
      method: "POST",
      token: t,
      body,
      headers: { "Content-Type": "text/plain", "Content-Length": String(body.length), "Idempotency-Key": key },
    });
  /** A claim as the dead create left it: its object reserved, its upload in R2, no job, `ageMs` old. */
  async function abandon(key: string, ageMs: number, hash: string) {
    const deadJob = "01a00000-0000-7000-8000-00000000dead".replace("dead", String(ageMs % 10_000).padStart(4, "0"));
    // The create route reserves the job's object before the upload's last byte.
    await env.INGEST_JOB.get(env.INGEST_JOB.idFromName(deadJob)).reserve({ projectId: B, id: deadJob });
    await env.BUCKET.put(`sources/${B}/${deadJob}`, body);
    await projectDb(env, B)
      .prepare("INSERT INTO idempotency_keys (project_id, key, job_id, request_hash, expires_at) VALUES (?, ?, ?, ?, ?)")
      .bind(B, key, deadJob, hash, Date.now() - ageMs + 24 * 3_600_000)
      .run();
    return deadJob;
  }
  /** What a create claims a key with: the file's SHA-256 and its (default) options. */
  const sha256 = async (text: string) =>
    ingestFingerprint(
      [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, "0")).join(""),
      { options: chunkOptions({}) },
    );

  it("is taken over after a minute: the retry creates the job and the dead upload is removed", async () => {
    const t = await token({ projects: [B] });
    const dead = await abandon("killed-mid-create", 120_000, await sha256(body));
    const res = await send(t, "killed-mid-create");
    expect(res.status).toBe(201);
    const job = await res.json<{ id: string }>();
    expect(job.id).not.toBe(dead);
    expect(await env.BUCKET.head(`sources/${B}/${dead}`)).toBeNull();
    const again = await send(t, "killed-mid-create");
    expect(again.status).toBe(200);
    expect((await again.json<{ id: string }>()).id).toBe(job.id);
    await drive(job.id);
  });

  it("is still 409 while it is young: its create may still be running", async () => {
    const t = await token({ projects: [B] });
    const dead = await abandon("maybe-still-running", 1_000, await sha256(body));
    const res = await send(t, "maybe-still-running");
    expect(res.status).toBe(409);
    expect((await problem(res)).detail).toMatch(/still being processed/);
    expect(await env.BUCKET.head(`sources/${B}/${dead}`)).not.toBeNull();
  });
});

describe("a failing shard", () => {
  it("affects only its own projects, and its index converges once it is back", async () => {
    const t = await token({ projects: [A, B] });
    const down = projectDb(env, B);
    const before = await createJob(t, B);
    await down.exec("ALTER TABLE jobs RENAME TO jobs_offline");
    let during: string;
    try {
      // The other shard's projects keep working: create, list, cancel.
      const healthy = await createJob(t, A);
      expect((await list(t, A, "?limit=100")).items.map((j) => j.id)).toContain(healthy.id);
      expect((await call(`${jobsPath(A)}/${healthy.id}/cancel`, { method: "POST", token: t })).status).toBe(200);
      // The failing shard's project: the job object is still the source of truth ...
      during = (await createJob(t, B)).id;
      expect((await getJob(t, B, during)).status).toBe("QUEUED");
      expect((await call(`${jobsPath(B)}/${before.id}/cancel`, { method: "POST", token: t })).status).toBe(200);
      // ... but its list, served by the failing shard, fails (a problem, no stack).
      const res = await call(jobsPath(B), { token: t });
      expect(res.status).toBe(500);
      expect((await problem(res)).detail).toBe("Internal server error");
    } finally {
      await down.exec("ALTER TABLE jobs_offline RENAME TO jobs");
    }
    // Back: the objects' retries bring the index up to date.
    await drive(during);
    await drive(before.id);
    expect(await jobRow(down, during)).toMatchObject({ project_id: B });
    expect(await jobRow(down, before.id)).toMatchObject({ status: "CANCELLED" });
    const page = await list(t, B, "?limit=100");
    expect(page.items.map((j) => j.id)).toEqual(expect.arrayContaining([during, before.id]));
    expect(page.items.find((j) => j.id === before.id)).toMatchObject({ status: "CANCELLED" });
  });
});
