import { env } from "cloudflare:workers";
import { projectDb } from "../../src/db/shards";
import { describe, expect, it } from "vitest";
import { call, createJob, drive, getJob, jobsPath, problem, token } from "../helpers";

const P = "proj_docs";
const docPath = (id: string, project = P) => `/api/projects/${project}/documents/${id}`;

async function completed(t: string, text: string, query: Record<string, string> = {}, filename = "doc.md") {
  const job = await createJob(t, P, text, { filename, type: "text/markdown", query });
  await drive(job.id);
  const done = await getJob(t, P, job.id);
  expect(done.status).toBe("COMPLETED");
  return done;
}

describe("documents routes", () => {
  it("pages through chunks with a signed cursor bound to the document", async () => {
    const t = await token({ projects: [P] });
    const done = await completed(t, "A sentence of text. ".repeat(2000), { chunkSize: "100", chunkOverlap: "0" });
    const id = done.canonicalDocumentId!;
    const first = await (await call(`${docPath(id)}/chunks?limit=10`, { token: t })).json<{ items: { ordinal: number }[]; nextCursor: string }>();
    expect(first.items.map((c) => c.ordinal)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const second = await (await call(`${docPath(id)}/chunks?limit=10&cursor=${first.nextCursor}`, { token: t })).json<{ items: { ordinal: number }[] }>();
    expect(second.items[0]!.ordinal).toBe(10);
    const other = await completed(t, "Different text here. ".repeat(50));
    const foreign = await call(`${docPath(other.canonicalDocumentId!)}/chunks?cursor=${first.nextCursor}`, { token: t });
    expect(foreign.status).toBe(400);
    expect((await problem(foreign)).detail).toMatch(/Invalid cursor/);
    expect((await call(`${docPath(id)}/chunks?limit=0`, { token: t })).status).toBe(400);
  });

  it("is 404 for unknown documents and for documents of another project; 403 outside the token's projects", async () => {
    const t = await token({ projects: [P, "proj_docs_b"] });
    const done = await completed(t, "Text for isolation.");
    for (const path of [docPath("nope"), docPath(done.canonicalDocumentId!, "proj_docs_b"), `${docPath("nope")}/text`, `${docPath("nope")}/chunks`]) {
      const res = await call(path, { token: t });
      expect(res.status, path).toBe(404);
      expect((await problem(res)).detail).toBe("Document not found");
    }
    const stranger = await token({ projects: ["elsewhere"] });
    expect((await call(docPath(done.canonicalDocumentId!), { token: stranger })).status).toBe(403);
  });

  it("keeps the document when its job is deleted, and removes text and chunks on DELETE", async () => {
    const t = await token({ projects: [P] });
    const done = await completed(t, "# Keep me\n\nThe document outlives its job.");
    const id = done.canonicalDocumentId!;
    expect((await call(`${jobsPath(P)}/${done.id}`, { method: "DELETE", token: t })).status).toBe(204);
    await drive(done.id); // the job's clean-up runs: the source goes, the document stays
    expect(await env.BUCKET.head(`sources/${P}/${done.id}`)).toBeNull();
    expect((await call(docPath(id), { token: t })).status).toBe(200);
    expect(await (await call(`${docPath(id)}/text`, { token: t })).text()).toContain("outlives its job");

    expect((await call(docPath(id), { method: "DELETE", token: await token({ projects: [P], roles: ["viewer"] }) })).status).toBe(403);
    expect((await call(docPath(id), { method: "DELETE", token: t })).status).toBe(204);
    expect((await call(docPath(id), { token: t })).status).toBe(404);
    expect((await env.BUCKET.list({ prefix: `documents/${P}/${id}` })).objects).toEqual([]);
    const rows = await projectDb(env, P).prepare("SELECT count(*) AS n FROM documents WHERE id = ?").bind(id).first<{ n: number }>();
    expect(rows!.n).toBe(0);
    expect((await call(docPath(id), { method: "DELETE", token: t })).status).toBe(404);
  });
});

describe("deep scan (ANALYZING)", () => {
  const base = Array.from({ length: 300 }, (_, i) => `Sentence ${i} talks about rivers, mountains and the weather in spring.`).join(" ");

  it("finds an exact duplicate by content hash, guesses the language and counts it", async () => {
    const t = await token({ projects: [P] });
    const original = await completed(t, base, { isDeepScan: "true" });
    const copy = await completed(t, base, { isDeepScan: "true" });
    const doc = await (await call(docPath(copy.canonicalDocumentId!), { token: t })).json<{ duplicateOf: string | null; language: string }>();
    expect(doc.duplicateOf).toBe(original.canonicalDocumentId);
    expect(doc.language).toBe("en");
    expect(copy.counters.duplicatesFound).toBe(1);
    const log = await (await call(`${jobsPath(P)}/${copy.id}/events`, { token: t })).json<{ items: { type: string; job: { stage: string } }[] }>();
    expect(log.items.filter((e) => e.type === "job.stage").map((e) => e.job.stage)).toEqual(["CHUNKING", "ANALYZING", "INDEXING"]);
  });

  it("finds a near-duplicate by SimHash, and nothing for unrelated text", async () => {
    const t = await token({ projects: [P] });
    const ships = Array.from({ length: 300 }, (_, i) => `Ship ${i} leaves the harbour at dawn with cargo for the northern ports.`).join(" ");
    const original = await completed(t, ships, { isDeepScan: "true" });
    const edited = ships.replace("Ship 150 leaves", "Ship 150 departs");
    const near = await completed(t, edited, { isDeepScan: "true" });
    const nearDoc = await (await call(docPath(near.canonicalDocumentId!), { token: t })).json<{ duplicateOf: string | null; contentHash: string }>();
    expect(nearDoc.duplicateOf).toBe(original.canonicalDocumentId);
    const unrelated = await completed(t, "Der schnelle braune Fuchs springt über den faulen Hund, und die Katze schläft auf dem Sofa. ".repeat(40), {
      isDeepScan: "true",
    });
    const doc = await (await call(docPath(unrelated.canonicalDocumentId!), { token: t })).json<{ duplicateOf: string | null; language: string }>();
    expect(doc.duplicateOf).toBeNull();
    expect(doc.language).toBe("de");
  });

  it("leaves language and duplicateOf empty without a deep scan", async () => {
    const t = await token({ projects: [P] });
    const plain = await completed(t, base);
    const doc = await (await call(docPath(plain.canonicalDocumentId!), { token: t })).json<{ duplicateOf: string | null; language: string | null }>();
    expect(doc).toMatchObject({ duplicateOf: null, language: null });
  });
});
