/**
 * The live events of a job (DESIGN §5): each logged frame, the stored log, and the
 * frames a WebSocket watcher receives. The frame the job's object commits is this
 * `JobEvent`'s `z.infer`.
 */
import { z } from "@hono/zod-openapi";
import { ApiRequestHeaders } from "./headers";
import { Job, JobCounters } from "./job";
import { JOB_EVENT_TYPES, JOB_STAGES, JOB_STATUSES } from "./status";

/** What every frame carries about its job. */
export const JobSummary = z.object({
  id: z.string(),
  status: z.enum(JOB_STATUSES),
  stage: z.enum(JOB_STAGES),
  progress: z.number(),
  counters: JobCounters,
});
export type JobSummary = z.infer<typeof JobSummary>;

export const JobEvent = z
  .object({
    type: z.enum(JOB_EVENT_TYPES),
    seq: z.number().int(),
    jobId: z.string(),
    projectId: z.string(),
    at: z.string(),
    job: JobSummary,
  })
  .openapi("JobEvent");
export type JobEvent = z.infer<typeof JobEvent>;

export const JobEventLog = z.object({ items: z.array(JobEvent), lastSeq: z.number().int() }).openapi("JobEventLog");

export const EventsQuery = z.object({
  after: z.coerce
    .number({ error: "after must be a non-negative integer" })
    .int({ error: "after must be a non-negative integer" })
    .min(0, { error: "after must be a non-negative integer" })
    .default(0)
    .openapi({ description: "The last `seq` (job stream) or `projectSeq` (project stream) seen: what came after it is replayed." }),
  access_token: z.string().optional().openapi({ description: "Only on WebSocket upgrades (browsers cannot set headers)." }),
});

/** Request headers of the live routes. `Upgrade` is compared case-insensitively by the route, so it is not an enum here. */
export const EventsHeaders = ApiRequestHeaders.extend({
  Upgrade: z
    .string()
    .optional()
    .openapi({ example: "websocket", description: "`websocket` to open the live stream (101); frames are described in `x-websocket`." }),
});

/** A job watcher's first frame. */
export const JobSnapshotFrame = z
  .object({ type: z.literal("job.snapshot"), seq: z.number().int(), job: Job })
  .openapi("JobSnapshotFrame", { description: "The first frame of a job's stream: the job and the `seq` of its last event." });
export type JobSnapshotFrame = z.infer<typeof JobSnapshotFrame>;

/** A project watcher's first frame: its position and each unfinished job. */
export const ProjectSnapshotFrame = z
  .object({
    type: z.literal("project.snapshot"),
    projectSeq: z.number().int(),
    jobs: z.array(JobSummary.extend({ updatedAt: z.string() })).openapi({ description: "The project's QUEUED and RUNNING jobs." }),
  })
  .openapi("ProjectSnapshotFrame");
export type ProjectSnapshotFrame = z.infer<typeof ProjectSnapshotFrame>;

/** A job's frame as the project stream numbers it. */
export const ProjectEventFrame = JobEvent.extend({ projectSeq: z.number().int() }).openapi("ProjectEventFrame");
export type ProjectEventFrame = z.infer<typeof ProjectEventFrame>;
