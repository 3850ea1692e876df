/**
 * The Durable Object classes as the runtime gets them: each passes its `env` through
 * `traceCosts` and counts its alarms, so `scripts/capacity.mjs` sees every billable
 * operation. Without `TRACE_COSTS` both are no-ops and the classes behave as their bases.
 */
import { ProjectHub as ProjectHubBase } from "../events/project-hub";
import type { Env } from "../env";
import { RateLimiter as RateLimiterBase } from "../http/rate-limiter";
import { IngestBatch as IngestBatchBase } from "../batches/ingest-batch";
import { IngestJob as IngestJobBase } from "../jobs/ingest-job";
import { RetentionPurger as RetentionPurgerBase } from "../retention/purger";
import { isTracing, recordCost, traceCosts } from "./cost-trace";

export class IngestJob extends IngestJobBase {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, traceCosts(env));
  }

  override async alarm(): Promise<void> {
    if (isTracing(this.env)) recordCost({ c: "do", cls: "IngestJob", op: "alarm" });
    return super.alarm();
  }
}

export class ProjectHub extends ProjectHubBase {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, traceCosts(env));
  }

  override async alarm(): Promise<void> {
    if (isTracing(this.env)) recordCost({ c: "do", cls: "ProjectHub", op: "alarm" });
    return super.alarm();
  }
}

export class RateLimiter extends RateLimiterBase {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, traceCosts(env));
  }

  override async alarm(): Promise<void> {
    if (isTracing(this.env)) recordCost({ c: "do", cls: "RateLimiter", op: "alarm" });
    return super.alarm();
  }
}

export class IngestBatch extends IngestBatchBase {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, traceCosts(env));
  }

  override async alarm(): Promise<void> {
    if (isTracing(this.env)) recordCost({ c: "do", cls: "IngestBatch", op: "alarm" });
    return super.alarm();
  }
}

export class RetentionPurger extends RetentionPurgerBase {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, traceCosts(env));
  }

  override async alarm(): Promise<void> {
    if (isTracing(this.env)) recordCost({ c: "do", cls: "RetentionPurger", op: "alarm" });
    return super.alarm();
  }
}
