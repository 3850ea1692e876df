/** Worker entry: the HTTP app and the Durable Object classes wrangler.toml binds. */
import { app } from "./app";

export { IngestJob } from "./jobs/ingest-job";
export { ProjectHub } from "./events/project-hub";
export { RateLimiter } from "./http/rate-limiter";

export default app satisfies ExportedHandler<import("./env").Env>;
