/**
 * A chunk's `contentHash`: hex SHA-256 of its UTF-8 text, computed natively and
 * synchronously (`node:crypto` under `nodejs_compat` in workerd, and in Node). One
 * `await crypto.subtle.digest` per chunk cost far more than the hash itself (in Node it
 * is a thread-pool round trip per call).
 */
import { createHash } from "node:crypto";

export function chunkHash(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
