/**
 * `Idempotency-Key` claims in D1 (draft-ietf-httpapi-idempotency-key-header): the
 * first create with a key in a project owns it for 24 hours. Claiming is one atomic
 * upsert, so of two concurrent requests with the same key exactly one wins.
 */
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { idempotencyKeys } from "../db/schema";

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export type Claim = { won: true } | { won: false; jobId: string; requestHash: string };

/** Claims `key` for `jobId`; an expired claim is taken over. */
export async function claimIdempotencyKey(
  d1: D1Database,
  projectId: string,
  key: string,
  jobId: string,
  requestHash: string,
  now = Date.now(),
): Promise<Claim> {
  const won = await d1
    .prepare(
      `INSERT INTO idempotency_keys (project_id, key, job_id, request_hash, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (project_id, key) DO UPDATE SET job_id = excluded.job_id, request_hash = excluded.request_hash, expires_at = excluded.expires_at
       WHERE idempotency_keys.expires_at <= ?6
       RETURNING job_id`,
    )
    .bind(projectId, key, jobId, requestHash, now + IDEMPOTENCY_TTL_MS, now)
    .first<{ job_id: string }>();
  if (won?.job_id === jobId) return { won: true };
  const existing = await drizzle(d1)
    .select({ jobId: idempotencyKeys.jobId, requestHash: idempotencyKeys.requestHash })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.projectId, projectId), eq(idempotencyKeys.key, key)))
    .limit(1);
  const row = existing[0];
  if (!row) throw new Error("idempotency claim vanished");
  return { won: false, jobId: row.jobId, requestHash: row.requestHash };
}

/** Gives a claim back when the job it was made for could not be created. */
export async function releaseIdempotencyKey(d1: D1Database, projectId: string, key: string, jobId: string): Promise<void> {
  await drizzle(d1)
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.projectId, projectId), eq(idempotencyKeys.key, key), eq(idempotencyKeys.jobId, jobId)));
}
