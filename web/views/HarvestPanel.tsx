/**
 * An arXiv harvest's own view inside its batch (DESIGN §14): the counters the seed
 * reports, what was asked and what arXiv ran, and a paper's title linked to its arXiv
 * abstract page. Titles come from arXiv's feeds: they are rendered as text, never markup,
 * and a link is only made to an http(s) address.
 */
import { harvestStats, ranQuery } from "../../src/client/arxiv";
import type { Batch, BatchItem } from "../../src/client/types";

/** `url` when it is an http(s) address, else null (a feed could carry `javascript:`). */
export function safeHref(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

export function HarvestPanel({ batch }: { batch: Batch }) {
  const s = harvestStats(batch);
  const ran = ranQuery(s);
  const source = batch.source as { query?: string | null; idList?: string[] | null; maxResults?: number; processPdfs?: boolean };
  const fields: [string, string | number][] = [
    ["Papers fetched", s.papers_fetched],
    ["Papers created", s.papers_created],
    ["Papers updated", s.papers_updated],
    ["Papers unchanged", s.papers_unchanged],
    ["PDFs downloaded", s.pdfs_downloaded],
    ["PDFs processed", s.pdfs_processed],
    ["Errors", batch.errors.length],
    ["Pages read", s.pages],
  ];
  const asked = [source.query, source.idList?.length ? `ids ${source.idList.join(", ")}` : null].filter(Boolean).join(" + ");
  return (
    <section class="harvest" aria-label="arXiv harvest">
      <p>
        arXiv query: <code>{asked}</code>
        {ran && ran !== source.query && (
          <>
            {" "}
            <span class="muted">(arXiv ran</span> <code>{ran}</code>
            <span class="muted">)</span>
          </>
        )}
        {source.maxResults !== undefined && <span class="muted"> · at most {source.maxResults} papers</span>}
        {source.processPdfs === false && <span class="muted"> · metadata only, no PDFs</span>}
      </p>
      <dl class="fields harvest-counters">
        {fields.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/** A harvested paper: its title linked to its arXiv abstract page. */
export function PaperTitle({ item }: { item: Pick<BatchItem, "title" | "sourceUrl"> }) {
  if (!item.title) return null;
  const href = safeHref(item.sourceUrl);
  return href ? (
    <a class="paper-title" href={href} target="_blank" rel="noopener noreferrer">
      {item.title}
    </a>
  ) : (
    <span class="paper-title">{item.title}</span>
  );
}
