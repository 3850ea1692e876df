/**
 * The RetentionPurger's own SQLite: its scan cursors, the version of the project overrides
 * it last scanned under, and what it has done so far (tests and `npm run capacity` read
 * it). Every method is synchronous.
 */
import { type ScanCursor, SCAN_START } from "./shard-scan";

/** What the purger has done since it was created. */
export interface PurgerStats {
  purgeAlarms: number;
  sweepAlarms: number;
  purgedJobs: number;
  purgedBatches: number;
  deletedClaims: number;
  nudgedJobs: number;
  /** D1 statements issued (scans and deletes). */
  d1Statements: number;
  /** Calls to other Durable Objects (purges, hub updates, nudges). */
  objectCalls: number;
  /** Rows the last purge alarm read. */
  lastPageRows: number;
}

const EMPTY_STATS: PurgerStats = {
  purgeAlarms: 0,
  sweepAlarms: 0,
  purgedJobs: 0,
  purgedBatches: 0,
  deletedClaims: 0,
  nudgedJobs: 0,
  d1Statements: 0,
  objectCalls: 0,
  lastPageRows: 0,
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS purger (
  k INTEGER PRIMARY KEY CHECK (k = 1),
  settings_version TEXT NOT NULL DEFAULT '',
  stats TEXT NOT NULL DEFAULT '{}'
);
INSERT OR IGNORE INTO purger (k) VALUES (1);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, at INTEGER NOT NULL, id TEXT NOT NULL);
`;

export class PurgerStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  /** The cursor `name`, or the start when there is none. */
  cursor(name: string): ScanCursor {
    const row = this.sql.exec<{ at: number; id: string }>("SELECT at, id FROM cursors WHERE name = ?", name).toArray()[0];
    return row ? { at: row.at, id: row.id } : SCAN_START;
  }

  saveCursor(name: string, cursor: ScanCursor): void {
    this.sql.exec(
      "INSERT INTO cursors (name, at, id) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET at = excluded.at, id = excluded.id",
      name,
      cursor.at,
      cursor.id,
    );
  }

  /** Drops the cursors whose name starts with `prefix`: their scans start over. */
  resetCursors(prefix: string): void {
    this.sql.exec("DELETE FROM cursors WHERE substr(name, 1, ?) = ?", prefix.length, prefix);
  }

  /** Records the overrides' version; true when it differs from the last one recorded. */
  settingsChanged(version: string): boolean {
    const stored = this.sql.exec<{ v: string }>("SELECT settings_version AS v FROM purger WHERE k = 1").one().v;
    if (version === stored) return false;
    this.sql.exec("UPDATE purger SET settings_version = ? WHERE k = 1", version);
    return true;
  }

  stats(): PurgerStats {
    const raw = this.sql.exec<{ stats: string }>("SELECT stats FROM purger WHERE k = 1").one().stats;
    return { ...EMPTY_STATS, ...(JSON.parse(raw) as Partial<PurgerStats>) };
  }

  saveStats(stats: PurgerStats): void {
    this.sql.exec("UPDATE purger SET stats = ? WHERE k = 1", JSON.stringify(stats));
  }
}
