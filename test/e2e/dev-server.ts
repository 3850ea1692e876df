/**
 * End-to-end tests run against a real `wrangler dev` (local D1, R2, Durable Objects) on a
 * free port with fresh state, started and stopped by the test file that needs it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startDev, token, type DevServer } from "../../bench/lib/server.mjs";

export { freePort, token };

export interface TestServer extends DevServer {
  /** The state directory (`--persist-to`), removed by `close`. */
  persistTo: string;
  /** Stops the server and removes its state. */
  close(): Promise<void>;
}

/** Starts `wrangler dev` with fresh state; `vars` override wrangler.toml. */
export async function startTestServer(vars: Record<string, string> = {}, persistTo?: string): Promise<TestServer> {
  const dir = persistTo ?? mkdtempSync(join(tmpdir(), "edge-ingest-e2e-"));
  const server = await startDev({ port: await freePort(), persistTo: dir, vars });
  return {
    ...server,
    persistTo: dir,
    async close() {
      await server.stop();
      if (!persistTo) rmSync(dir, { recursive: true, force: true });
    },
  };
}
