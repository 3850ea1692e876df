/**
 * Shared test helpers: tokens, requests through the Worker's fetch, stepping jobs. A job's
 * work never runs by itself in these tests (test/stepped-worker.ts): `step` runs its
 * earliest pending work, one pipeline slice at a time, and `drive` steps it to the end.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { env, exports } from "cloudflare:workers";
import { SignJWT } from "jose";
import type { Job } from "../src/jobs/lifecycle";
import { jobStub as routeJobStub } from "../src/routes/access";
import type { Chunk } from "../src/client/types";

export const ORIGIN = "http://edge-ingest.test";

export interface TokenClaims {
  sub?: string;
  roles?: string[];
  projects?: string[];
  /** Seconds from now; negative for an expired token. */
  ttl?: number;
  active?: boolean;
  secret?: string;
}

/** An HS256 token signed with the test secret. */
export async function token(c: TokenClaims = {}): Promise<string> {
  const claims: Record<string, unknown> = { roles: c.roles ?? ["editor"], projects: c.projects ?? ["proj_a"] };
  if (c.active !== undefined) claims.active = c.active;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (c.ttl ?? 3600));
  if (c.sub !== "") jwt = jwt.setSubject(c.sub ?? "alice");
  return jwt.sign(new TextEncoder().encode(c.secret ?? env.JWT_SECRET));
}

/** A request through the Worker's own `fetch`, as a client would send it. */
export function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers }));
}

export const jobsPath = (projectId: string) => `/api/projects/${projectId}/ingest/jobs`;

/** Creates a job with a raw upload and returns it (asserting 201). */
export async function createJob(
  t: string,
  projectId: string,
  body: string | Uint8Array = "hello world, this is a small document.",
  opts: { filename?: string; type?: string; query?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Job> {
  const q = new URLSearchParams({ filename: opts.filename ?? "doc.txt", ...opts.query });
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const res = await call(`${jobsPath(projectId)}?${q}`, {
    method: "POST",
    token: t,
    body: bytes,
    headers: { "Content-Type": opts.type ?? "text/plain", "Content-Length": String(bytes.byteLength), ...opts.headers },
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The job's object, found the way the routes find it. */
export function jobStub(jobId: string) {
  return routeJobStub(env, jobId);
}

/** The kinds of work the job's object has on its schedule, in order. */
export function scheduledKinds(jobId: string): Promise<string[]> {
  return runInDurableObject(jobStub(jobId), (_instance, state) =>
    state.storage.sql
      .exec<{ kind: string }>("SELECT kind FROM work ORDER BY kind")
      .toArray()
      .map((r) => r.kind),
  );
}

/** Work the job's object still has scheduled, other than closing expired watchers. */
export function pendingWork(jobId: string): Promise<number> {
  return runInDurableObject(
    jobStub(jobId),
    (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM work WHERE kind != 'expiry'").one().n,
  );
}

/** Steps the job until no work is left but watcher expiry (or `max` steps); returns the steps. */
export async function drive(jobId: string, max = 10_000): Promise<number> {
  const stub = jobStub(jobId);
  let runs = 0;
  while (runs < max && (await pendingWork(jobId)) > 0 && (await runDurableObjectAlarm(stub))) runs++;
  return runs;
}

/** Runs one alarm of the job (its earliest pending work); false when none was set. */
export function step(jobId: string): Promise<boolean> {
  return runDurableObjectAlarm(jobStub(jobId));
}

/** The project's hub, found the way job objects find it. */
export function hubStub(projectId: string) {
  return env.PROJECT_HUB.get(env.PROJECT_HUB.idFromName(projectId));
}

/**
 * Runs one alarm of the project's hub with its clock `aheadMs` ahead of real time (so
 * the stall watch sees jobs that have been silent that long); false when none was set.
 */
export async function stepHub(projectId: string, aheadMs: number): Promise<boolean> {
  // The hub test/stepped-worker.ts runs in place of the service's.
  await runInDurableObject(hubStub(projectId), (hub) => {
    (hub as unknown as { clockAheadMs: number }).clockAheadMs = aheadMs;
  });
  return runDurableObjectAlarm(hubStub(projectId));
}

export async function getJob(t: string, projectId: string, jobId: string): Promise<Job> {
  const res = await call(`${jobsPath(projectId)}/${jobId}`, { token: t });
  if (res.status !== 200) throw new Error(`get failed: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function problem(res: Response): Promise<{ status: number; detail: string; type: string; title: string }> {
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  return res.json();
}

/** One chunk as `GET /documents/{id}/chunks` returns it (the SDK's type, generated from `/openapi.json`). */
export type ChunkItem = Chunk;

/** Every chunk of a document, following the cursor `limit` at a time (each page must answer 200). */
export async function allChunks(t: string, projectId: string, documentId: string, limit = 100): Promise<ChunkItem[]> {
  const out: ChunkItem[] = [];
  let cursor: string | null = null;
  do {
    const res = await call(`/api/projects/${projectId}/documents/${documentId}/chunks?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, { token: t });
    expect(res.status).toBe(200);
    const page = await res.json<{ items: ChunkItem[]; nextCursor: string | null }>();
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** SHA-256 hex of the UTF-8 text, by WebCrypto: an oracle apart from the code under test. */
export async function sha256Hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Rate limits count in fixed windows (epoch minutes): a burst whose counts a test asserts
 * starts well inside a minute, so it cannot straddle two (a lease ends with its window, and
 * the next window's budget is fresh).
 */
export async function awayFromMinuteEdge(): Promise<void> {
  const into = Date.now() % 60_000;
  if (into > 50_000) await new Promise((r) => setTimeout(r, 60_000 - into + 50));
}
