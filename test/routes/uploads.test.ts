import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createJob, jobsPath, problem, token } from "../helpers";

const P = "proj_up";

async function sourceObjects(): Promise<string[]> {
  const listed = await env.BUCKET.list({ prefix: `sources/${P}/` });
  return listed.objects.map((o) => o.key);
}

function raw(t: string, body: BodyInit | null, headers: Record<string, string>, query = "filename=a.txt") {
  return call(`${jobsPath(P)}?${query}`, { method: "POST", token: t, body, headers });
}

describe("POST /jobs: multipart", () => {
  it("creates a job from a multipart form with fields", async () => {
    const t = await token({ projects: [P] });
    const form = new FormData();
    form.set("file", new File(["<html><body><p>Hi &amp; bye</p></body></html>"], "page.html", { type: "text/html" }));
    form.set("sourceId", "src_9");
    form.set("isDeepScan", "true");
    form.set("chunkSize", "300");
    const res = await call(jobsPath(P), { method: "POST", token: t, body: form });
    expect(res.status).toBe(201);
    const job = await res.json<Record<string, unknown>>();
    expect(job).toMatchObject({ originalFilename: "page.html", sourcePath: "page.html", sourceId: "src_9", mimeType: "text/html", isDeepScan: true });
    expect(job.options).toEqual({ chunkSize: 300, chunkOverlap: 30 });
    const stored = await env.BUCKET.get(`sources/${P}/${job.id}`);
    expect(await stored!.text()).toContain("Hi &amp; bye");
  });

  it("is 400 without a file field, for an empty file, and for bad fields", async () => {
    const t = await token({ projects: [P] });
    const noFile = new FormData();
    noFile.set("sourceId", "x");
    expect((await call(jobsPath(P), { method: "POST", token: t, body: noFile })).status).toBe(400);
    const empty = new FormData();
    empty.set("file", new File([], "e.txt", { type: "text/plain" }));
    const res = await call(jobsPath(P), { method: "POST", token: t, body: empty });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toBe("The uploaded file is empty");
    const badField = new FormData();
    badField.set("file", new File(["abc"], "a.txt", { type: "text/plain" }));
    badField.set("chunkSize", "7");
    expect((await call(jobsPath(P), { method: "POST", token: t, body: badField })).status).toBe(400);
  });
});

describe("POST /jobs: raw streaming upload", () => {
  it("streams the body to R2 byte for byte", async () => {
    const t = await token({ projects: [P] });
    const bytes = new Uint8Array(300_000).map((_, i) => 97 + (i % 26));
    const job = await createJob(t, P, bytes, { filename: "big.txt" });
    const stored = await env.BUCKET.get(`sources/${P}/${job.id}`);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(bytes);
    expect(job.byteSize).toBe(bytes.byteLength);
  });

  it("is 411 without Content-Length, 400 when empty, 413 over MAX_UPLOAD_BYTES", async () => {
    const t = await token({ projects: [P] });
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("abc"));
        c.close();
      },
    });
    const noLength = await raw(t, stream, { "Content-Type": "text/plain" });
    expect(noLength.status).toBe(411);
    expect((await problem(noLength)).detail).toMatch(/Content-Length/);

    const empty = await raw(t, "", { "Content-Type": "text/plain", "Content-Length": "0" });
    expect(empty.status).toBe(400);
    expect((await problem(empty)).detail).toBe("The uploaded file is empty");

    const huge = await raw(t, null, { "Content-Type": "text/plain", "Content-Length": String(104_857_601) });
    expect(huge.status).toBe(413);
    expect((await problem(huge)).detail).toMatch(/too large/);
    expect(await sourceObjects()).toEqual(expect.not.arrayContaining([expect.stringContaining("undefined")]));
  });

  it("checks the type by the first bytes: 415 for binary content whatever is declared", async () => {
    const t = await token({ projects: [P] });
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const before = await sourceObjects();
    for (const [body, type, pattern] of [
      [png, "text/plain", /image\/png/],
      [new Uint8Array([0x41, 0x00, 0x42, 0x43]), "text/plain", /binary/],
      [new TextEncoder().encode("just text"), "application/pdf", /not a PDF/],
      [new TextEncoder().encode("{}"), "image/jpeg", /Unsupported file type/],
    ] as const) {
      const res = await raw(t, body, { "Content-Type": type, "Content-Length": String(body.byteLength) });
      expect(res.status, type).toBe(415);
      expect((await problem(res)).detail).toMatch(pattern);
    }
    expect(await sourceObjects()).toEqual(before);
  });

  it("recognises PDF, Markdown and HTML by bytes, type and extension", async () => {
    const t = await token({ projects: [P] });
    const pdf = await createJob(t, P, "%PDF-1.4\n%fake but magic\n", { filename: "x.bin", type: "application/octet-stream" });
    expect(pdf.mimeType).toBe("application/pdf");
    const md = await createJob(t, P, "# Hello", { filename: "readme.md", type: "application/octet-stream" });
    expect(md.mimeType).toBe("text/markdown");
    const html = await createJob(t, P, "<!DOCTYPE html><html></html>", { filename: "page", type: "application/octet-stream" });
    expect(html.mimeType).toBe("text/html");
  });

  it("leaves no job row and no object when the body ends before Content-Length", async () => {
    const t = await token({ projects: [P] });
    const before = await sourceObjects();
    const listBefore = await (await call(`${jobsPath(P)}?limit=100`, { token: t })).json<{ total: number }>();
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("only ten b"));
        c.close();
      },
    });
    const res = await raw(t, stream, { "Content-Type": "text/plain", "Content-Length": "5000" });
    expect(res.status).toBe(400);
    expect((await problem(res)).detail).toMatch(/ended before 5000 bytes/);
    expect(await sourceObjects()).toEqual(before);
    const listAfter = await (await call(`${jobsPath(P)}?limit=100`, { token: t })).json<{ total: number }>();
    expect(listAfter.total).toBe(listBefore.total);
  });
});

