/**
 * The D1 shards as Node scripts see them: the databases `wrangler.toml` declares, in the
 * order its `D1_SHARDS` var lists their bindings, and the same shard function as
 * `src/db/shards.ts` (32-bit FNV-1a of the project id's UTF-8 bytes, mod N).
 */
import { readFileSync } from "node:fs";

/** `[{ binding, name }]` in shard order, read from `wrangler.toml` (default: the repo's). */
export function d1Shards(configPath = new URL("../../wrangler.toml", import.meta.url)) {
  const toml = readFileSync(configPath, "utf8");
  const order = toml
    .match(/^D1_SHARDS\s*=\s*"([^"]*)"/m)?.[1]
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!order?.length) throw new Error("wrangler.toml has no D1_SHARDS var");
  const databases = toml
    .split(/^\[\[d1_databases\]\]\s*$/m)
    .slice(1)
    .map((block) => ({
      binding: block.match(/^binding\s*=\s*"([^"]+)"/m)?.[1],
      name: block.match(/^database_name\s*=\s*"([^"]+)"/m)?.[1],
    }));
  return order.map((binding) => {
    const db = databases.find((d) => d.binding === binding);
    if (!db?.name) throw new Error(`D1_SHARDS names ${binding}, which no [[d1_databases]] block binds`);
    return { binding, name: db.name };
  });
}

/** 32-bit FNV-1a of the UTF-8 bytes of `text`. */
export function fnv1a32(text) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The shard position of `projectId` among `count` shards. */
export function shardIndex(projectId, count) {
  return fnv1a32(projectId) % count;
}
