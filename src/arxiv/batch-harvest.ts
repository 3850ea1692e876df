/**
 * An arxiv batch's own state in the IngestBatch object's SQLite storage: the harvest
 * (request, cursor, counters: `HarvestState`, one JSON row, checkpointed after every
 * page) and what each item is for (the paper and version whose PDF it ingests). The
 * batch calls `harvestStep` and commits its result here and in its items in one
 * transaction, so a page is never recorded without its items, nor the other way round.
 * Every method is synchronous.
 */
import type { HarvestState, PaperItem } from "./harvest-step";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS arxiv_harvest (
  k INTEGER PRIMARY KEY CHECK (k = 1),
  state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS arxiv_items (
  item_id TEXT PRIMARY KEY,
  paper TEXT NOT NULL,
  -- 1: its job completed and the paper is still to be pointed at its document
  to_link INTEGER NOT NULL DEFAULT 0
);
`;

export class BatchHarvest {
  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(SCHEMA);
  }

  private get sql() {
    return this.storage.sql;
  }

  /** Starts the harvest (once: a repeated create keeps the first). */
  begin(state: HarvestState): void {
    this.sql.exec("INSERT OR IGNORE INTO arxiv_harvest (k, state) VALUES (1, ?)", JSON.stringify(state));
  }

  state(): HarvestState | null {
    const row = this.sql.exec<{ state: string }>("SELECT state FROM arxiv_harvest WHERE k = 1").toArray()[0];
    return row ? (JSON.parse(row.state) as HarvestState) : null;
  }

  /**
   * Commits a harvest step's state. The step ran from a copy read before it awaited the
   * gate and D1; the PDF counters moved meanwhile (downloads and completed items are
   * counted here, not by the step), so the stored ones are kept.
   */
  save(state: HarvestState): void {
    const stored = this.state()?.stats;
    const stats = stored ? { ...state.stats, pdfs_downloaded: stored.pdfs_downloaded, pdfs_processed: stored.pdfs_processed } : state.stats;
    this.write({ ...state, stats });
  }

  private write(state: HarvestState): void {
    this.sql.exec("UPDATE arxiv_harvest SET state = ? WHERE k = 1", JSON.stringify(state));
  }

  /** True while pages remain to be read. */
  active(): boolean {
    const state = this.state();
    return state !== null && !state.cursor.done;
  }

  addItem(itemId: string, paper: PaperItem): void {
    this.sql.exec("INSERT OR IGNORE INTO arxiv_items (item_id, paper) VALUES (?, ?)", itemId, JSON.stringify(paper));
  }

  item(itemId: string): PaperItem | null {
    const row = this.sql.exec<{ paper: string }>("SELECT paper FROM arxiv_items WHERE item_id = ?", itemId).toArray()[0];
    return row ? (JSON.parse(row.paper) as PaperItem) : null;
  }

  /** A PDF reached R2 (`pdfs_downloaded`). */
  countDownload(): void {
    this.bump("pdfs_downloaded");
  }

  /**
   * An item's job completed (`pdfs_processed`; only for items of this harvest): its paper
   * is to be pointed at the new document (`toLink`). Returns whether it is one of ours.
   */
  completed(itemId: string): boolean {
    if (!this.item(itemId)) return false;
    this.bump("pdfs_processed");
    this.sql.exec("UPDATE arxiv_items SET to_link = 1 WHERE item_id = ?", itemId);
    return true;
  }

  /** Completed items whose paper is not yet pointed at their document. */
  toLink(limit = 50): { itemId: string; paper: PaperItem }[] {
    return this.sql
      .exec<{ item_id: string; paper: string }>("SELECT item_id, paper FROM arxiv_items WHERE to_link = 1 LIMIT ?", limit)
      .toArray()
      .map((r) => ({ itemId: r.item_id, paper: JSON.parse(r.paper) as PaperItem }));
  }

  linked(itemId: string): void {
    this.sql.exec("UPDATE arxiv_items SET to_link = 0 WHERE item_id = ?", itemId);
  }

  /** The counters for the batch's `stats`, with the canonical query arXiv reported. */
  stats(): Record<string, number | string> {
    const state = this.state();
    if (!state) return {};
    return { ...state.stats, ...(state.cursor.canonicalQuery ? { canonical_query: state.cursor.canonicalQuery } : {}) };
  }

  /** A harvest that ended early without failing the batch (empty pages). */
  softError(): { code: string; message: string } | null {
    const error = this.state()?.cursor.error;
    return error && !error.fatal ? { code: error.code, message: error.message } : null;
  }

  private bump(counter: "pdfs_downloaded" | "pdfs_processed"): void {
    const state = this.state();
    if (!state) return;
    this.write({ ...state, stats: { ...state.stats, [counter]: state.stats[counter] + 1 } });
  }
}
