/**
 * Webhook signing secrets: `whsec_` + base64 of 32 random bytes (the Standard Webhooks
 * format), shown to the caller only at creation and rotation, and stored encrypted with
 * AES-GCM under `WEBHOOK_SECRET_KEY`, so a dump of D1 alone does not reveal them. The
 * subscription id is the GCM additional data: a ciphertext copied onto another
 * subscription's row does not decrypt.
 */

export const SECRET_PREFIX = "whsec_";
/** Standard Webhooks: secrets of 24 to 64 bytes; 32 matches HMAC-SHA256's block of output. */
const SECRET_BYTES = 32;
/** AES-GCM's recommended 96-bit nonce (NIST SP 800-38D §5.2.1.1). */
const IV_BYTES = 12;
const VERSION = "v1";

/** A new random signing secret. */
export function generateSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

const keys = new Map<string, Promise<CryptoKey>>();

/** The AES-256-GCM key from config (base64 of 32 bytes), imported once per isolate. */
function aesKey(rawBase64: string): Promise<CryptoKey> {
  let key = keys.get(rawBase64);
  if (!key) {
    key = crypto.subtle.importKey("raw", fromBase64(rawBase64), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    keys.set(rawBase64, key);
  }
  return key;
}

/** `v1.<iv>.<ciphertext>`, both base64; bound to `subscriptionId`. */
export async function encryptSecret(keyBase64: string, subscriptionId: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(subscriptionId) },
    await aesKey(keyBase64),
    new TextEncoder().encode(secret),
  );
  return `${VERSION}.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
}

/** The secret inside `sealed`; throws if it was altered, moved or sealed with another key. */
export async function decryptSecret(keyBase64: string, subscriptionId: string, sealed: string): Promise<string> {
  const [version, iv, data] = sealed.split(".");
  if (version !== VERSION || !iv || !data) throw new Error("unknown webhook secret format");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(iv), additionalData: new TextEncoder().encode(subscriptionId) },
    await aesKey(keyBase64),
    fromBase64(data),
  );
  return new TextDecoder().decode(plain);
}

export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
