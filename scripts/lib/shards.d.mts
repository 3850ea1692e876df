/** Types of `shards.mjs`. */
export interface D1Database {
  binding: string;
  name: string;
  id: string;
}
export function d1Databases(configPath?: string | URL): D1Database[];
export function shardList(value: string, configPath?: string | URL): D1Database[];
export function d1Shards(configPath?: string | URL): D1Database[];
export function localD1File(persistTo: string, databaseId: string): string;
export function fnv1a32(text: string): number;
export function shardIndex(projectId: string, count: number): number;
