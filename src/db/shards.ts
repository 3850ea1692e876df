/**
 * Where a project's rows live in D1 (DESIGN §12). The index is sharded by project across
 * the D1 databases that the `D1_SHARDS` var names, in order (`DB_0,DB_1,…`). Every D1
 * query is project-scoped, so each one goes through `projectDb` with its project id and
 * touches exactly one database; code that must visit every shard uses `allShards`.
 *
 * The shard of a project is `fnv1a32(utf8(projectId)) mod N` (32-bit FNV-1a, offset
 * basis 2166136261, prime 16777619). It depends on nothing but the id and N, so every
 * isolate, deploy and language agrees (`scripts/lib/shards.mjs` is the same function in
 * Node). Growing from N to 2N keeps each project on shard `i` or moves it to `i + N`;
 * docs/sharding.md describes that move. While it runs, `D1_SHARDS_NEXT` (before the
 * cut-over) or `D1_SHARDS_PREV` (after it) names the other list, and the project's
 * database mirrors every write to its shard under that list (`mirror.ts`).
 */
import { ConfigError } from "../config";
import type { Env } from "../env";
import { mirroredDatabase } from "./mirror";

/** One D1 shard: its binding name (as listed in `D1_SHARDS`) and its position. */
export interface Shard {
  name: string;
  index: number;
  db: D1Database;
}

/** 32-bit FNV-1a of the id's UTF-8 bytes (http://www.isthe.com/chongo/tech/comp/fnv/). */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The position of `projectId`'s shard among `count` shards. */
export function shardIndex(projectId: string, count: number): number {
  return fnv1a32(projectId) % count;
}

function parseNames(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The binding names of the shards, in shard order, from `D1_SHARDS`. */
export function shardNames(env: Env): string[] {
  const names = parseNames(env.D1_SHARDS);
  if (names.length === 0) throw new ConfigError("D1_SHARDS must name at least one D1 binding (e.g. DB_0,DB_1)");
  return names;
}

/** The other shard lists of a reshard in progress: `D1_SHARDS_NEXT` and `D1_SHARDS_PREV` (empty when unset). */
export function mirrorLists(env: Env): string[][] {
  return [parseNames(env.D1_SHARDS_NEXT), parseNames(env.D1_SHARDS_PREV)].filter((names) => names.length > 0);
}

/** The project's shards under the other lists that are not its shard under `D1_SHARDS`: where its writes are mirrored. */
export function mirrorShards(env: Env, projectId: string): Shard[] {
  const primary = shardNames(env)[shardIndex(projectId, shardNames(env).length)];
  const mirrors = new Map<string, Shard>();
  for (const names of mirrorLists(env)) {
    const index = shardIndex(projectId, names.length);
    const name = names[index]!;
    if (name !== primary && !mirrors.has(name)) mirrors.set(name, { name, index, db: binding(env, name) });
  }
  return [...mirrors.values()];
}

function binding(env: Env, name: string): D1Database {
  const db = (env as unknown as Record<string, unknown>)[name];
  if (typeof db !== "object" || db === null || typeof (db as D1Database).prepare !== "function") {
    throw new ConfigError(`D1_SHARDS names ${name}, but no D1 database is bound under that name`);
  }
  return db as D1Database;
}

/** Every shard, in order: for work that is not about one project (migrations, audits). */
export function allShards(env: Env): Shard[] {
  return shardNames(env).map((name, index) => ({ name, index, db: binding(env, name) }));
}

/**
 * The shard that holds `projectId`'s rows. During a reshard its `db` mirrors every write
 * that changed rows to the project's shard under the other list (`mirror.ts`); reads
 * stay on this shard.
 */
export function projectShard(env: Env, projectId: string): Shard {
  const names = shardNames(env);
  const index = shardIndex(projectId, names.length);
  const name = names[index]!;
  const db = binding(env, name);
  const mirrors = mirrorShards(env, projectId);
  return { name, index, db: mirrors.length > 0 ? mirroredDatabase(db, mirrors, projectId) : db };
}

/** The D1 database that holds `projectId`'s rows (writes, and reads outside a request), mirrored during a reshard. */
export function projectDb(env: Env, projectId: string): D1Database {
  return projectShard(env, projectId).db;
}

/**
 * A D1 session seen as a database, so drizzle and the query modules take either. Drizzle's
 * D1 driver only calls `prepare` and `batch`, which a session has; the rest throw.
 */
export function sessionDatabase(session: D1DatabaseSession): D1Database {
  const unsupported = (what: string) => () => {
    throw new Error(`${what} is not available on a D1 session`);
  };
  return {
    prepare: (query: string) => session.prepare(query),
    batch: <T>(statements: D1PreparedStatement[]) => session.batch<T>(statements),
    exec: unsupported("exec"),
    withSession: unsupported("withSession"),
    dump: unsupported("dump"),
  } as D1Database;
}

/**
 * The newer of two D1 bookmarks: they sort lexicographically from oldest to newest
 * (https://developers.cloudflare.com/d1/reference/glossary/).
 */
export function newerBookmark(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return a > b ? a : b;
}
