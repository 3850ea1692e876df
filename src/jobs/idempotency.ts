/**
 * `Idempotency-Key` claims in D1 (draft-ietf-httpapi-idempotency-key-header): the
 * first create with a key in a project owns it for 24 hours. Claiming is one atomic
 * upsert, so of two concurrent requests with the same key exactly one wins.
 */
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { idempotencyKeys } from "../db/schema";

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/**
 * A claim this old whose job object was never created belongs to a create that died
 * between its claim and its job's creation (the runtime was killed). The claim and the
 * create are milliseconds apart in a live request, so a minute leaves a wide margin.
 */
export const ABANDONED_CLAIM_MS = 60_000;

export type Claim = { won: true } | { won: false; jobId: string; requestHash: string; claimedAt: number };

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
    .select({ jobId: idempotencyKeys.jobId, requestHash: idempotencyKeys.requestHash, expiresAt: idempotencyKeys.expiresAt })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.projectId, projectId), eq(idempotencyKeys.key, key)))
    .limit(1);
  const row = existing[0];
  if (!row) throw new Error("idempotency claim vanished");
  return { won: false, jobId: row.jobId, requestHash: row.requestHash, claimedAt: row.expiresAt - IDEMPOTENCY_TTL_MS };
}

/**
 * Moves an abandoned claim (see `ABANDONED_CLAIM_MS`) from `abandonedJobId` to `jobId`,
 * compare-and-set: of several requests taking it over, exactly one wins. An upsert, not
 * an UPDATE: while the shards grow, the same statement is mirrored to the project's next
 * shard (src/db/mirror.ts), which may never have received the abandoned claim (its
 * create died between the two writes); there it inserts the claim instead of changing
 * nothing. On the shard that decides, the claim was just read, so it conflicts.
 */
export async function takeOverAbandonedClaim(
  d1: D1Database,
  projectId: string,
  key: string,
  abandonedJobId: string,
  jobId: string,
  requestHash: string,
  now = Date.now(),
): Promise<boolean> {
  const result = await d1
    .prepare(
      `INSERT INTO idempotency_keys (project_id, key, job_id, request_hash, expires_at) VALUES (?4, ?5, ?1, ?2, ?3)
       ON CONFLICT (project_id, key) DO UPDATE SET job_id = excluded.job_id, request_hash = excluded.request_hash, expires_at = excluded.expires_at
       WHERE idempotency_keys.job_id = ?6 AND idempotency_keys.expires_at <= ?7`,
    )
    .bind(jobId, requestHash, now + IDEMPOTENCY_TTL_MS, projectId, key, abandonedJobId, now - ABANDONED_CLAIM_MS + IDEMPOTENCY_TTL_MS)
    .run();
  return result.meta.changes === 1;
}

/** Gives a claim back when the job it was made for could not be created. */
export async function releaseIdempotencyKey(d1: D1Database, projectId: string, key: string, jobId: string): Promise<void> {
  await drizzle(d1)
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.projectId, projectId), eq(idempotencyKeys.key, key), eq(idempotencyKeys.jobId, jobId)));
}
