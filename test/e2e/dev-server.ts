/**
 * End-to-end tests run against a real `wrangler dev` (local D1, R2, Durable Objects) that
 * the e2e project's global setup (`global-setup.ts`) starts once for every file. Files
 * share it, so each file keeps to its own project ids and never counts what it did not
 * create.
 */
import { inject } from "vitest";
import { freePort, token, upload, waitForJob } from "../../scripts/lib/dev-server.mjs";

export { freePort, token, upload, waitForJob };

/** What a file knows of a server the global setup started. */
export interface E2eServer {
  url: string;
  /** The state directory (`--persist-to`), to read D1 and R2 on disk. */
  persistTo: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The server every file shares: rate limits out of reach, webhooks to 127.0.0.1 allowed. */
    e2eServer: E2eServer;
    /** A server whose projects may make 4 requests a minute, for the CLI's 429 handling. */
    e2eRateLimitedServer: E2eServer;
    /** The fake arXiv (scripts/lib/fake-arxiv.mjs) the shared server's arXiv gate fetches from. */
    e2eFakeArxiv: string;
  }
}

/**
 * The vars of the shared server. Whatever one file needs is set here for all of them, and
 * none of these changes what another file sees.
 */
export const SHARED_VARS: Record<string, string> = {
  RATE_LIMIT_PROJECT_PER_MINUTE: "1000000",
  RATE_LIMIT_USER_PER_HOUR: "1000000",
  // Webhooks: receivers on http://127.0.0.1, retries 200 ms apart, and a timeout long
  // enough that a receiver answering at once is never cut off while other files load the
  // server and the machine.
  WEBHOOK_ALLOW_HTTP_LOCALHOST: "true",
  WEBHOOK_RETRY_DELAYS_MS: "200,200,200,200,200",
  WEBHOOK_TIMEOUT_MS: "3000",
  // The dashboard's 70 MB upload is a document far above the default character cap.
  MAX_DOCUMENT_CHARS: "500000000",
  // URL items: a source that never finishes is cut off after 10 s, not the default 30.
  FETCH_TIMEOUT_MS: "10000",
};

/** The shared server's `ARXIV_MIN_INTERVAL_MS`: short, so harvests run in seconds; still paced. */
export const E2E_ARXIV_INTERVAL_MS = 100;

/** The rate-limited server's vars: only the project budget is tight. */
export const RATE_LIMITED_VARS: Record<string, string> = {
  RATE_LIMIT_PROJECT_PER_MINUTE: "4",
  RATE_LIMIT_USER_PER_HOUR: "1000000",
};

/** The shared server, once it answers. */
export function sharedServer(): Promise<E2eServer> {
  return serverUp(inject("e2eServer"));
}

/** The fake arXiv's base URL (its `/__requests` log, `/__reset`). */
export function fakeArxivUrl(): string {
  return inject("e2eFakeArxiv");
}

/** The server with a tight per-project budget, once it answers. */
export function rateLimitedServer(): Promise<E2eServer> {
  return serverUp(inject("e2eRateLimitedServer"));
}

/** How long a file waits for a server the global setup is still starting. */
const START_TIMEOUT_MS = 280_000;

/** Resolves when `server` answers /health: the global setup starts servers in the background. */
async function serverUp(server: E2eServer): Promise<E2eServer> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      if ((await fetch(`${server.url}/health`)).ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev at ${server.url} did not answer within ${START_TIMEOUT_MS / 1000} s (the global setup logs why)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
