/**
 * Backfill, verify and clean-up of a local N → 2N reshard (docs/sharding.md), run on the
 * local D1 databases' SQLite files under `wrangler dev --persist-to` (`localD1File`).
 *
 * Why the files and not `wrangler d1 execute --local`: that command starts a Miniflare
 * (a workerd process) per statement, seconds each, and a backfill is thousands of pages.
 * The files are SQLite in WAL mode, opened by workerd through SQLite's own VFS, so
 * another process reads and writes them under SQLite's locking; a busy timeout waits
 * out the Worker's own writes. Every statement here is what a remote backfill would send
 * through the D1 API, page by page.
 *
 * - `backfill`: for each old shard `i`, the rows of every project whose shard of 2N is
 *   `i + N`, table by table (every table with a `project_id` column), in keyset pages by
 *   `(project_id, created_at, key)`, upserted on `i + N` guarded by the row's version
 *   columns, so a mirror write that landed first is never overwritten by an older copy.
 *   Then rows of those projects that `i + N` has and `i` no longer has (deleted while
 *   the page was on its way) are deleted there. Resumable from its cursor file; safe to
 *   re-run.
 * - `verify`: per moved project and table, `count(*)`, `max(version)` and a SHA-256 of
 *   every row on both shards; a project that differs is looked at again a few times (a
 *   mirror write may be in flight) before it counts as different.
 * - `dropMoved`: deletes moved projects' rows from the old shards in pages, once nothing
 *   reads or mirrors to them.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { localD1File, shardIndex, shardList } from "./shards.mjs";

export const PAGE_ROWS = 500;
/** Columns that order a row's versions, newest last; the first ones present guard an upsert. */
const VERSION_COLUMNS = ["version", "updated_at", "expires_at"];
const yieldToEvents = () => new Promise((r) => setImmediate(r));

/** `from` (N bindings) and `to` (2N, the same N first), as `[{ binding, name, id }]`. */
export function plan(fromList, toList) {
  const from = shardList(fromList);
  const to = shardList(toList);
  if (to.length !== 2 * from.length || from.some((s, i) => to[i].binding !== s.binding)) {
    throw new Error(`the next shards must be the ${from.length} current ones followed by ${from.length} new ones (got ${fromList} → ${toList})`);
  }
  return { n: from.length, from, to };
}

function open(persistTo, shard) {
  const file = localD1File(persistTo, shard.id);
  if (!existsSync(file)) throw new Error(`no local D1 file for ${shard.binding} (${shard.name}) at ${file}: apply its migrations first`);
  const db = new DatabaseSync(file, { timeout: 15_000 });
  return db;
}

/** The tables a project's rows live in: name, columns, primary key and keyset order. */
function projectTables(db) {
  const names = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
    )
    .all()
    .map((r) => r.name);
  return names.flatMap((name) => {
    const info = db.prepare(`PRAGMA table_info("${name}")`).all();
    const columns = info.map((c) => c.name);
    if (!columns.includes("project_id")) return [];
    const pk = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    const key = pk.filter((c) => c !== "project_id");
    // A table keyed by the project alone (one row per project, e.g. its settings) pages by it.
    const order = columns.includes("created_at") ? ["created_at", ...key] : key.length > 0 ? key : ["project_id"];
    const versions = VERSION_COLUMNS.filter((c) => columns.includes(c));
    return [{ name, columns, pk, order, versions }];
  });
}

/** `INSERT … ON CONFLICT DO UPDATE … WHERE <newer>` for one table (a copy never replaces a newer row). */
function upsertSql(t) {
  const cols = t.columns.map((c) => `"${c}"`).join(", ");
  const values = t.columns.map(() => "?").join(", ");
  const head = `INSERT INTO "${t.name}" (${cols}) VALUES (${values}) ON CONFLICT (${t.pk.map((c) => `"${c}"`).join(", ")})`;
  if (t.versions.length > 0) {
    const set = t.columns
      .filter((c) => !t.pk.includes(c))
      .map((c) => `"${c}" = excluded."${c}"`)
      .join(", ");
    const tuple = (prefix) => `(${t.versions.map((c) => `${prefix}."${c}"`).join(", ")})`;
    return `${head} DO UPDATE SET ${set} WHERE ${tuple("excluded")} > ${tuple(`"${t.name}"`)}`;
  }
  // Rows without a version (documents) are immutable but for `duplicate_of`, which only
  // ever goes back to NULL when the document it named is deleted.
  if (t.columns.includes("duplicate_of")) {
    return `${head} DO UPDATE SET duplicate_of = NULL WHERE excluded.duplicate_of IS NULL AND "${t.name}".duplicate_of IS NOT NULL`;
  }
  return `${head} DO NOTHING`;
}

