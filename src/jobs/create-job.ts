/**
 * Creating a job (DESIGN §4 `POST /jobs`) as one use case: reserve the job's object, store
 * the upload, settle the `Idempotency-Key`, create the job. Every path that does not end
 * in a created job releases the reservation, once, in `finally`; and only a job's own
 * object ever deletes that job's source (the reservation, or the object of a create
 * that died, is asked to), never this code straight from R2.
 */
import type { Env } from "../env";
import { conflict, forbidden } from "../http/problem";
import { sourceKey } from "../storage-keys";
import type { StoredUpload } from "../uploads/store-upload";
import { ABANDONED_CLAIM_MS, claimIdempotencyKey, releaseIdempotencyKey, takeOverAbandonedClaim } from "./idempotency";
import { ingestFingerprint } from "./fingerprint";
import { uuidv7 } from "./ids";
import type { Access } from "./job-access";
import type { Job, JobInit } from "./lifecycle";
import { SourceReservation } from "./source-reservation";

/** What the request carried: the stored upload and the job's fields. */
export interface ReceivedUpload {
  upload: StoredUpload;
  filename: string;
  fields: { sourceId?: string; sourcePath?: string; isDeepScan?: boolean; batchId?: string; options: JobInit["options"] };
}

export interface CreateJobRequest {
  env: Env;
  projectId: string;
  access: Access;
  idempotencyKey?: string;
  /** The project's D1 (a session on its shard) for the key. */
  db(): D1Database;
  /** Throws unless the batch exists in the project, takes items and lets the caller add to it. */
  openBatch(batchId: string): Promise<void>;
  /**
   * Stores the upload under `key` and reads the job's fields; the store awaits
   * `reserved()` before the upload's last byte, so the object guards the key by then.
   */
  receive(key: string, reserved: () => Promise<void>): Promise<ReceivedUpload>;
  /** The phase `name` has ended (the route reports phases in `Server-Timing`). */
  mark?(name: string): void;
}

/** The job created now, or the one this `Idempotency-Key` created before. */
export type CreateJobResult = { created: true; job: Job } | { created: false; job: Job };

/** How long a request that lost an idempotency race waits for the winner's job. */
const IDEMPOTENT_WAIT_MS = 5_000;

export async function createIngestJob(req: CreateJobRequest): Promise<CreateJobResult> {
  const { env, projectId, idempotencyKey } = req;
  const jobId = uuidv7();
  const reservation = new SourceReservation(env, { projectId, id: jobId });
  let created = false;
  try {
    const { upload, filename, fields } = await req.receive(sourceKey({ projectId, id: jobId }), () => reservation.start());
    req.mark?.("upload");
    const fingerprint = await ingestFingerprint(upload.sha256, fields);
    if (idempotencyKey !== undefined) {
      const first = await settleKey(req, idempotencyKey, jobId, fingerprint);
      if (first) return { created: false, job: first };
      req.mark?.("idempotency");
    }
    if (fields.batchId !== undefined) await req.openBatch(fields.batchId);
    const init: JobInit = {
      id: jobId,
      projectId,
      sourceId: fields.sourceId ?? null,
      originalFilename: filename,
      sourcePath: fields.sourcePath ?? filename,
      byteSize: upload.byteSize,
      mimeType: upload.mimeType,
      isDeepScan: fields.isDeepScan ?? false,
      options: fields.options,
      fingerprint,
      createdBy: req.access.principal.sub,
      batchId: fields.batchId ?? null,
    };
    let job: Job;
    try {
      // A batch's item waits QUEUED until its batch lets it start.
      job = await jobStub(env, jobId).create(init, { held: Boolean(init.batchId) });
      created = true;
      req.mark?.("job");
    } catch (err) {
      // The key and the upload are freed only when no job came of them: a job that exists
      // (its create committed, then the call failed) keeps its key, so a retry finds it.
      created = await jobStub(env, jobId)
        .get(req.access)
        .then((r) => r.ok || r.reason !== "not_found")
        .catch(() => true);
      if (!created && idempotencyKey !== undefined) await releaseIdempotencyKey(req.db(), projectId, idempotencyKey, jobId);
      throw err;
    }
    // The batch refused the item (closed, cancelled or full meanwhile): the job cancelled itself.
    if (init.batchId && job.status === "CANCELLED") throw conflict(job.errorMessage ?? "The batch takes no more items");
    return { created: true, job };
  } finally {
    if (!created) await reservation.release();
  }
}

/**
 * Claims the key for `jobId`. Returns the job an earlier request with the key created
 * (null when this request goes on to create its own); a claim with another fingerprint
 * (another file, or the same file with other options: `fingerprint.ts`), or one
 * still being created, is a 409. A claim whose create died long ago is taken over: that
 * create's object deletes the upload it was reserved for.
 */
async function settleKey(req: CreateJobRequest, key: string, jobId: string, requestHash: string): Promise<Job | null> {
  const { env, projectId } = req;
  const claim = await claimIdempotencyKey(req.db(), projectId, key, jobId, requestHash);
  if (claim.won) return null;
  if (claim.requestHash !== requestHash)
    throw conflict(
      "Idempotency-Key was already used with a different file or other options (chunkSize, chunkOverlap, isDeepScan, sourceId); use a new key for a new job",
    );
  const first = await awaitJob(env, claim.jobId, req.access);
  if (first) return first;
  const abandoned = Date.now() - claim.claimedAt >= ABANDONED_CLAIM_MS;
  if (!abandoned || !(await takeOverAbandonedClaim(req.db(), projectId, key, claim.jobId, jobId, requestHash))) {
    throw conflict("A request with this Idempotency-Key is still being processed; retry shortly");
  }
  // Its reservation would delete the upload by itself later; this only makes it sooner.
  await jobStub(env, claim.jobId)
    .release()
    .catch((err: unknown) => console.warn(JSON.stringify({ msg: "release of an abandoned create failed", jobId: claim.jobId, error: String(err) })));
  return null;
}

/** The job another request with the same key created (it may still be creating it); null if none appears. */
async function awaitJob(env: Env, jobId: string, access: Access): Promise<Job | null> {
  const deadline = Date.now() + IDEMPOTENT_WAIT_MS;
  for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
    const reply = await jobStub(env, jobId).get(access);
    if (reply.ok) return reply.job;
    if (reply.reason === "forbidden") throw forbidden();
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, wait));
  }
}

function jobStub(env: Env, jobId: string) {
  return env.INGEST_JOB.get(env.INGEST_JOB.idFromName(jobId));
}
