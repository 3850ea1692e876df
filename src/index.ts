/** Worker entry: the HTTP app, the job-event queue consumer, and the Durable Object classes. */
import { app } from "./app";
import type { Env } from "./env";
import { consumeJobEvents } from "./events/audit-consumer";
import type { JobEvent } from "./jobs/job-store";

export { IngestJob } from "./jobs/ingest-job";
export { ProjectHub } from "./events/project-hub";
export { RateLimiter } from "./http/rate-limiter";

export default {
  fetch: app.fetch,
  queue: consumeJobEvents,
} satisfies ExportedHandler<Env, JobEvent>;