/** Project ids with rows on any of `dbs` whose shard of `count` is `shard`, sorted. */
function movingProjects(dbs, tables, count, shard) {
  const ids = new Set();
  for (const db of dbs) for (const t of tables) for (const r of db.prepare(`SELECT DISTINCT project_id FROM "${t.name}"`).all()) ids.add(r.project_id);
  return [...ids].filter((p) => shardIndex(p, count) === shard).sort();
}

function keysetPage(db, t, projectId, after, limit) {
  const order = t.order.map((c) => `"${c}"`).join(", ");
  const where = after ? ` AND (${order}) > (${after.map(() => "?").join(", ")})` : "";
  return db.prepare(`SELECT * FROM "${t.name}" WHERE project_id = ?${where} ORDER BY ${order} LIMIT ${limit}`).all(projectId, ...(after ?? []));
}

function keysOf(db, t, projectId) {
  const pk = t.pk.map((c) => `"${c}"`).join(", ");
  return db
    .prepare(`SELECT ${pk} FROM "${t.name}" WHERE project_id = ?`)
    .all(projectId)
    .map((r) => JSON.stringify(t.pk.map((c) => r[c])));
}

/**
 * Copies every moved project's rows from shard `i` to `i + N`, then deletes there the rows
 * `i` no longer has. `cursorPath`: where the position is saved after every page (resumed
 * from when it exists and is not done). Returns counts.
 */
export async function backfill({ persistTo, from, to, cursorPath = null, projects: only = null, pageRows = PAGE_ROWS, onProgress = null }) {
  const p = plan(from, to);
  let cursor = cursorPath && existsSync(cursorPath) ? JSON.parse(readFileSync(cursorPath, "utf8")) : null;
  if (cursor && (cursor.done || cursor.from !== from || cursor.to !== to)) cursor = null;
  const stats = { projects: 0, pages: 0, copied: {}, pruned: {}, resumed: cursor !== null };
  const save = (position) => {
    if (cursorPath) writeFileSync(cursorPath, JSON.stringify({ from, to, ...position }));
  };
  for (let i = cursor?.shard ?? 0; i < p.n; i++) {
    const source = open(persistTo, p.from[i]);
    const target = open(persistTo, p.to[i + p.n]);
    try {
      const tables = projectTables(source);
      const ids = only ? only.filter((id) => shardIndex(id, 2 * p.n) === i + p.n) : movingProjects([source, target], tables, 2 * p.n, i + p.n);
      for (const projectId of ids) {
        if (cursor && projectId < cursor.project) continue;
        stats.projects++;
        for (const [ti, t] of tables.entries()) {
          if (cursor && projectId === cursor.project && ti < cursor.table) continue;
          let after = cursor && projectId === cursor.project && ti === cursor.table ? cursor.after : null;
          cursor = null;
          const upsert = target.prepare(upsertSql(t));
          for (;;) {
            const rows = keysetPage(source, t, projectId, after, pageRows);
            if (rows.length === 0) break;
            target.exec("BEGIN IMMEDIATE");
            try {
              for (const row of rows) upsert.run(...t.columns.map((c) => row[c]));
              target.exec("COMMIT");
            } catch (err) {
              target.exec("ROLLBACK");
              throw err;
            }
            stats.pages++;
            stats.copied[t.name] = (stats.copied[t.name] ?? 0) + rows.length;
            const last = rows[rows.length - 1];
            after = t.order.map((c) => last[c]);
            save({ shard: i, project: projectId, table: ti, after });
            onProgress?.(stats);
            await yieldToEvents();
            if (rows.length < pageRows) break;
          }
          // Deleted on `i` after the copy read them: the next shard's keys first, then the
          // old shard's, so a row mirrored in between is found on both.
          const present = keysOf(target, t, projectId);
          const kept = new Set(keysOf(source, t, projectId));
          const gone = present.filter((k) => !kept.has(k));
          if (gone.length > 0) {
            const del = target.prepare(`DELETE FROM "${t.name}" WHERE ${t.pk.map((c) => `"${c}" = ?`).join(" AND ")}`);
            for (const k of gone) del.run(...JSON.parse(k));
            stats.pruned[t.name] = (stats.pruned[t.name] ?? 0) + gone.length;
          }
        }
      }
    } finally {
      source.close();
      target.close();
    }
  }
  save({ done: true });
  return stats;
}

/** count(*), max(version) and a hash of every row of one project's rows in one table. */
function signature(db, t, projectId) {
  const rows = db.prepare(`SELECT * FROM "${t.name}" WHERE project_id = ? ORDER BY ${t.pk.map((c) => `"${c}"`).join(", ")}`).all(projectId);
  const hash = createHash("sha256");
  for (const r of rows) hash.update(JSON.stringify(t.columns.map((c) => r[c]))).update("\n");
  const maxVersion = t.versions.length ? rows.reduce((m, r) => Math.max(m, Number(r[t.versions[0]])), -Infinity) : null;
  return { count: rows.length, maxVersion: rows.length ? maxVersion : null, hash: hash.digest("hex").slice(0, 16) };
}

