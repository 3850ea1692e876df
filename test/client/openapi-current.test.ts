import { describe, expect, it } from "vitest";
import committed from "../../src/client/generated/openapi.json";
import { OPENAPI_SHA256 } from "../../src/client/generated/openapi";
import { call } from "../helpers";

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("the SDK's generated types", () => {
  it("were generated from the /openapi.json the Worker serves now (else run `npm run client:generate`)", async () => {
    const served = await (await call("/openapi.json")).json();
    expect(served, "src/client/generated/openapi.json is stale: run `npm run client:generate`").toEqual(committed);
  });

  it("match the committed openapi.json (else run `npm run client:generate`)", async () => {
    expect(await sha256(`${JSON.stringify(committed, null, 2)}\n`)).toBe(OPENAPI_SHA256);
  });
});
