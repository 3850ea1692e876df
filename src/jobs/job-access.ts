/**
 * Who may see or change a job, as the job's object decides it before every command:
 * the role table and project scoping, with anything the caller may not see answered as
 * not found (DESIGN §2). Pure.
 */
import { authorize, type Action, type Principal } from "../auth/policy";
import type { Job, JobStatus, Refusal } from "./lifecycle";

/** Who is asking, and through which project (absent on routes addressed by job id alone). */
export interface Access {
  principal: Principal;
  projectId?: string;
}

/**
 * `bookmark` (cancel, remove): the D1 bookmark of this object's latest index write, so the
 * caller's next read through a replica sees the row the command wrote (DESIGN §12,
 * src/http/bookmark.ts). `create` replies before its index write, so it has none.
 */
export type JobReply =
  | { ok: true; job: Job /** The job's commit counter (`get` only): its `ETag`. */; version?: number; bookmark?: string | null }
  | { ok: false; reason: "not_found" | "forbidden" }
  | { ok: false; reason: "not_cancellable" | "not_deletable"; status: JobStatus };

export type Checked = { ok: true; job: Job } | { ok: false; reason: "not_found" | "forbidden" };

/** Applies the role table and project scoping to `job` (null: none exists). */
export function checkAccess(job: Job | null, access: Access, action: Action): Checked {
  if (!job || job.deletedAt) return { ok: false, reason: "not_found" };
  if (access.projectId !== undefined && access.projectId !== job.projectId) return { ok: false, reason: "not_found" };
  const decision = authorize(access.principal, action, { projectId: job.projectId, createdBy: job.createdBy });
  if (decision === "hidden") return { ok: false, reason: "not_found" };
  if (decision === "forbidden") return { ok: false, reason: "forbidden" };
  return { ok: true, job };
}

/** A refused command as a reply; a job deleted meanwhile is simply not found. */
export function refusal(r: Refusal): JobReply {
  switch (r.reason) {
    case "not_cancellable":
    case "not_deletable":
      return { ok: false, reason: r.reason, status: r.status };
    case "already_deleted":
    case "not_queued":
    case "not_running":
      return { ok: false, reason: "not_found" };
  }
}
