/** Types of `local-state.mjs`. */
import type { DatabaseSync } from "node:sqlite";

export function eachD1<T>(persistTo: string, fn: (db: DatabaseSync, file: string) => T): T[];
export function d1Bytes(persistTo: string): number;
export function d1Rows(persistTo: string, sql: string, ...params: unknown[]): Record<string, unknown>[];
export function r2Objects(persistTo: string): { key: string; size: number }[];