/**
 * Compares every moved project's rows on shard `i` and `i + N`, per table. A project that
 * differs is compared again up to `retries` times, `retryMs` apart (a mirror write may be
 * in flight). Returns `{ projects, rows: { table: n }, mismatches: [...] }`.
 */
export async function verify({ persistTo, from, to, retries = 5, retryMs = 300 }) {
  const p = plan(from, to);
  const report = { projects: 0, rows: {}, mismatches: [] };
  for (let i = 0; i < p.n; i++) {
    const a = open(persistTo, p.from[i]);
    const b = open(persistTo, p.to[i + p.n]);
    try {
      const tables = projectTables(a);
      for (const projectId of movingProjects([a, b], tables, 2 * p.n, i + p.n)) {
        report.projects++;
        for (const t of tables) {
          let left;
          let right;
          for (let attempt = 0; ; attempt++) {
            left = signature(a, t, projectId);
            right = signature(b, t, projectId);
            if (left.hash === right.hash || attempt >= retries) break;
            await new Promise((r) => setTimeout(r, retryMs));
          }
          report.rows[t.name] = (report.rows[t.name] ?? 0) + left.count;
          if (left.hash !== right.hash) {
            report.mismatches.push({ project: projectId, table: t.name, [p.from[i].binding]: left, [p.to[i + p.n].binding]: right });
          }
        }
        await yieldToEvents();
      }
    } finally {
      a.close();
      b.close();
    }
  }
  return report;
}

/** Deletes moved projects' rows from the old shards, `pageRows` per statement. Returns counts per table. */
export async function dropMoved({ persistTo, from, to, pageRows = PAGE_ROWS }) {
  const p = plan(from, to);
  const deleted = {};
  for (let i = 0; i < p.n; i++) {
    const db = open(persistTo, p.from[i]);
    try {
      const tables = projectTables(db);
      for (const projectId of movingProjects([db], tables, 2 * p.n, i + p.n)) {
        for (const t of tables) {
          const pk = t.pk.map((c) => `"${c}"`).join(", ");
          const del = db.prepare(`DELETE FROM "${t.name}" WHERE (${pk}) IN (SELECT ${pk} FROM "${t.name}" WHERE project_id = ? LIMIT ${pageRows})`);
          for (;;) {
            const { changes } = del.run(projectId);
            deleted[t.name] = (deleted[t.name] ?? 0) + Number(changes);
            if (Number(changes) < pageRows) break;
            await yieldToEvents();
          }
        }
      }
    } finally {
      db.close();
    }
  }
  return deleted;
}

/** Rows per table on each shard of `list` (for a status line). */
export function rowCounts({ persistTo, list }) {
  return Object.fromEntries(
    shardList(list).map((shard) => {
      const db = open(persistTo, shard);
      try {
        return [shard.binding, Object.fromEntries(projectTables(db).map((t) => [t.name, db.prepare(`SELECT count(*) AS n FROM "${t.name}"`).get().n]))];
      } finally {
        db.close();
      }
    }),
  );
}

/**
 * Creates the local files of `targets` as copies of `source`, a freshly migrated, empty
 * shard: what applying the migrations to each would give, without a wrangler process
 * per database. Only for new local state (a target that exists is an error).
 */
export function cloneEmptyShard(persistTo, source, targets) {
  const db = open(persistTo, source);
  try {
    const rows = projectTables(db).reduce((n, t) => n + db.prepare(`SELECT count(*) AS n FROM "${t.name}"`).get().n, 0);
    if (rows > 0) throw new Error(`${source.binding} holds ${rows} rows: only an empty shard is cloned`);
    for (const target of targets) {
      const file = localD1File(persistTo, target.id);
      if (existsSync(file)) throw new Error(`${target.binding} already has a local file (${file})`);
      db.prepare("VACUUM INTO ?").run(file);
    }
  } finally {
    db.close();
  }
}

/** Rows of `projects` that live on a shard of `list` other than their own (after a reshard: 0). */
export function misplacedRows({ persistTo, list, projects }) {
  const shards = shardList(list);
  let misplaced = 0;
  for (const [index, shard] of shards.entries()) {
    const db = open(persistTo, shard);
    try {
      for (const t of projectTables(db)) {
        for (const p of projects) {
          if (shardIndex(p, shards.length) === index) continue;
          misplaced += db.prepare(`SELECT count(*) AS n FROM "${t.name}" WHERE project_id = ?`).get(p).n;
        }
      }
    } finally {
      db.close();
    }
  }
  return misplaced;
}
