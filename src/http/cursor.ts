/**
 * Opaque, tamper-evident pagination cursors. A cursor is `payload.signature`, both
 * base64url; the HMAC-SHA256 signature covers the payload *and* the query's scope
 * (route, project, filters), so a cursor edited by hand, or reused with other
 * filters, fails verification and is refused as a bad request.
 */
import type { PageKey } from "../db/keyset";
import { badRequest } from "./problem";

/** A list's scope: the route's name, then whatever a cursor must not be reused across (project, filters, parent). */
export type CursorScope = readonly (string | null)[];

/** How a list's position is written into a cursor's payload and read back. */
export interface CursorPosition<P> {
  encode(position: P): unknown;
  /** The position, or null when the payload is not one. */
  decode(payload: unknown): P | null;
}

/** A newest-first keyset position, on the wire as `{c: createdAt ms, i: id}`. */
export const PAGE_KEY: CursorPosition<PageKey> = {
  encode: (k) => ({ c: k.createdAt, i: k.id }),
  decode(p) {
    if (typeof p !== "object" || p === null) return null;
    const { c, i } = p as Record<string, unknown>;
    return typeof c === "number" && Number.isSafeInteger(c) && typeof i === "string" ? { createdAt: c, id: i } : null;
  },
};

/** An ordinal (chunks are paged in document order), on the wire as the last ordinal served. */
export const ORDINAL: CursorPosition<number> = {
  encode: (n) => n,
  decode: (p) => (typeof p === "number" && Number.isSafeInteger(p) ? p : null),
};

const INVALID_CURSOR =
  "Invalid cursor: it is malformed, altered, or was issued for another list or other filters. Send the previous page's nextCursor with the same filters, or no cursor to start from the first page.";

/** The position in `cursor` (null without one); a cursor that is not valid for this scope is a 400 problem. */
export async function readCursor<P>(secret: string, scope: CursorScope, cursor: string | undefined, position: CursorPosition<P>): Promise<P | null> {
  if (cursor === undefined) return null;
  const decoded = position.decode(await decodeCursor(secret, JSON.stringify(scope), cursor));
  if (decoded === null) throw badRequest(INVALID_CURSOR);
  return decoded;
}

/** The cursor of the page after `next` (null: this was the last page). */
export async function writeCursor<P>(secret: string, scope: CursorScope, next: P | null, position: CursorPosition<P>): Promise<string | null> {
  return next === null ? null : encodeCursor(secret, JSON.stringify(scope), position.encode(next));
}

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(`edge-ingest cursor v1\u0000${secret}`), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

/** Signs `position` for use with exactly this `scope`. */
async function encodeCursor(secret: string, scope: string, position: unknown): Promise<string> {
  const payload = base64url(new TextEncoder().encode(JSON.stringify(position)));
  const sig = await crypto.subtle.sign("HMAC", await hmacKey(secret), signed(payload, scope));
  return `${payload}.${base64url(new Uint8Array(sig))}`;
}

/** The position inside a valid cursor for this `scope`, or null if it is not one. */
async function decodeCursor(secret: string, scope: string, cursor: string): Promise<unknown> {
  const [payload, sig, ...rest] = cursor.split(".");
  if (!payload || !sig || rest.length > 0) return null;
  const sigBytes = fromBase64url(sig);
  const payloadBytes = fromBase64url(payload);
  if (!sigBytes || !payloadBytes) return null;
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), sigBytes, signed(payload, scope));
  if (!valid) return null;
  try {
    return JSON.parse(new TextDecoder().decode(payloadBytes));
  } catch {
    return null;
  }
}

function signed(payload: string, scope: string): Uint8Array {
  return new TextEncoder().encode(`${payload}\u0000${scope}`);
}

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
