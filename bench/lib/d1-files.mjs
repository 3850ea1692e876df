/**
 * Figures read from the local state directory of `wrangler dev` with Node's `node:sqlite`
 * (read-only): the D1 databases' used bytes, and a job object's D1 statement counter.
 */
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

function sqliteFiles(dir) {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".sqlite"))
        .map((f) => join(dir, f))
    : [];
}

/** Bytes in use across the local D1 databases (pages minus free pages, WAL included). */
export function d1UsedBytes(persistTo) {
  let total = 0;
  for (const file of sqliteFiles(join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject"))) {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const pages = db.prepare("PRAGMA page_count").get().page_count;
      const free = db.prepare("PRAGMA freelist_count").get().freelist_count;
      const size = db.prepare("PRAGMA page_size").get().page_size;
      total += (pages - free) * size;
    } finally {
      db.close();
    }
  }
  return total;
}

/**
 * D1 statements the job's object counted (its `index_outbox` row) as { total,
 * progressWrites }, or null if not found.
 */
export function jobD1Statements(persistTo, jobId) {
  const dir = join(persistTo, "v3", "do");
  const classDir = existsSync(dir) ? readdirSync(dir).find((d) => d.endsWith("IngestJob")) : undefined;
  if (!classDir) return null;
  for (const file of sqliteFiles(join(dir, classDir))) {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const job = db.prepare("SELECT data FROM job WHERE k = 1").get();
      if (!job || JSON.parse(job.data).id !== jobId) continue;
      const row = db.prepare("SELECT d1_statements, progress_writes FROM index_outbox WHERE k = 1").get();
      return row ? { total: row.d1_statements, progressWrites: row.progress_writes } : null;
    } catch {
      continue;
    } finally {
      db.close();
    }
  }
  return null;
}