describe("Idempotency-Key", () => {
  it("returns the first job (200) for the same key and file, 409 for another file", async () => {
    const t = await token({ projects: [P] });
    const headers = { "Idempotency-Key": "key-1" };
    const first = await createJob(t, P, "same bytes", { headers });
    const again = await raw(t, "same bytes", { "Content-Type": "text/plain", "Content-Length": "10", ...headers });
    expect(again.status).toBe(200);
    expect((await again.json<{ id: string }>()).id).toBe(first.id);
    const other = await raw(t, "other byte", { "Content-Type": "text/plain", "Content-Length": "10", ...headers });
    expect(other.status).toBe(409);
    expect((await problem(other)).detail).toMatch(/different file/);
    // Only the first upload is kept.
    expect((await sourceObjects()).filter((k) => k.endsWith(first.id))).toHaveLength(1);
  });

  it("returns 409 for the same key and file with other options, and the first job for the same options", async () => {
    const t = await token({ projects: [P] });
    const headers = { "Idempotency-Key": "key-options" };
    const first = await createJob(t, P, "same bytes", { headers, query: { chunkSize: "500", isDeepScan: "true", sourceId: "crawl-1" } });
    const same = (query: string) => raw(t, "same bytes", { "Content-Type": "text/plain", "Content-Length": "10", ...headers }, `filename=a.txt&${query}`);
    const again = await same("chunkSize=500&isDeepScan=true&sourceId=crawl-1");
    expect(again.status).toBe(200);
    expect((await again.json<{ id: string }>()).id).toBe(first.id);
    for (const other of [
      "chunkSize=800&isDeepScan=true&sourceId=crawl-1",
      "chunkSize=500&chunkOverlap=10&isDeepScan=true&sourceId=crawl-1",
      "chunkSize=500&sourceId=crawl-1",
      "chunkSize=500&isDeepScan=true&sourceId=crawl-2",
    ]) {
      const res = await same(other);
      expect(res.status, other).toBe(409);
      expect((await problem(res)).detail).toMatch(/other options \(chunkSize, chunkOverlap, isDeepScan, sourceId\)/);
    }
  });

  it("creates exactly one job when concurrent requests share a key", async () => {
    const t = await token({ projects: [P] });
    const headers = { "Content-Type": "text/plain", "Content-Length": "12", "Idempotency-Key": "race-key" };
    const responses = await Promise.all(Array.from({ length: 5 }, () => raw(t, "racing bytes", headers)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 201]);
    const ids = new Set(await Promise.all(responses.map(async (r) => (await r.json<{ id: string }>()).id)));
    expect(ids.size).toBe(1);
  });

  it("scopes keys to the project", async () => {
    const t = await token({ projects: [P, "proj_other"] });
    const headers = { "Idempotency-Key": "shared" };
    const a = await createJob(t, P, "abc", { headers });
    const b = await createJob(t, "proj_other", "abc", { headers });
    expect(a.id).not.toBe(b.id);
  });
});
