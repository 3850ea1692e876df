/**
 * Mirror writes while the shards grow from N to 2N (docs/sharding.md). Every D1 write of
 * a project goes to its shard under `D1_SHARDS`, which serves every read; a statement
 * that changed rows there is then run again, with the same SQL and parameters, on the
 * project's shard under `D1_SHARDS_NEXT` (before the cut-over) or `D1_SHARDS_PREV`
 * (after it) when that is another database.
 *
 * - A write is repeated when it changed rows on the primary (`meta.changes`, or rows
 *   returned by `RETURNING`). A conditional write that lost there (an `Idempotency-Key`
 *   claim of a key another create holds, a compare-and-set takeover, a full project's
 *   webhook insert) must not win on a mirror that has not been backfilled yet.
 * - A write that is the same whatever the row holds (an upsert guarded by the row
 *   version, an insert `ON CONFLICT DO NOTHING`) is repeated even when the primary had it
 *   already: that is a retry (a job object re-sending its index row after a write that
 *   was cut off between the primary and the mirror), and the mirror may be the one
 *   missing it.
 * - The index writes are upserts guarded by the row version and the document inserts
 *   are `ON CONFLICT DO NOTHING`, so a mirror write and the backfill's copy of the same
 *   row commute: whichever lands last, the newer version stays.
 * - A mirror write that fails is logged (`mirror write failed`) and never fails the
 *   primary write, which has already happened: the reader's answer is right, and the
 *   backfill, re-run before the cut-over, copies what the mirror missed
 *   (`npm run reshard -- backfill`, then `verify`).
 * - Statements that only read are not repeated; `exec` (no project writer uses it) is not
 *   mirrored.
 */
import type { Shard } from "./shards";

const WRITE = /^\s*(insert|update|delete|replace)\b/i;
const RETURNING = /\breturning\b/i;
/** Writes a mirror may always repeat: version-guarded upserts and inserts that keep an existing row. */
const SAME_WHATEVER_THE_ROW = /\bexcluded\.version\s*>|\bon\s+conflict\b[^;]*\bdo\s+nothing\b/i;

/** A statement as the caller prepared it: what to run again on a mirror. */
interface Recorded {
  real: D1PreparedStatement;
  sql: string;
  args: unknown[];
}

type Mirror = (writes: Omit<Recorded, "real">[]) => Promise<void>;

/** The real statement behind a wrapped one (for `batch`). */
const realOf = new WeakMap<object, Recorded>();

function changed(result: D1Result): boolean {
  return (result.meta?.changes ?? 0) > 0 || (result.results?.length ?? 0) > 0;
}

function statement(real: D1PreparedStatement, sql: string, args: unknown[], mirror: Mirror): D1PreparedStatement {
  const write = WRITE.test(sql);
  const returning = RETURNING.test(sql);
  const always = SAME_WHATEVER_THE_ROW.test(sql);
  const after = async <T>(result: T, didChange: boolean): Promise<T> => {
    if (write && (didChange || always)) await mirror([{ sql, args }]);
    return result;
  };
  const wrapped = {
    bind: (...values: unknown[]) => statement(real.bind(...values), sql, values, mirror),
    run: async () => {
      const result = await real.run();
      return after(result, changed(result));
    },
    all: async () => {
      const result = await real.all();
      return after(result, changed(result));
    },
    // `first` and `raw` give no change count: with RETURNING, a returned row is the change;
    // without it, the write is repeated (it is one of the commuting kinds above).
    first: async (column?: string) => {
      const row = column === undefined ? await real.first() : await real.first(column);
      return after(row, !returning || row !== null);
    },
    raw: async (options?: { columnNames?: boolean }) => {
      const rows = (await real.raw(options as { columnNames: true })) as unknown[];
      return after(rows, !returning || rows.length > (options?.columnNames ? 1 : 0));
    },
  } as unknown as D1PreparedStatement;
  realOf.set(wrapped, { real, sql, args });
  return wrapped;
}

interface Preparer {
  prepare(query: string): D1PreparedStatement;
  batch<T>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
}

/** `prepare` and `batch` of `target`, with the writes that changed rows repeated through `mirror`. */
function mirroredPreparer(target: Preparer, mirror: Mirror) {
  return {
    prepare: (query: string) => statement(target.prepare(query), query, [], mirror),
    batch: async <T>(statements: D1PreparedStatement[]) => {
      const recorded = statements.map((s) => realOf.get(s));
      const results = await target.batch<T>(statements.map((s, i) => recorded[i]?.real ?? s));
      const writes = recorded.flatMap((r, i) =>
        r && WRITE.test(r.sql) && (changed(results[i]!) || SAME_WHATEVER_THE_ROW.test(r.sql)) ? [{ sql: r.sql, args: r.args }] : [],
      );
      if (writes.length > 0) await mirror(writes);
      return results;
    },
  };
}

/** Runs `writes` on each mirror shard, in one batch per shard; a failure is logged, never thrown. */
function mirrorTo(mirrors: Shard[], projectId: string): Mirror {
  return async (writes) => {
    await Promise.all(
      mirrors.map(async (shard) => {
        try {
          const statements = writes.map((w) => shard.db.prepare(w.sql).bind(...w.args));
          await (statements.length === 1 ? statements[0]!.run() : shard.db.batch(statements));
        } catch (err) {
          console.warn(
            JSON.stringify({
              msg: "mirror write failed",
              projectId,
              shard: shard.name,
              statements: writes.length,
              error: String(err).slice(0, 200),
            }),
          );
        }
      }),
    );
  };
}

/** `primary` (the project's shard under `D1_SHARDS`) with its writes mirrored to `mirrors`. */
export function mirroredDatabase(primary: D1Database, mirrors: Shard[], projectId: string): D1Database {
  const mirror = mirrorTo(mirrors, projectId);
  const preparer = mirroredPreparer(primary, mirror);
  return {
    ...preparer,
    exec: (query: string) => primary.exec(query),
    dump: () => primary.dump(),
    withSession: (constraint?: string) => {
      const session = primary.withSession(constraint);
      return { ...mirroredPreparer(session, mirror), getBookmark: () => session.getBookmark() } as D1DatabaseSession;
    },
  } as D1Database;
}
