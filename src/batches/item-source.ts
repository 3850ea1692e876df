/**
 * What a reader is shown of an item's source beside its reference: an arXiv item's paper
 * title and abstract page (from the paper the harvest recorded for it), a URL item's URL.
 * Upload items have neither.
 */
import type { BatchHarvest } from "../arxiv/batch-harvest";
import type { BatchItemRow } from "./batch-store";
import type { BatchKind } from "./lifecycle";

export interface ItemSource {
  /** The paper's title as arXiv gave it (plain text, never markup). */
  title: string | null;
  /** Where the source lives: an arXiv abstract page, or the URL that was fetched. */
  sourceUrl: string | null;
}

export function itemSource(kind: BatchKind, item: BatchItemRow, harvest: BatchHarvest): ItemSource {
  if (kind === "urls") return { title: null, sourceUrl: item.ref };
  if (kind !== "arxiv") return { title: null, sourceUrl: null };
  const paper = harvest.item(item.id);
  return paper ? { title: paper.title, sourceUrl: paper.absUrl } : { title: null, sourceUrl: null };
}
