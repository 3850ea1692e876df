/**
 * Consumer of the `JOB_EVENTS` queue: records each event once in D1's audit trail, on
 * the shard of the event's project. Delivery is at-least-once, so rows are keyed by
 * (job, seq) and duplicates ignored.
 */
import { drizzle } from "drizzle-orm/d1";
import { jobEventAudit } from "../db/schema";
import { allShards, shardIndex } from "../db/shards";
import type { Env } from "../env";
import type { JobEvent } from "../jobs/job-store";

/** D1's 100 bound parameters per statement; an audit row binds 6. */
const ROWS_PER_STATEMENT = 16;

type AuditRow = typeof jobEventAudit.$inferInsert;

export async function consumeJobEvents(batch: MessageBatch<JobEvent>, env: Env): Promise<void> {
  // A batch mixes projects: one atomic D1 batch per shard it touches.
  const shards = allShards(env);
  const byShard = new Map<number, AuditRow[]>();
  for (const { body: e } of batch.messages) {
    const index = shardIndex(e.projectId, shards.length);
    const rows = byShard.get(index) ?? [];
    rows.push({ jobId: e.jobId, seq: e.seq, projectId: e.projectId, type: e.type, at: e.at, frame: JSON.stringify(e) });
    byShard.set(index, rows);
  }
  await Promise.all(
    [...byShard].map(async ([index, rows]) => {
      const db = drizzle(shards[index]!.db);
      const statements = [];
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        statements.push(db.insert(jobEventAudit).values(rows.slice(i, i + ROWS_PER_STATEMENT)).onConflictDoNothing());
      }
      const [first, ...rest] = statements;
      if (first) await db.batch([first, ...rest]);
    }),
  );
  batch.ackAll();
}
