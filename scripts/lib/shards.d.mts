/** Types of `shards.mjs`. */
export function d1Shards(configPath?: string | URL): { binding: string; name: string }[];
export function fnv1a32(text: string): number;
export function shardIndex(projectId: string, count: number): number;
