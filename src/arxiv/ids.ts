/**
 * arXiv identifiers (https://info.arxiv.org/help/arxiv_identifier.html). Pure.
 *
 * New-style ids are `YYMM.NNNN` (2007–2014) or `YYMM.NNNNN` (2015 on); old-style ids are
 * `archive[.SC]/YYMMNNN` (`hep-ex/0406020`, `math.GT/0309136`, `solv-int/9901001`). A
 * version is `v<N>` at the very end. Old-style archive names may themselves contain a
 * `v` (`solv-int`), so a version is only ever taken from an anchored match of the
 * whole id, never by splitting on `v`.
 */

const NEW_STYLE = String.raw`\d{4}\.\d{4,5}`;
const OLD_STYLE = String.raw`[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7}`;

/** A paper id with an optional version, the whole string. */
const ID = new RegExp(String.raw`^(${NEW_STYLE}|${OLD_STYLE})(?:v([1-9]\d{0,3}))?$`);

/** The `<id>` of a feed entry: the abstract page URL of one version. */
const ENTRY_ID = new RegExp(String.raw`^https?://(?:export\.)?arxiv\.org/abs/(${NEW_STYLE}|${OLD_STYLE})v([1-9]\d{0,3})$`);

/** An arXiv id split into the paper and, when given, its version. */
export interface ArxivId {
  /** The paper without version: `2104.12255`, `solv-int/9901001`. */
  paperId: string;
  version: number | null;
}

/** Parses `2104.12255`, `2104.12255v2`, `hep-ex/0406020v1`; null when it is none of these. */
export function parseArxivId(text: string): ArxivId | null {
  const m = ID.exec(text.trim());
  if (!m) return null;
  return { paperId: m[1]!, version: m[2] ? Number(m[2]) : null };
}

/** Splits an entry id `http://arxiv.org/abs/<id>v<N>`; null when it is not one. */
export function parseEntryId(url: string): { paperId: string; version: number } | null {
  const m = ENTRY_ID.exec(url.trim());
  if (!m) return null;
  return { paperId: m[1]!, version: Number(m[2]) };
}

/** `2104.12255v2`: the form arXiv uses for one version (PDF links, `sourceId`). */
export function versionedId(paperId: string, version: number): string {
  return `${paperId}v${version}`;
}
