/** What a hostile job may leave behind: nothing but its job row and source. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { projectDb } from "../../src/db/shards";
import { expect } from "vitest";
import { jobStub } from "../helpers";

/** The job object's pipeline tables are empty, and no document of the job exists in D1 or R2. */
export async function expectStorageClean(projectId: string, jobId: string): Promise<void> {
  // The pipeline's tables exist once the job's first slice has run; a missing one is empty.
  const rows = await runInDurableObject(jobStub(jobId), (_i, state) =>
    ["pipeline", "text_segments", "headings", "chunk_blocks", "text_tail"].map((t) =>
      state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = ?", t).toArray().length
        ? state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${t}`).one().n
        : 0,
    ),
  );
  expect(rows).toEqual([0, 0, 0, 0, 0]);
  const docs = await projectDb(env, projectId).prepare("SELECT count(*) AS n FROM documents WHERE job_id = ?").bind(jobId).first<{ n: number }>();
  expect(docs!.n).toBe(0);
  const texts = await env.BUCKET.list({ prefix: `documents/${projectId}/` });
  expect(texts.objects).toEqual([]);
}

/** The job's checkpoint, or null once the pipeline is cleared. */
export function checkpointOf(jobId: string): Promise<Record<string, unknown> | null> {
  return runInDurableObject(jobStub(jobId), (_i, state) => {
    if (!state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'pipeline'").toArray().length) return null;
    const row = state.storage.sql.exec<{ data: string }>("SELECT data FROM pipeline").toArray()[0];
    return row ? (JSON.parse(row.data) as Record<string, unknown>) : null;
  });
}
