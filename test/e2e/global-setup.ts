/**
 * The e2e project's global setup: builds what the files run (the SDK and CLI bundle, the
 * dashboard's assets) once, and starts the `wrangler dev` servers every file shares
 * (`dev-server.ts`): one with rate limits out of reach, one with a tight per-project budget;
 * and the fake arXiv on 127.0.0.1 that the shared server's arXiv gate talks to.
 *
 * The servers start in the background: vitest runs every project's global setup before
 * any test file, so waiting here would hold the workerd projects back for the tens of
 * seconds wrangler takes to come up. Their addresses are known at once (free ports, fresh
 * state directories); a file waits for /health before its first request (`serverUp`).
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { startFakeArxiv } from "../../scripts/fake-arxiv.mjs";
import { applyMigrations, reservePort, startDev, type DevServer } from "../../scripts/lib/dev-server.mjs";
import { E2E_ARXIV_INTERVAL_MS, RATE_LIMITED_VARS, SHARED_VARS } from "./dev-server";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Runs a build script of scripts/, so no file runs a stale `dist/`. */
async function build(script: string): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, [`scripts/${script}`], { cwd: ROOT });
  } catch (err) {
    throw new Error(`scripts/${script} failed: ${(err as { stderr?: string }).stderr ?? err}`, { cause: err });
  }
}

interface Started {
  url: string;
  persistTo: string;
  /** Settles once the server answers (or failed to start, which is logged). */
  up: Promise<DevServer | null>;
  /** The wrangler process (its process group's id), once started. */
  pid(): number | undefined;
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await Promise.all([
    build("build-clients.mjs"), // dist/cli.js and dist/client/: the SDK and the CLI
    build("build-web.mjs"), // dist/web/: the dashboard and the /docs page's assets
  ]);

  const state = mkdtempSync(join(tmpdir(), "edge-ingest-e2e-"));
  const migrated = join(state, "migrated");
  // Both servers start from one migrated copy of the D1 shards: a migration run is a
  // wrangler process per shard, as slow as starting the server itself.
  const migrations = applyMigrations(migrated);
  const start = async (name: string, vars: Record<string, string>, after: Promise<unknown>): Promise<Started> => {
    // Held until wrangler starts: the files know the address long before it listens.
    const { port, release } = await reservePort();
    const persistTo = join(state, name);
    const up = after
      .then(async () => {
        cpSync(migrated, persistTo, { recursive: true });
        await release();
        return startDev({ port, persistTo, vars, migrate: false });
      })
      .catch(async (err: unknown) => {
        await release();
        console.error(`e2e: the ${name} wrangler dev did not start:`, err);
        return null;
      });
    let server: DevServer | null = null;
    void up.then((s) => (server = s));
    return { url: `http://127.0.0.1:${port}`, persistTo, up, pid: () => server?.child.pid };
  };
  const fakeArxiv = await startFakeArxiv();
  const arxivVars = {
    ARXIV_API_URL: `${fakeArxiv.url}/api/query`,
    ARXIV_PDF_BASE: `${fakeArxiv.url}/pdf/`,
    ARXIV_MIN_INTERVAL_MS: String(E2E_ARXIV_INTERVAL_MS),
  };
  const shared = await start("shared", { ...SHARED_VARS, ...arxivVars }, migrations);
  const limited = await start("rate-limited", RATE_LIMITED_VARS, migrations);
  // An interrupted run (Ctrl-C) may skip the teardown: the servers die with this process.
  process.once("exit", () => {
    for (const pid of [shared.pid(), limited.pid()]) if (pid) tryKill(-pid);
  });
  project.provide("e2eServer", { url: shared.url, persistTo: shared.persistTo });
  project.provide("e2eRateLimitedServer", { url: limited.url, persistTo: limited.persistTo });
  project.provide("e2eFakeArxiv", fakeArxiv.url);

  return async () => {
    const servers = await Promise.all([shared.up, limited.up]);
    await Promise.all(servers.map((s) => s?.stop()));
    await fakeArxiv.close();
    rmSync(state, { recursive: true, force: true });
  };
}
