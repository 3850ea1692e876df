import { env } from "cloudflare:workers";
import { projectDb } from "../../src/db/shards";
import { describe, expect, it } from "vitest";
import { call, jobsPath, problem, token } from "../helpers";

const P = "proj_fields";

async function nothingStored(): Promise<void> {
  expect((await env.BUCKET.list({ prefix: `sources/${P}/` })).objects).toEqual([]);
  const rows = await projectDb(env, P).prepare("SELECT count(*) AS n FROM jobs WHERE project_id = ?").bind(P).first<{ n: number }>();
  expect(rows!.n).toBe(0);
}

function rawCreate(t: string, query: Record<string, string>, headers: Record<string, string> = {}) {
  const body = new TextEncoder().encode("small text body");
  return call(`${jobsPath(P)}?${new URLSearchParams(query)}`, {
    method: "POST",
    token: t,
    body,
    headers: { "Content-Type": "text/plain", "Content-Length": String(body.byteLength), ...headers },
  });
}

describe("every text field of a job is bounded", () => {
  it("answers a raw upload 400 naming the field that is too long, storing nothing", async () => {
    const t = await token({ projects: [P] });
    const cases: [Record<string, string>, Record<string, string>, string][] = [
      [{ filename: "f".repeat(256) }, {}, "filename must be 1 to 255 characters"],
      [{ filename: "a.txt", sourceId: "s".repeat(201) }, {}, "sourceId must be 1 to 200 characters"],
      [{ filename: "a.txt", sourcePath: "p".repeat(1025) }, {}, "sourcePath must be 1 to 1024 characters"],
      [{ filename: "a.txt" }, { "Idempotency-Key": "k".repeat(256) }, "Idempotency-Key must be 1 to 255 characters, visible ASCII only"],
    ];
    for (const [query, headers, detail] of cases) {
      const res = await rawCreate(t, query, headers);
      expect(res.status, detail).toBe(400);
      expect((await problem(res)).detail).toBe(detail);
    }
    await nothingStored();
  });

  it("answers a multipart upload 400 for a 2 MB file name or an over-long field, storing nothing", async () => {
    const t = await token({ projects: [P] });
    const longName = new FormData();
    longName.set("file", new File(["hello"], `${"n".repeat(2_000_000)}.txt`, { type: "text/plain" }));
    let res = await call(jobsPath(P), { method: "POST", token: t, body: longName });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toBe("The file's name: filename must be 1 to 255 characters");

    const longField = new FormData();
    longField.set("file", new File(["hello"], "a.txt", { type: "text/plain" }));
    longField.set("sourcePath", "p".repeat(5000));
    res = await call(jobsPath(P), { method: "POST", token: t, body: longField });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toBe("sourcePath must be 1 to 1024 characters");
    await nothingStored();
  });

  it("accepts each field at its longest", async () => {
    const t = await token({ projects: [P] });
    const form = new FormData();
    form.set("file", new File(["hello"], `${"n".repeat(251)}.txt`, { type: "text/plain" }));
    form.set("sourceId", "s".repeat(200));
    form.set("sourcePath", "p".repeat(1024));
    const res = await call(jobsPath(P), { method: "POST", token: t, body: form, headers: { "Idempotency-Key": "k".repeat(255) } });
    expect(res.status).toBe(201);
    const job = await res.json<{ originalFilename: string; sourcePath: string }>();
    expect(job.originalFilename).toHaveLength(255);
    expect(job.sourcePath).toHaveLength(1024);
  });
});
