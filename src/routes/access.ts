/**
 * What every route does before its one call: project membership and role checks, the
 * job object's stub, and the mapping of the object's tagged replies to problems.
 */
import type { Context } from "hono";
import { canSeeProject, hasRoleFor, type Action } from "../auth/policy";
import type { Env } from "../env";
import type { AppEnv } from "../http/app-env";
import { badRequest, forbidden, notFound, type Problem } from "../http/problem";
import { isJobId } from "../jobs/ids";
import type { Access, JobReply } from "../jobs/job-access";
import type { Job } from "../jobs/lifecycle";

/** The job's Durable Object: one per job id. */
export function jobStub(env: Env, jobId: string) {
  return env.INGEST_JOB.get(env.INGEST_JOB.idFromName(jobId));
}

/**
 * Project-scoped routes: 403 when the project is not in the token or no role allows the
 * action (DESIGN §2). The request has already been charged to the caller's budget, and to
 * the project's when the caller is a member (`rateLimit` middleware). Kept async so a
 * route's call site does not change if the check ever needs I/O.
 */
export async function enterProject(c: Context<AppEnv>, projectId: string, action: Action): Promise<Access> {
  const principal = c.get("principal");
  if (!canSeeProject(principal, projectId) || !hasRoleFor(principal, action)) throw forbidden();
  return { principal, projectId };
}

/** Ids that cannot be jobs are not found without waking any object. */
export function requireJobId(jobId: string, detail: string): void {
  if (!isJobId(jobId)) throw notFound(detail);
}

/** Messages of one route family (DESIGN §4 and the seed's compatibility routes). */
export interface ReplyMessages {
  notFound: string;
  notCancellable?: (status: string) => string;
  notDeletable?: (status: string) => string;
}

export const PROJECT_MESSAGES: ReplyMessages = {
  notFound: "Ingest job not found",
  notCancellable: (s) => `Job cannot be cancelled. Current status: ${s}`,
  notDeletable: (s) => `Cannot delete job with status ${s}. Cancel the job first.`,
};

/** The problem a route family answers a refused reply with. */
export function refusalProblem(reply: Exclude<JobReply, { ok: true }>, messages: ReplyMessages): Problem {
  switch (reply.reason) {
    case "not_found":
      return notFound(messages.notFound);
    case "forbidden":
      return forbidden();
    case "not_cancellable":
      return badRequest(messages.notCancellable?.(reply.status) ?? messages.notFound);
    case "not_deletable":
      return badRequest(messages.notDeletable?.(reply.status) ?? messages.notFound);
  }
}

/** The job from a reply, or the problem the route family answers with. */
export function jobOrThrow(reply: JobReply, messages: ReplyMessages): Job {
  if (reply.ok) return reply.job;
  throw refusalProblem(reply, messages);
}
