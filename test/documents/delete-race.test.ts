import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { projectDb } from "../../src/db/shards";
import { chunkTableKey, textKey } from "../../src/storage-keys";
import { call, createJob, drive, getJob, problem, token } from "../helpers";

const P = "proj_doc_delete";
const docPath = (id: string) => `/api/projects/${P}/documents/${id}`;

async function completed(t: string, text: string, query: Record<string, string> = {}) {
  const job = await createJob(t, P, text, { filename: "doc.md", type: "text/markdown", query });
  await drive(job.id);
  const done = await getJob(t, P, job.id);
  expect(done.status).toBe("COMPLETED");
  return done.canonicalDocumentId!;
}

describe("DELETE /api/projects/{projectId}/documents/{documentId} and its readers", () => {
  it("answers 404, not 500, to a chunks read whose objects went between reading the row and reading them", async () => {
    const t = await token({ projects: [P] });
    for (const key of [textKey, chunkTableKey]) {
      const id = await completed(t, "Some text to chunk. ".repeat(200));
      // The state a reader meets mid-delete when the objects go first: the row, and no object.
      await env.BUCKET.delete(key(P, id));
      const res = await call(`${docPath(id)}/chunks`, { token: t });
      expect(res.status, key.name).toBe(404);
      expect((await problem(res)).detail).toBe("Document not found");
    }
  });

  it("removes the row before the objects, and a repeated DELETE removes objects a stopped delete left", async () => {
    const t = await token({ projects: [P] });
    const id = await completed(t, "Other text to chunk. ".repeat(200));
    // A delete that stopped after its first step: the row is gone, the objects remain.
    await projectDb(env, P).prepare("DELETE FROM documents WHERE id = ?").bind(id).run();
    expect((await call(`${docPath(id)}/chunks`, { token: t })).status).toBe(404);
    expect((await call(docPath(id), { method: "DELETE", token: t })).status).toBe(404);
    expect(await env.BUCKET.head(textKey(P, id))).toBeNull();
    expect(await env.BUCKET.head(chunkTableKey(P, id))).toBeNull();
  });

  it("clears duplicateOf on the documents that named the deleted one", async () => {
    const t = await token({ projects: [P] });
    const text = Array.from({ length: 200 }, (_, i) => `Line ${i} about harbours, ships and the tide.`).join(" ");
    const original = await completed(t, text, { isDeepScan: "true" });
    const copy = await completed(t, text, { isDeepScan: "true" });
    expect((await (await call(docPath(copy), { token: t })).json<{ duplicateOf: string | null }>()).duplicateOf).toBe(original);
    expect((await call(docPath(original), { method: "DELETE", token: t })).status).toBe(204);
    expect((await (await call(docPath(copy), { token: t })).json<{ duplicateOf: string | null }>()).duplicateOf).toBeNull();
  });
});
