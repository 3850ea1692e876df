/**
 * Reads the state `wrangler dev --persist-to <dir>` keeps on disk, read-only and without
 * a request to the Worker: the D1 shards' SQLite files and the R2 bucket's object list
 * (Node 24's node:sqlite; PLATFORM.md). For measurements and checks in scripts only.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

function sqliteFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")
    .map((f) => join(dir, f));
}

/** Runs `fn(db)` on every local D1 database (one file per shard that has been touched). */
export function eachD1(persistTo, fn) {
  return sqliteFiles(join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject")).map((file) => {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      return fn(db, file);
    } finally {
      db.close();
    }
  });
}

/** Bytes the D1 databases use: pages in use (all tables and indexes) times the page size. */
export function d1Bytes(persistTo) {
  return eachD1(persistTo, (db) => {
    const pages = db.prepare("PRAGMA page_count").get().page_count;
    const free = db.prepare("PRAGMA freelist_count").get().freelist_count;
    const size = db.prepare("PRAGMA page_size").get().page_size;
    return (pages - free) * size;
  }).reduce((a, b) => a + b, 0);
}

/** Rows of a query run on every D1 shard that has the table, concatenated. */
export function d1Rows(persistTo, sql, ...params) {
  return eachD1(persistTo, (db) => {
    const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'").get();
    return has ? db.prepare(sql).all(...params) : [];
  }).flat();
}

/** Every object in the local R2 bucket: `[{ key, size }]`. */
export function r2Objects(persistTo) {
  return sqliteFiles(join(persistTo, "v3", "r2", "miniflare-R2BucketObject"))
    .map((file) => {
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        return db
          .prepare("SELECT key, size FROM _mf_objects")
          .all()
          .map((r) => ({ key: r.key, size: Number(r.size) }));
      } finally {
        db.close();
      }
    })
    .flat();
}
