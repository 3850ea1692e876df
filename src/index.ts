/** Worker entry: the HTTP app, the job-event queue consumer, and the Durable Object classes. */
import { app } from "./app";
import { isTracing, recordCost, traceCosts } from "./capacity/cost-trace";
import type { Env } from "./env";
import { consumeJobEvents } from "./events/audit-consumer";
import type { JobEvent } from "./contract/job-event";
import { wakePurgers } from "./retention/purger";

export { ArxivGate } from "./arxiv/gate";
export { IngestBatch, IngestJob, ProjectHub, RateLimiter, RetentionPurger } from "./capacity/traced-objects";

export default {
  fetch(request, env, ctx) {
    if (isTracing(env)) recordCost({ c: "worker", op: "fetch" });
    return app.fetch(request, traceCosts(env), ctx);
  },
  queue(batch, env) {
    if (isTracing(env)) recordCost({ c: "worker", op: "queue" });
    return consumeJobEvents(batch, traceCosts(env));
  },
  /** The cron trigger (wrangler.toml): every shard's retention purger is woken. */
  async scheduled(_controller, env) {
    if (isTracing(env)) recordCost({ c: "worker", op: "scheduled" });
    await wakePurgers(traceCosts(env));
  },
} satisfies ExportedHandler<Env, JobEvent>;
