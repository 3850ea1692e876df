/**
 * SHA-256 through the runtime's native implementation (`node:crypto`, synchronous in
 * workerd under `nodejs_compat` and in Node). No `await` per chunk: WebCrypto's
 * `digest` is asynchronous, and in Node it runs on the thread pool, which costs far
 * more than the hash of a small chunk.
 */
import * as nodeCrypto from "node:crypto";
import { createHash, type Hash } from "node:crypto";

type OneShot = (algorithm: string, data: string | Uint8Array, encoding: "hex") => string;
/** Node's one-shot `crypto.hash` (Node ≥ 21.7): no Hash object per call; absent in older runtimes. */
const oneShot = (nodeCrypto as { hash?: OneShot }).hash;

/** Hex SHA-256 of `data` (a string is hashed as its UTF-8 bytes). */
export function sha256Hex(data: string | Uint8Array): string {
  return oneShot ? oneShot("sha256", data, "hex") : createHash("sha256").update(data).digest("hex");
}

/** A native incremental SHA-256 (not serializable: it lives only in memory). */
export function sha256(): Hash {
  return createHash("sha256");
}
