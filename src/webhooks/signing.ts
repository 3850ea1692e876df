/**
 * Standard Webhooks headers for one attempt, signed with the `standardwebhooks`
 * package's own `Webhook#sign` (pure JavaScript HMAC-SHA256: it runs in workerd as is).
 */
import { Webhook } from "standardwebhooks";

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

const signers = new Map<string, Webhook>();

/** Headers for `body` sent as delivery `id` at `at`, signed with `secret` (`whsec_…`). */
export function signedHeaders(secret: string, id: string, at: Date, body: string): SignedHeaders {
  let signer = signers.get(secret);
  if (!signer) {
    if (signers.size >= 1000) signers.clear();
    signer = new Webhook(secret);
    signers.set(secret, signer);
  }
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signer.sign(id, at, body),
  };
}
