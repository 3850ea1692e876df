/**
 * The API's shapes, derived from the generated `openapi.ts` (itself generated from the
 * Worker's `/openapi.json`), so they cannot drift from the server.
 */
import type { components, paths } from "./generated/openapi";

type Schemas = components["schemas"];
export type Job = Schemas["Job"];
export type JobList = Schemas["JobList"];
export type JobStatus = Job["status"];
export type JobStage = Job["stage"];
export type JobEvent = Schemas["JobEvent"];
export type JobSnapshotFrame = Schemas["JobSnapshotFrame"];
export type ProjectSnapshotFrame = Schemas["ProjectSnapshotFrame"];
export type ProjectEventFrame = Schemas["ProjectEventFrame"];
export type Document = Schemas["Document"];
export type Chunk = Schemas["Chunk"];
export type ChunkList = Schemas["ChunkList"];
export type Problem = Schemas["Problem"];
export type LookupItem = Schemas["LookupItem"];
export type LookupResult = Schemas["LookupResult"];
export type Batch = Schemas["Batch"];
export type BatchList = Schemas["BatchList"];
export type BatchItem = Schemas["BatchItem"];
export type BatchItemList = Schemas["BatchItemList"];
export type BatchEvent = Schemas["BatchEvent"];
export type BatchCounts = Schemas["BatchCounts"];
/** The first frame of a batch's socket (without `?after=`): the batch as it stands. */
export type BatchSnapshotFrame = { type: "batch.snapshot"; seq: number; batch: Batch };
/** A frame of a batch's live stream. */
export type BatchFrame = BatchSnapshotFrame | BatchEvent;

/** Filters of `GET /batches` (cursor is the iterator's business). */
export type BatchFilters = Omit<NonNullable<paths["/api/projects/{projectId}/ingest/batches"]["get"]["parameters"]["query"]>, "cursor">;

/** Filters of `GET /jobs` (cursor and limit are the iterator's business). */
export type JobFilters = Omit<NonNullable<paths["/api/projects/{projectId}/ingest/jobs"]["get"]["parameters"]["query"]>, "cursor">;

/** Filters of `GET /documents` (cursor is the iterator's business). */
export type DocumentFilters = Omit<NonNullable<paths["/api/projects/{projectId}/documents"]["get"]["parameters"]["query"]>, "cursor">;
export type DocumentList = Schemas["DocumentList"];

/** What every job frame carries about its job. */
export type JobSummary = JobEvent["job"];

/** A frame of a job's live stream. */
export type JobFrame = JobSnapshotFrame | JobEvent;

/**
 * A frame of the project's live stream. `stream.gap` is the SDK's own: the socket
 * dropped and the server could not replay what was missed (it sent no `projectSeq`),
 * so a consumer should re-read the jobs it cares about.
 */
export type ProjectFrame =
  | ProjectSnapshotFrame
  | (JobEvent & { projectSeq?: number })
  | (BatchEvent & { projectSeq?: number })
  | { type: "stream.gap"; reason: string };

/** The status, stage and event lists and the active/terminal split: the service's own (no zod in them). */
export { MAX_LOOKUP_ITEMS } from "../contract/lookup-size";
export { ERROR_CODES, isRetryableCode, type ErrorCode } from "../contract/error-code";
export { ACTIVE_STATUSES, isActive, isTerminal, JOB_EVENT_TYPES, JOB_STAGES, JOB_STATUSES, TERMINAL_STATUSES } from "../contract/status";
