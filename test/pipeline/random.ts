/** A seeded PRNG (mulberry32) so generated test inputs are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [lo, hi]. */
export function int(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

/** One element of `xs`. */
export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** Sorted distinct cut points in (0, length) — `count` of them at most. */
export function cuts(r: () => number, length: number, count: number): number[] {
  const set = new Set<number>();
  for (let k = 0; k < count && length > 1; k++) set.add(int(r, 1, length - 1));
  return [...set].sort((a, b) => a - b);
}

/** `s` cut at `points`. */
export function splitAt(s: string, points: number[]): string[] {
  const parts: string[] = [];
  let prev = 0;
  for (const p of points) {
    parts.push(s.slice(prev, p));
    prev = p;
  }
  parts.push(s.slice(prev));
  return parts;
}
