/**
 * The D1 shards as Node scripts see them: the databases `wrangler.toml` declares, in the
 * order its `D1_SHARDS` var lists their bindings, and the same shard function as
 * `src/db/shards.ts` (32-bit FNV-1a of the project id's UTF-8 bytes, mod N).
 */
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const WRANGLER_TOML = new URL("../../wrangler.toml", import.meta.url);

/** Every `[[d1_databases]]` block of `wrangler.toml`: `[{ binding, name, id }]`, in file order. */
export function d1Databases(configPath = WRANGLER_TOML) {
  return readFileSync(configPath, "utf8")
    .split(/^\[\[d1_databases\]\]\s*$/m)
    .slice(1)
    .map((block) => ({
      binding: block.match(/^binding\s*=\s*"([^"]+)"/m)?.[1],
      name: block.match(/^database_name\s*=\s*"([^"]+)"/m)?.[1],
      id: block.match(/^database_id\s*=\s*"([^"]+)"/m)?.[1],
    }));
}

/** A comma-separated list of bindings (a `D1_SHARDS`-like value) as `[{ binding, name, id }]`, checked against `wrangler.toml`. */
export function shardList(value, configPath = WRANGLER_TOML) {
  const databases = d1Databases(configPath);
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((binding) => {
      const db = databases.find((d) => d.binding === binding);
      if (!db?.name) throw new Error(`${binding} is not a [[d1_databases]] binding of wrangler.toml`);
      return db;
    });
}

/** `[{ binding, name, id }]` in shard order, read from `wrangler.toml` (default: the repo's). */
export function d1Shards(configPath = WRANGLER_TOML) {
  const order = readFileSync(configPath, "utf8").match(/^D1_SHARDS\s*=\s*"([^"]*)"/m)?.[1];
  if (!order?.trim()) throw new Error("wrangler.toml has no D1_SHARDS var");
  return shardList(order, configPath);
}

/**
 * The SQLite file `wrangler dev --persist-to <persistTo>` keeps a local D1 database in:
 * Miniflare stores it as a Durable Object named by the database id, so the file is that
 * object's id, derived as workerd's `idFromName` does (HMAC-SHA-256 under the SHA-256 of
 * the namespace's unique key).
 */
export function localD1File(persistTo, databaseId) {
  const key = createHash("sha256").update("miniflare-D1DatabaseObject").digest();
  const name = createHmac("sha256", key).update(databaseId).digest().subarray(0, 16);
  const mac = createHmac("sha256", key).update(name).digest().subarray(0, 16);
  return join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject", `${Buffer.concat([name, mac]).toString("hex")}.sqlite`);
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
