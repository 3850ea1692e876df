/**
 * Token F1 between two texts: tokens are maximal runs of letters, marks and digits
 * (NFKC, lower-cased), compared as multisets. 1 means the same words the same number
 * of times, in any order (layout and reading order do not count).
 */
export function tokens(text) {
  return (
    text
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{M}\p{N}]+/gu) ?? []
  );
}

/** Token F1 of `text` against `reference` (both empty: 1). */
export function tokenF1(text, reference) {
  const a = tokens(text);
  const b = tokens(reference);
  if (a.length === 0 && b.length === 0) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  const counts = new Map();
  for (const t of b) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of a) {
    const n = counts.get(t);
    if (n) {
      common++;
      counts.set(t, n - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / a.length;
  const recall = common / b.length;
  return (2 * precision * recall) / (precision + recall);
}
