import { describe, expect, it } from "vitest";
import { call, createJob, drive, jobsPath, sha256Hex, token } from "../helpers";

const P = "proj_deleted_document";

async function completedJob(t: string, text: string) {
  const job = await createJob(t, P, text);
  await drive(job.id);
  const res = await call(`${jobsPath(P)}/${job.id}`, { token: t });
  return res.json<{ id: string; canonicalDocumentId: string; documentDeleted?: boolean; fingerprint: string }>();
}

describe("DELETE /documents/{documentId}, seen from the job that produced it", () => {
  it("keeps the job's canonicalDocumentId and says documentDeleted: true, in GET and in the list", async () => {
    const t = await token({ projects: [P], roles: ["admin"] });
    const done = await completedJob(t, "A document that its owner deletes later.");
    expect(done.canonicalDocumentId).toBeTruthy();
    expect(done.documentDeleted).toBeUndefined();

    const del = await call(`/api/projects/${P}/documents/${done.canonicalDocumentId}`, { method: "DELETE", token: t });
    expect(del.status).toBe(204);

    const after = await (await call(`${jobsPath(P)}/${done.id}`, { token: t })).json<typeof done>();
    expect(after).toMatchObject({ id: done.id, canonicalDocumentId: done.canonicalDocumentId, documentDeleted: true });
    const listed = await (await call(`${jobsPath(P)}?limit=100`, { token: t })).json<{ items: (typeof done)[] }>();
    expect(listed.items.find((j) => j.id === done.id)).toMatchObject({ canonicalDocumentId: done.canonicalDocumentId, documentDeleted: true });
    expect((await call(`/api/projects/${P}/documents/${done.canonicalDocumentId}`, { token: t })).status).toBe(404);
  });

  it("no longer offers the job to POST /ingest/lookup, so the file is uploaded again", async () => {
    const t = await token({ projects: [P], roles: ["admin"] });
    const text = "A file whose document is gone must not be skipped.";
    const done = await completedJob(t, text);
    const sha256 = await sha256Hex(text);
    const lookup = () =>
      call(`/api/projects/${P}/ingest/lookup`, {
        method: "POST",
        token: t,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ items: [{ sha256 }] }),
      });
    const before = await (await lookup()).json<{ items: { jobId: string | null }[] }>();
    expect(before.items[0]!.jobId).toBe(done.id);
    expect((await call(`/api/projects/${P}/documents/${done.canonicalDocumentId}`, { method: "DELETE", token: t })).status).toBe(204);
    const after = await (await lookup()).json<{ items: { jobId: string | null }[] }>();
    expect(after.items[0]!.jobId).toBeNull();
  });
});
