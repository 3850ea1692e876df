/** Types of `reshard.mjs`. */
import type { D1Database } from "./shards.mjs";

export const PAGE_ROWS: number;
export function plan(fromList: string, toList: string): { n: number; from: D1Database[]; to: D1Database[] };

export interface BackfillStats {
  projects: number;
  pages: number;
  copied: Record<string, number>;
  pruned: Record<string, number>;
  resumed: boolean;
}
export function backfill(options: {
  persistTo: string;
  from: string;
  to: string;
  cursorPath?: string | null;
  projects?: string[] | null;
  pageRows?: number;
  onProgress?: ((stats: BackfillStats) => void) | null;
}): Promise<BackfillStats>;

export interface TableSignature {
  count: number;
  maxVersion: number | null;
  hash: string;
}
export function verify(options: {
  persistTo: string;
  from: string;
  to: string;
  retries?: number;
  retryMs?: number;
}): Promise<{ projects: number; rows: Record<string, number>; mismatches: ({ project: string; table: string } & Record<string, unknown>)[] }>;
export function dropMoved(options: { persistTo: string; from: string; to: string; pageRows?: number }): Promise<Record<string, number>>;
export function rowCounts(options: { persistTo: string; list: string }): Record<string, Record<string, number>>;
export function cloneEmptyShard(persistTo: string, source: D1Database, targets: D1Database[]): void;
export function misplacedRows(options: { persistTo: string; list: string; projects: string[] }): number;
