/** Project ids that land on a chosen shard, found with the routing function itself. */
import { env } from "cloudflare:workers";
import { projectDb, shardIndex, shardNames } from "../../src/db/shards";

export const SHARDS = shardNames(env).length;

/** The first `${prefix}_<n>` whose shard is `shard`. */
export function projectOnShard(shard: number, prefix: string): string {
  for (let n = 0; ; n++) {
    const id = `${prefix}_${n}`;
    if (shardIndex(id, SHARDS) === shard) return id;
  }
}

/** The job's row in one shard, read directly (null when that shard has none). */
export function jobRow(shard: D1Database, jobId: string) {
  return shard
    .prepare("SELECT project_id, status, version FROM jobs WHERE id = ?")
    .bind(jobId)
    .first<{ project_id: string; status: string; version: number }>();
}

export { projectDb };
