import { mkdirSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { createFakeArxiv, DROP } from "./scripts/lib/fake-arxiv.mjs";

// Relative to the repo root, where `npm test` runs.
const migrations = await readD1Migrations("./migrations");

// wrangler.toml's `[assets] directory`: the plugin refuses a config whose directory is
// missing. `npm test` builds it first (`pretest`); this keeps a bare `vitest` working too.
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

/** One workerd-backed test project; `vars` override wrangler.toml for that project. */
function workerProject(
  name: string,
  vars: Record<string, string>,
  test: { include: string[]; exclude?: string[] },
  outboundService?: (request: Request) => Promise<Response>,
): TestProjectInlineConfiguration {
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            JWT_SECRET: "test-secret-that-is-at-least-32-bytes-long!!",
            // Alarms never fire by themselves in tests: each test steps a job's alarm by hand.
            ALARM_DELAY_MS: "3600000",
            SLICES_PER_ALARM: "1",
            // Progress alone never rewrites the index row while a test steps a job.
            INDEX_PROGRESS_INTERVAL_MS: "86400000",
            WEBHOOK_SECRET_KEY: "dGVzdCB3ZWJob29rIGtleSwgMzIgYnl0ZXMgbG9uZyE=",
            // Webhook retries a few ms apart and a short timeout, so delivery tests run in real time.
            WEBHOOK_RETRY_DELAYS_MS: "20,20,20,20,20",
            WEBHOOK_TIMEOUT_MS: "300",
            ...vars,
          },
          ...(outboundService ? { outboundService } : {}),
        },
      }),
    ],
    test: { name, setupFiles: ["./test/setup.ts"], testTimeout: 60_000, hookTimeout: 60_000, ...test },
  };
}

export default defineConfig({
  test: {
    projects: [
      // Budgets far above what any test spends, so only the rate-limit suite meets them.
      workerProject(
        "worker",
        { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000" },
        { include: ["test/**/*.test.ts"], exclude: ["test/http/rate-limit.test.ts", "test/e2e/**", "test/arxiv/**"] },
      ),
      // arXiv harvests against the fake arXiv; a short interval and pause so pacing runs in real time.
      workerProject(
        "arxiv",
        {
          RATE_LIMIT_PROJECT_PER_MINUTE: "1000000",
          RATE_LIMIT_USER_PER_HOUR: "1000000",
          ARXIV_API_URL: "https://arxiv.fake/api/query",
          ARXIV_PDF_BASE: "https://arxiv.fake/pdf/",
          ARXIV_CONTACT: "arxiv-tests@example.org",
          ARXIV_MIN_INTERVAL_MS: "200",
          ARXIV_429_PAUSE_MS: "400",
          ARXIV_FETCH_TIMEOUT_MS: "5000",
          MAX_UPLOAD_BYTES: String(12 * 1024 * 1024),
          // Harvests run end to end by themselves: alarms fire when due.
          ALARM_DELAY_MS: "0",
          SLICES_PER_ALARM: "8",
        },
        { include: ["test/arxiv/**/*.test.ts"] },
        arxivOutbound,
      ),
      workerProject("rate-limits", { RATE_LIMIT_PROJECT_PER_MINUTE: "10", RATE_LIMIT_USER_PER_HOUR: "25" }, { include: ["test/http/rate-limit.test.ts"] }),
      // Against a real `wrangler dev` per test file (CLI, SDK, dashboard, webhooks): Node,
      // one file at a time so servers do not compete for the machine's cores.
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
