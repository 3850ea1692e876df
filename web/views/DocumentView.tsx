/**
 * A document: its facts, its text with every loaded chunk's start marked, and the chunk
 * list paging through the cursor (more on scroll). Each chunk's text is exactly
 * `text.slice(charStart, charEnd)` (UTF-16 offsets), so marks go where the slices begin.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { errorDetail, type Api } from "../api";
import { formatTime } from "../format";
import { formatRoute } from "../route";
import type { Chunk, Document as DocumentInfo } from "../../src/client/types";

/** Longest text shown in full; past it the view shows the start and says so. */
const MAX_SHOWN_CHARS = 2_000_000;

/** The text cut at each chunk's start, a mark before each piece that starts a chunk. */
function markedText(text: string, chunks: Chunk[]) {
  const starts = [...chunks].sort((a, b) => a.charStart - b.charStart || a.ordinal - b.ordinal);
  const out: preact.ComponentChildren[] = [];
  let at = 0;
  for (const c of starts) {
    const start = Math.min(c.charStart, text.length);
    if (start > at) out.push(text.slice(at, start));
    at = Math.max(at, start);
    out.push(
      <mark
        key={`m${c.ordinal}`}
        id={`chunk-${c.ordinal}`}
        class="chunk-mark"
        data-ordinal={c.ordinal}
        title={`Chunk ${c.ordinal}: characters ${c.charStart}–${c.charEnd}`}
      >
        {c.ordinal}
      </mark>,
    );
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

export function DocumentView({ api, documentId }: { api: Api; documentId: string }) {
  const [doc, setDoc] = useState<DocumentInfo | null>(null);
  const [text, setText] = useState<string | null>(null);
  const [chunks, setChunks] = useState<Chunk[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const loading = useRef(false);
  const sentinel = useRef<HTMLDivElement>(null);

  const loadChunks = async (from: string | null | undefined) => {
    if (loading.current || from === null) return;
    loading.current = true;
    try {
      const page = await api.chunks(documentId, from);
      setChunks((all) => [...all, ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(errorDetail(err));
    } finally {
      loading.current = false;
    }
  };
  const more = useRef(() => loadChunks(cursor));
  more.current = () => loadChunks(cursor);

  useEffect(() => {
    api.getDocument(documentId).then(setDoc, (err) => setError(errorDetail(err)));
    api.documentText(documentId).then(setText, (err) => setError(errorDetail(err)));
    void loadChunks(undefined);
  }, [api, documentId]);

  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void more.current();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [doc]);

  if (!doc) {
    return (
      <section class="card">
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : (
          <p>Loading…</p>
        )}
      </section>
    );
  }
  const shown = text === null ? null : text.slice(0, MAX_SHOWN_CHARS);
  return (
    <div class="document-view">
      <section class="card" aria-labelledby="doc-title">
        <p>
          <a href={formatRoute({ view: "job", projectId: api.projectId, jobId: doc.jobId })}>← Job</a>
        </p>
        <h1 id="doc-title">{doc.title || "(untitled)"}</h1>
        <dl class="fields">
          <div>
            <dt>Language</dt>
            <dd>{doc.language ?? "unknown"}</dd>
          </div>
          <div>
            <dt>Duplicate of</dt>
            <dd>
              {doc.duplicateOf ? <a href={formatRoute({ view: "document", projectId: api.projectId, documentId: doc.duplicateOf })}>{doc.duplicateOf}</a> : "—"}
            </dd>
          </div>
          <div>
            <dt>Characters</dt>
            <dd>{doc.characterCount.toLocaleString()}</dd>
          </div>
          <div>
            <dt>Chunks</dt>
            <dd data-chunk-count={doc.chunkCount}>{doc.chunkCount.toLocaleString()}</dd>
          </div>
          <div>
            <dt>Pages</dt>
            <dd>{doc.pageCount ?? "—"}</dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>{doc.mimeType}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatTime(doc.createdAt)}</dd>
          </div>
          <div>
            <dt>SHA-256</dt>
            <dd>
              <code class="hash">{doc.contentHash}</code>
            </dd>
          </div>
        </dl>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>
      <div class="doc-columns">
        <section class="card" aria-labelledby="text-title">
          <h2 id="text-title">Text</h2>
          <p class="muted">
            Numbered marks show where each chunk begins ({chunks.length.toLocaleString()} of {doc.chunkCount.toLocaleString()} chunks loaded
            {text !== null && text.length > MAX_SHOWN_CHARS ? `; first ${MAX_SHOWN_CHARS.toLocaleString()} characters shown` : ""}).
          </p>
          {shown === null ? (
            <p>Loading text…</p>
          ) : (
            <pre class="doc-text" tabIndex={0} aria-label="Document text">
              {markedText(shown, chunks)}
            </pre>
          )}
        </section>
        <section class="card" aria-labelledby="chunks-title">
          <h2 id="chunks-title">Chunks</h2>
          <ol class="chunks">
            {chunks.map((c) => (
              <li key={c.ordinal} data-ordinal={c.ordinal}>
                <button type="button" class="link" onClick={() => document.getElementById(`chunk-${c.ordinal}`)?.scrollIntoView({ block: "center" })}>
                  Chunk {c.ordinal}
                </button>{" "}
                <span class="muted">
                  {c.charStart}–{c.charEnd}
                  {c.page !== null ? ` · page ${c.page}` : ""}
                </span>
                <p class="chunk-text">{c.text.length > 280 ? `${c.text.slice(0, 280)}…` : c.text}</p>
              </li>
            ))}
          </ol>
          <div ref={sentinel} class="sentinel" aria-hidden="true" />
          {cursor && (
            <button type="button" class="secondary more" onClick={() => void loadChunks(cursor)}>
              More chunks
            </button>
          )}
        </section>
      </div>
    </div>
  );
}
