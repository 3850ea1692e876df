import { env } from "cloudflare:workers";
import { projectDb } from "../../src/db/shards";
import { describe, expect, it } from "vitest";
import { call, jobsPath, problem, token } from "../helpers";
import { Problem } from "../../src/http/problem";
import { storeStreamedUpload } from "../../src/uploads/store-upload";

const P = "proj_short_body";

/** A body that sends `bytes` bytes, then fails as a dropped connection does (or just ends). */
function brokenBody(bytes: number, how: "error" | "close"): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      if (bytes > 0) c.enqueue(new Uint8Array(bytes).fill(0x61));
      if (how === "error") c.error(new Error("Network connection lost."));
      else c.close();
    },
  });
}

async function expectNothingStored(): Promise<void> {
  expect((await env.BUCKET.list({ prefix: `sources/${P}/` })).objects).toEqual([]);
  const jobs = await projectDb(env, P).prepare("SELECT count(*) AS n FROM jobs WHERE project_id = ?").bind(P).first<{ n: number }>();
  expect(jobs!.n).toBe(0);
}

describe("POST /jobs with a body shorter than its Content-Length", () => {
  for (const [bytes, how] of [
    [0, "error"],
    [10, "error"],
    [10, "close"],
    [4096, "error"],
    [4096, "close"],
  ] as const) {
    it(`answers 400 and stores nothing when the client sends ${bytes} of 20000 bytes, then ${how === "error" ? "drops the connection" : "closes"}`, async () => {
      const t = await token({ projects: [P] });
      const res = await call(`${jobsPath(P)}?filename=a.txt`, {
        method: "POST",
        token: t,
        body: brokenBody(bytes, how),
        headers: { "Content-Type": "text/plain", "Content-Length": "20000" },
      });
      expect(res.status).toBe(400);
      expect((await problem(res)).detail).toBe("The upload ended before 20000 bytes (its Content-Length) were received");
      await expectNothingStored();
    });
  }
});

describe("storeStreamedUpload with a body that fails", () => {
  for (const bytes of [0, 10, 4096]) {
    it(`throws a 400 problem and stores nothing when the stream errors after ${bytes} bytes`, async () => {
      const key = `sources/${P}/direct-${bytes}`;
      const err = await storeStreamedUpload(env, key, brokenBody(bytes, "error"), 20_000, "text/plain", "a.txt").then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Problem);
      expect((err as Problem).status).toBe(400);
      expect(await env.BUCKET.head(key)).toBeNull();
    });
  }
});
