import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { decryptSecret, encryptSecret, generateSecret } from "../../src/webhooks/secrets";
import { signedHeaders } from "../../src/webhooks/signing";

const KEY = btoa("k".repeat(32));

describe("webhook secrets", () => {
  it("are whsec_ + base64 of 32 random bytes, different every time", () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(a.slice(6)).length).toBe(32);
    expect(generateSecret()).not.toBe(a);
  });

  it("seal and open with AES-GCM; the sealed form does not contain the secret", async () => {
    const s = generateSecret();
    const sealed = await encryptSecret(KEY, "wh_1", s);
    expect(sealed).not.toContain(s.slice(6));
    expect(await decryptSecret(KEY, "wh_1", sealed)).toBe(s);
    expect(await encryptSecret(KEY, "wh_1", s)).not.toBe(sealed); // a fresh nonce each time
  });

  it("do not open with another key, on another subscription, or when altered", async () => {
    const sealed = await encryptSecret(KEY, "wh_1", generateSecret());
    await expect(decryptSecret(btoa("j".repeat(32)), "wh_1", sealed)).rejects.toThrow();
    await expect(decryptSecret(KEY, "wh_2", sealed)).rejects.toThrow();
    const flipped = sealed.slice(0, -3) + (sealed.at(-3) === "A" ? "B" : "A") + sealed.slice(-2);
    await expect(decryptSecret(KEY, "wh_1", flipped)).rejects.toThrow();
  });
});

describe("signedHeaders", () => {
  it("produce headers that standardwebhooks' own verify accepts", () => {
    const secret = generateSecret();
    const body = JSON.stringify({ type: "job.completed", seq: 7 });
    const headers = signedHeaders(secret, "msg_1", new Date(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual({ type: "job.completed", seq: 7 });
    expect(() => new Webhook(secret).verify(body + " ", { ...headers })).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, "webhook-id": "msg_2" })).toThrow();
  });
});
