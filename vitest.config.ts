import { mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { createFakeArxiv, DROP } from "./scripts/lib/fake-arxiv.mjs";
import { E2eSpreadOut } from "./test/sequencer";

// Relative to the repo root, where `npm test` runs.
const migrations = await readD1Migrations("./migrations");

// wrangler.toml's `[assets] directory`: the plugin refuses a config whose directory is
// missing. The e2e project's global setup builds it; the workerd projects only need it to exist.
mkdirSync("./dist/web", { recursive: true });

/** The fake arXiv behind `https://arxiv.fake` in the arxiv project (scripts/lib/fake-arxiv.mjs). */
const fakeArxiv = createFakeArxiv();

/**
 * The arxiv project's outbound fetches: `arxiv.fake` is answered by the fake (a dropped
 * connection becomes a failed fetch); nothing else leaves the test.
 */
async function arxivOutbound(request: Request): Promise<Response> {
  if (new URL(request.url).hostname !== "arxiv.fake") return new Response("no network in tests", { status: 502 });
  const answer = await fakeArxiv.handle(request);
  if (answer === DROP) throw new Error("connection dropped by the fake arXiv");
  return answer;
}

/**
 * One workerd-backed test project; `vars` override wrangler.toml for that project.
 * `options.main`: the Worker's entry (the stepped one unless a project needs jobs to
 * run by themselves); `options.outboundService`: what answers the Worker's fetches.
 */
function workerProject(
  name: string,
  vars: Record<string, string>,
  test: { include: string[]; exclude?: string[]; isolate?: boolean; fileParallelism?: boolean },
  options: { main?: string; outboundService?: (request: Request) => Promise<Response> } = {},
): TestProjectInlineConfiguration {
  return {
    plugins: [
      cloudflareTest({
        // The service's entry with the job object stepped by hand (see the file).
        main: options.main ?? "./test/stepped-worker.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            JWT_SECRET: "test-secret-that-is-at-least-32-bytes-long!!",
            // Progress alone never rewrites the index row while a test steps a job.
            INDEX_PROGRESS_INTERVAL_MS: "86400000",
            WEBHOOK_SECRET_KEY: "dGVzdCB3ZWJob29rIGtleSwgMzIgYnl0ZXMgbG9uZyE=",
            // Webhook retries a few ms apart and a short timeout, so delivery tests run in real time.
            WEBHOOK_RETRY_DELAYS_MS: "20,20,20,20,20",
            WEBHOOK_TIMEOUT_MS: "300",
            ...vars,
          },
          ...(options.outboundService ? { outboundService: options.outboundService } : {}),
        },
      }),
    ],
    // One Miniflare per worker for all its files, not one per file: starting one costs
    // seconds, more than most files run. Its storage outlives a file, so a file never
    // counts what it did not create.
    test: { name, setupFiles: ["./test/setup.ts"], testTimeout: 60_000, hookTimeout: 60_000, isolate: false, ...test },
  };
}

export default defineConfig({
  test: {
    // One worker per core and one more, as e2e files mostly wait (on a server, a rate-limit
    // window, a browser). Vitest's default, cores - 1, is a single worker on 2 cores.
    maxWorkers: availableParallelism() + 1,
    sequence: { sequencer: E2eSpreadOut },
    projects: [
      // Budgets far above what any test spends, so only the rate-limit suite meets them.
      workerProject(
        "worker",
        { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000", RATE_LIMIT_FAILED_AUTH_PER_MINUTE: "1000000" },
        { include: ["test/**/*.test.ts"], exclude: ["test/http/rate-limit.test.ts", "test/http/failed-auth-limit.test.ts", "test/e2e/**", "test/arxiv/**"] },
      ),
      // arXiv harvests against the fake arXiv (its own outbound service and ARXIV_* vars), a
      // short interval and pause so pacing runs in real time; a harvest runs end to end by
      // itself, so the service's own entry: alarms fire when due.
      workerProject(
        "arxiv",
        {
          RATE_LIMIT_PROJECT_PER_MINUTE: "1000000",
          RATE_LIMIT_USER_PER_HOUR: "1000000",
          RATE_LIMIT_FAILED_AUTH_PER_MINUTE: "1000000",
          ARXIV_API_URL: "https://arxiv.fake/api/query",
          ARXIV_PDF_BASE: "https://arxiv.fake/pdf/",
          ARXIV_CONTACT: "arxiv-tests@example.org",
          ARXIV_MIN_INTERVAL_MS: "200",
          ARXIV_429_PAUSE_MS: "400",
          ARXIV_FETCH_TIMEOUT_MS: "5000",
          MAX_UPLOAD_BYTES: String(12 * 1024 * 1024),
        },
        // One file at a time, each with its own Miniflare: the fake's state and request log,
        // and the one global gate's pacing and pauses, belong to the file that asserts on them.
        { include: ["test/arxiv/**/*.test.ts"], isolate: true, fileParallelism: false },
        { main: "./src/index.ts", outboundService: arxivOutbound },
      ),
      workerProject(
        "rate-limits",
        { RATE_LIMIT_PROJECT_PER_MINUTE: "10", RATE_LIMIT_USER_PER_HOUR: "25", RATE_LIMIT_FAILED_AUTH_PER_MINUTE: "20" },
        { include: ["test/http/rate-limit.test.ts", "test/http/failed-auth-limit.test.ts"] },
      ),
      // Against a real `wrangler dev` (CLI, SDK, dashboard, webhooks), in Node: the global
      // setup builds the clients and the dashboard once and starts the servers every file
      // shares (test/e2e/global-setup.ts); each file keeps to its own projects.
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["./test/e2e/global-setup.ts"],
          testTimeout: 180_000,
          // A file's beforeAll may wait for the servers to come up (test/e2e/dev-server.ts).
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
