import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";

const withVars = (vars: Record<string, string | undefined>) => loadConfig({ ...env, ...vars });

describe("webhook config (fails fast)", () => {
  it("requires WEBHOOK_SECRET_KEY unless local dev allows http://localhost", () => {
    expect(() => withVars({ WEBHOOK_SECRET_KEY: undefined })).toThrow(ConfigError);
    expect(() => withVars({ WEBHOOK_SECRET_KEY: undefined, WEBHOOK_ALLOW_HTTP_LOCALHOST: "true" })).not.toThrow();
  });

  it("refuses a key that is not base64 of 32 bytes, and a flag that is not true/false", () => {
    expect(() => withVars({ WEBHOOK_SECRET_KEY: btoa("short") })).toThrow("WEBHOOK_SECRET_KEY must be base64 of exactly 32 bytes (AES-256)");
    expect(() => withVars({ WEBHOOK_SECRET_KEY: "%%%" })).toThrow(ConfigError);
    expect(() => withVars({ WEBHOOK_ALLOW_HTTP_LOCALHOST: "yes" })).toThrow('WEBHOOK_ALLOW_HTTP_LOCALHOST must be true or false, got "yes"');
    expect(() => withVars({ WEBHOOK_RETRY_DELAYS_MS: "5,x" })).toThrow(ConfigError);
  });

  it("defaults to the DESIGN §9 schedule and a 10 s timeout", () => {
    const c = withVars({ WEBHOOK_RETRY_DELAYS_MS: undefined, WEBHOOK_TIMEOUT_MS: undefined }).webhooks;
    expect(c.retryDelaysMs).toEqual([5_000, 60_000, 600_000, 3_600_000, 21_600_000]);
    expect(c.timeoutMs).toBe(10_000);
    expect(c.allowHttpLocalhost).toBe(false);
  });
});
