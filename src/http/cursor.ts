/**
 * Opaque, tamper-evident pagination cursors. A cursor is `payload.signature`, both
 * base64url; the HMAC-SHA256 signature covers the payload *and* the query's scope
 * (route, project, filters), so a cursor edited by hand, or reused with other
 * filters, fails verification and is refused as a bad request.
 */

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
export async function encodeCursor(secret: string, scope: string, position: unknown): Promise<string> {
  const payload = base64url(new TextEncoder().encode(JSON.stringify(position)));
  const sig = await crypto.subtle.sign("HMAC", await hmacKey(secret), signed(payload, scope));
  return `${payload}.${base64url(new Uint8Array(sig))}`;
}

/** The position inside a valid cursor for this `scope`, or null if it is not one. */
export async function decodeCursor(secret: string, scope: string, cursor: string): Promise<unknown> {
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
