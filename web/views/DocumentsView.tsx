/**
 * The project's documents, newest first: a search by the start of a file name or source
 * path (the list route's `q`) and filters by language, duplicate and content hash, all in
 * the URL; more pages through the API's cursor.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { errorDetail, type Api } from "../api";
import { formatAge } from "../format";
import { formatRoute, type DocumentSearch } from "../route";
import type { Document } from "../../src/client/types";

const FIELDS: { key: keyof DocumentSearch; label: string; hint: string }[] = [
  { key: "q", label: "File name or path starts with", hint: "docs/guide/ or README" },
  { key: "language", label: "Language", hint: "en" },
  { key: "duplicateOf", label: "Duplicates of (document id)", hint: "any" },
  { key: "contentHash", label: "Content hash (SHA-256)", hint: "64 hex digits" },
];

export function DocumentsView({ api, filters }: { api: Api; filters: DocumentSearch }) {
  const [items, setItems] = useState<Document[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const generation = useRef(0);
  const filtersKey = JSON.stringify(filters);

  const load = async (from: string | null) => {
    const mine = generation.current;
    setLoading(true);
    try {
      const page = await api.listDocuments(filters, from);
      if (mine !== generation.current) return;
      setItems((all) => (from ? [...all, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setTotal(page.total);
      setError(null);
    } catch (err) {
      if (mine === generation.current) setError(errorDetail(err));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  };

  useEffect(() => {
    generation.current++;
    setItems([]);
    setTotal(null);
    void load(null);
  }, [api, filtersKey]);

  const search = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const next: DocumentSearch = {};
    for (const { key } of FIELDS) {
      const v = String(form.get(key) ?? "").trim();
      if (v) next[key] = v;
    }
    location.hash = formatRoute({ view: "documents", projectId: api.projectId, filters: next });
  };
  const filtered = Object.keys(filters).length > 0;

  return (
    <section class="card documents-view" aria-labelledby="documents-title">
      <div class="section-head">
        <h1 id="documents-title">Documents</h1>
        {total !== null && <span class="muted">{total} in all</span>}
      </div>
      <form class="filters" role="search" aria-label="Search documents" onSubmit={search} key={filtersKey}>
        {FIELDS.map(({ key, label, hint }) => (
          <label key={key}>
            {label}
            <input name={key} type="search" defaultValue={filters[key] ?? ""} placeholder={hint} autocomplete="off" spellcheck={false} />
          </label>
        ))}
        <div class="filter-buttons">
          <button type="submit">Search</button>
          {filtered && (
            <a class="button secondary" href={formatRoute({ view: "documents", projectId: api.projectId, filters: {} })}>
              Clear
            </a>
          )}
        </div>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table class="jobs documents">
        <thead>
          <tr>
            <th scope="col">Title</th>
            <th scope="col">Language</th>
            <th scope="col">Chunks</th>
            <th scope="col">Characters</th>
            <th scope="col">Duplicate of</th>
            <th scope="col">Age</th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id} data-document-id={d.id}>
              <td data-label="Title" class="file">
                <a href={formatRoute({ view: "document", projectId: api.projectId, documentId: d.id })}>{d.title || d.id}</a>
              </td>
              <td data-label="Language">{d.language ?? "unknown"}</td>
              <td data-label="Chunks">{d.chunkCount.toLocaleString()}</td>
              <td data-label="Characters">{d.characterCount.toLocaleString()}</td>
              <td data-label="Duplicate of">
                {d.duplicateOf ? (
                  <a
                    href={formatRoute({ view: "documents", projectId: api.projectId, filters: { duplicateOf: d.duplicateOf } })}
                    title="Documents that duplicate the same original"
                  >
                    {d.duplicateOf.slice(0, 8)}…
                  </a>
                ) : (
                  "—"
                )}
              </td>
              <td data-label="Age">
                <time dateTime={d.createdAt} title={d.createdAt}>
                  {formatAge(d.createdAt)}
                </time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {total === 0 && <p class="empty">No documents{filtered ? " match this search" : " yet"}.</p>}
      {cursor && (
        <button type="button" class="secondary more" disabled={loading} onClick={() => void load(cursor)}>
          Load more documents
        </button>
      )}
    </section>
  );
}
