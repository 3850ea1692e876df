/**
 * A project's arXiv papers in D1 (`arxiv_papers`, DESIGN §14): what a page of a harvest
 * is worth. Each page costs a constant number of D1 statements, never one per paper:
 * `recordPage` reads the page's existing rows and upserts them in one `batch` (one round
 * trip, atomic), two statements whatever the page's size. Both pass the page as one JSON
 * parameter read with `json_each`, which also keeps under D1's 100 bound parameters.
 *
 * An entry is `created` when the project has no row for its paper, `updated` when its
 * version is higher or the version is the same with other metadata, and `unchanged`
 * otherwise. Only created papers and new versions need their PDF. The upsert decides
 * with the same rule in SQL, inside the batch's transaction, so two harvests of the same
 * project at once cannot both create (or both update) one paper.
 */
import type { ArxivEntry } from "./feed";
import { sha256Hex } from "../pipeline/sha256";

export type PaperChange = "created" | "updated" | "unchanged";

export interface PaperOutcome {
  paperId: string;
  version: number;
  change: PaperChange;
  /** Created papers and new versions: their PDF is to be fetched and processed. */
  needsDownload: boolean;
  /** The version before this page (null for a created paper). */
  previousVersion: number | null;
  /** The document of the latest processed version before this page, if any. */
  documentId: string | null;
}

/**
 * SHA-256 of the metadata a same-version change can touch (title, abstract, authors,
 * categories, DOI, journal reference, comment), in a fixed order.
 */
export function metadataHash(entry: ArxivEntry): string {
  return sha256Hex(
    JSON.stringify([entry.title, entry.summary, entry.authors, entry.categories, entry.primaryCategory, entry.doi, entry.journalRef, entry.comment]),
  );
}

interface ExistingRow {
  paper_id: string;
  version: number;
  metadata_hash: string;
  document_id: string | null;
}

const READ_EXISTING = `SELECT paper_id, version, metadata_hash, document_id FROM arxiv_papers
  WHERE project_id = ?1 AND paper_id IN (SELECT value FROM json_each(?2))`;

// `WHERE true` lets SQLite parse ON CONFLICT after INSERT … SELECT (sqlite.org/lang_upsert.html).
const UPSERT_PAGE = `INSERT INTO arxiv_papers
  (project_id, paper_id, version, metadata_hash, title, authors, categories, published, updated, doi, document_id, updated_at)
  SELECT ?1, p.value ->> '$.paperId', p.value ->> '$.version', p.value ->> '$.hash', p.value ->> '$.title',
    p.value ->> '$.authors', p.value ->> '$.categories', p.value ->> '$.published', p.value ->> '$.updated',
    p.value ->> '$.doi', NULL, ?3
  FROM json_each(?2) AS p WHERE true
  ON CONFLICT (project_id, paper_id) DO UPDATE SET
    version = excluded.version, metadata_hash = excluded.metadata_hash, title = excluded.title,
    authors = excluded.authors, categories = excluded.categories, published = excluded.published,
    updated = excluded.updated, doi = excluded.doi, updated_at = excluded.updated_at
  WHERE excluded.version > arxiv_papers.version
    OR (excluded.version = arxiv_papers.version AND excluded.metadata_hash != arxiv_papers.metadata_hash)`;

/**
 * Classifies and records one page of entries for `projectId` (on that project's shard,
 * `projectDb`). Returns one outcome per entry, in the page's order; an entry whose paper
 * came twice in the page is classified once, by its highest version.
 */
export async function recordPage(db: D1Database, projectId: string, entries: readonly ArxivEntry[], now = Date.now()): Promise<PaperOutcome[]> {
  if (entries.length === 0) return [];
  const latest = new Map<string, ArxivEntry>();
  for (const e of entries) {
    const seen = latest.get(e.paperId);
    if (!seen || e.version > seen.version) latest.set(e.paperId, e);
  }
  const page = [...latest.values()].map((e) => ({
    paperId: e.paperId,
    version: e.version,
    hash: metadataHash(e),
    title: e.title,
    authors: JSON.stringify(e.authors),
    categories: JSON.stringify(primaryFirst(e)),
    published: e.published,
    updated: e.updated,
    doi: e.doi,
  }));
  const ids = JSON.stringify(page.map((p) => p.paperId));
  const [existing] = await db.batch<ExistingRow>([
    db.prepare(READ_EXISTING).bind(projectId, ids),
    db.prepare(UPSERT_PAGE).bind(projectId, JSON.stringify(page), now),
  ]);
  const before = new Map((existing?.results ?? []).map((r) => [r.paper_id, r]));
  const outcomes = new Map<string, PaperOutcome>();
  for (const p of page) outcomes.set(p.paperId, classify(p, before.get(p.paperId) ?? null));
  return entries.map((e) => outcomes.get(e.paperId)!);
}

/** The rule of DESIGN §14, the same as the upsert's `WHERE`. */
function classify(p: { paperId: string; version: number; hash: string }, row: ExistingRow | null): PaperOutcome {
  const base = { paperId: p.paperId, version: p.version, previousVersion: row?.version ?? null, documentId: row?.document_id ?? null };
  if (!row) return { ...base, change: "created", needsDownload: true };
  if (p.version > row.version) return { ...base, change: "updated", needsDownload: true };
  if (p.version === row.version && p.hash !== row.metadata_hash) return { ...base, change: "updated", needsDownload: false };
  return { ...base, change: "unchanged", needsDownload: false };
}

/**
 * Points a paper at the document built from `version`'s PDF, unless a newer version's
 * document got there first. Returns the document it replaced (for the caller to delete),
 * or null when there was none or the paper kept a newer one.
 */
export async function setPaperDocument(
  db: D1Database,
  projectId: string,
  paperId: string,
  version: number,
  documentId: string,
  now = Date.now(),
): Promise<{ replaced: string | null; applied: boolean }> {
  const [before, after] = await db.batch<{ document_id: string | null; version: number }>([
    db.prepare("SELECT document_id, version FROM arxiv_papers WHERE project_id = ?1 AND paper_id = ?2").bind(projectId, paperId),
    db
      .prepare(
        "UPDATE arxiv_papers SET document_id = ?3, updated_at = ?5 WHERE project_id = ?1 AND paper_id = ?2 AND version <= ?4 RETURNING document_id, version",
      )
      .bind(projectId, paperId, documentId, version, now),
  ]);
  const applied = (after?.results.length ?? 0) > 0;
  const previous = before?.results[0]?.document_id ?? null;
  return { applied, replaced: applied && previous !== documentId ? previous : null };
}

/** Reads one paper's row (for routes and tests). */
export async function getPaper(db: D1Database, projectId: string, paperId: string) {
  return db.prepare("SELECT * FROM arxiv_papers WHERE project_id = ?1 AND paper_id = ?2").bind(projectId, paperId).first<Record<string, unknown>>();
}

function primaryFirst(e: ArxivEntry): string[] {
  if (!e.primaryCategory) return e.categories;
  return [e.primaryCategory, ...e.categories.filter((c) => c !== e.primaryCategory)];
}
