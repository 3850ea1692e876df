import { env } from "cloudflare:workers";
import { projectDb } from "../../src/db/shards";
import { describe, expect, it } from "vitest";
import { documentListQueries } from "../../src/documents/document-store";
import { call, createJob, drive, getJob, problem, token } from "../helpers";

const P = "proj_doclist";
const listPath = (project = P) => `/api/projects/${project}/documents`;

interface DocItem {
  id: string;
  projectId: string;
  createdAt: string;
  contentHash: string;
  language: string | null;
  duplicateOf: string | null;
}
interface DocPage {
  items: DocItem[];
  nextCursor: string | null;
  total: number;
}

/** Document rows as a completing job writes them, several in the same millisecond. */
async function seed(project: string, rows: { id: string; createdAt: number; hash?: string; language?: string | null; duplicateOf?: string | null }[]) {
  await projectDb(env, P).batch(
    rows.map((r) =>
      projectDb(env, P)
        .prepare(
          `INSERT INTO documents (id, project_id, job_id, title, mime_type, page_count, character_count, chunk_count, content_hash,
           simhash, band0, band1, band2, band3, language, duplicate_of, text_key, created_at)
         VALUES (?, ?, ?, 't', 'text/plain', NULL, 1, 1, ?, NULL, NULL, NULL, NULL, NULL, ?, ?, 'k', ?)`,
        )
        .bind(r.id, project, `job-${r.id}`, r.hash ?? "0".repeat(64), r.language ?? null, r.duplicateOf ?? null, r.createdAt),
    ),
  );
}

async function pages(t: string, query: string, limit: number): Promise<{ ids: string[]; totals: number[] }> {
  const ids: string[] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  do {
    const res = await call(`${listPath()}?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ""}`, { token: t });
    expect(res.status).toBe(200);
    const page = await res.json<DocPage>();
    ids.push(...page.items.map((d) => d.id));
    totals.push(page.total);
    cursor = page.nextCursor;
  } while (cursor);
  return { ids, totals };
}

describe("GET /api/projects/{projectId}/documents", () => {
  const base = Date.UTC(2026, 0, 1);
  const hash = "a".repeat(64);
  const rows = [
    ...Array.from({ length: 7 }, (_, i) => ({ id: `doc-same-${i}`, createdAt: base + 5, language: "en" })),
    { id: "doc-old", createdAt: base, hash, language: "de" },
    { id: "doc-new", createdAt: base + 10, hash, language: "en", duplicateOf: "doc-old" },
  ];

  it("lists newest first across pages, never skipping or repeating rows that share a millisecond", async () => {
    await seed(P, rows);
    const t = await token({ projects: [P], roles: ["viewer"] });
    const { ids, totals } = await pages(t, "", 3);
    const expected = [...rows].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map((r) => r.id);
    expect(ids).toEqual(expected);
    expect(new Set(totals)).toEqual(new Set([rows.length]));
    const first = await (await call(`${listPath()}?limit=1`, { token: t })).json<DocPage>();
    expect(first.items[0]).toMatchObject({
      id: "doc-new",
      projectId: P,
      contentHash: hash,
      language: "en",
      duplicateOf: "doc-old",
      createdAt: new Date(base + 10).toISOString(),
    });
  });

  it("filters by contentHash, language and duplicateOf, combined with AND", async () => {
    const t = await token({ projects: [P] });
    expect((await pages(t, `&contentHash=${hash}`, 50)).ids).toEqual(["doc-new", "doc-old"]);
    expect((await pages(t, "&language=de", 50)).ids).toEqual(["doc-old"]);
    expect((await pages(t, "&duplicateOf=doc-old", 50)).ids).toEqual(["doc-new"]);
    const both = await (await call(`${listPath()}?language=en&contentHash=${hash}`, { token: t })).json<DocPage>();
    expect(both).toMatchObject({ total: 1, nextCursor: null });
    expect((await pages(t, "&language=fr", 50)).ids).toEqual([]);
  });

  it("lists documents that jobs produced", async () => {
    const project = "proj_doclist_jobs";
    const t = await token({ projects: [project] });
    const job = await createJob(t, project, "A document from a job.");
    await drive(job.id);
    const done = await getJob(t, project, job.id);
    const page = await (await call(listPath(project), { token: t })).json<DocPage>();
    expect(page).toMatchObject({ total: 1, nextCursor: null, items: [{ id: done.canonicalDocumentId, projectId: project }] });
  });

  it("finds documents by a prefix of their job's source path or file name (q), paging within the match", async () => {
    const project = "proj_doclist_q";
    const t = await token({ projects: [project] });
    const files = [
      { sourcePath: "docs/guide/README.md", filename: "README.md" },
      { sourcePath: "docs/api/README.md", filename: "README.md" },
      { sourcePath: "notes/todo.txt", filename: "todo.txt" },
      { sourcePath: "Docs/upper.txt", filename: "upper.txt" },
    ];
    const docOf = new Map<string, string>();
    for (const [i, f] of files.entries()) {
      const job = await createJob(t, project, `Document number ${i}: ${f.sourcePath}.`, { filename: f.filename, query: { sourcePath: f.sourcePath } });
      await drive(job.id);
      docOf.set(f.sourcePath, (await getJob(t, project, job.id)).canonicalDocumentId as string);
    }
    const found = async (q: string, limit = 50) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let total = -1;
      do {
        const res = await call(`${listPath(project)}?limit=${limit}&q=${encodeURIComponent(q)}${cursor ? `&cursor=${cursor}` : ""}`, { token: t });
        expect(res.status, q).toBe(200);
        const page = await res.json<DocPage>();
        ids.push(...page.items.map((d) => d.id));
        total = page.total;
        cursor = page.nextCursor;
      } while (cursor);
      expect(total, q).toBe(ids.length);
      return new Set(ids);
    };
    const docs = (...paths: string[]) => new Set(paths.map((p) => docOf.get(p)));
    expect(await found("docs/")).toEqual(docs("docs/guide/README.md", "docs/api/README.md"));
    expect(await found("docs/", 1)).toEqual(docs("docs/guide/README.md", "docs/api/README.md"));
    expect(await found("docs/guide/")).toEqual(docs("docs/guide/README.md"));
    expect(await found("README")).toEqual(docs("docs/guide/README.md", "docs/api/README.md"));
    expect(await found("todo")).toEqual(docs("notes/todo.txt"));
    expect(await found("Docs/")).toEqual(docs("Docs/upper.txt"));
    expect(await found("guide")).toEqual(new Set());
    // Combined with the other filters by AND.
    expect((await found("docs/")).size).toBe(2);
    const withLanguage = await (await call(`${listPath(project)}?q=todo&language=xx`, { token: t })).json<DocPage>();
    expect(withLanguage).toMatchObject({ total: 0, items: [] });
  });

  it("refuses an empty or over-long q with 400, and a cursor issued for another q", async () => {
    const t = await token({ projects: [P] });
    for (const q of ["q=", `q=${"a".repeat(257)}`]) {
      const res = await call(`${listPath()}?${q}`, { token: t });
      expect(res.status, q).toBe(400);
      expect((await problem(res)).detail, q).toMatch(/file name or source path/);
    }
    const first = await (await call(`${listPath()}?limit=1`, { token: t })).json<DocPage>();
    expect(first.nextCursor).toBeTruthy();
    const res = await call(`${listPath()}?limit=1&q=doc&cursor=${first.nextCursor}`, { token: t });
    expect((await problem(res)).detail).toMatch(/Invalid cursor/);
  });

  it("refuses a bad, altered or foreign cursor and a bad limit or hash with 400", async () => {
    const t = await token({ projects: [P] });
    const first = await (await call(`${listPath()}?limit=2`, { token: t })).json<DocPage>();
    const cursor = first.nextCursor!;
    for (const q of [
      "cursor=garbage",
      `cursor=${cursor.slice(0, -2)}xx`,
      `cursor=${cursor}&language=en`, // issued for other filters
      "limit=0",
      "limit=101",
      "contentHash=XYZ",
    ]) {
      const res = await call(`${listPath()}?${q}`, { token: t });
      expect(res.status, q).toBe(400);
      expect((await problem(res)).detail, q).toBeTruthy();
    }
    expect((await problem(await call(`${listPath()}?cursor=${cursor}&contentHash=${hash}`, { token: t }))).detail).toMatch(/Invalid cursor/);
  });

  it("is 401 without a token and 403 for a project outside the token; never shows another project's rows", async () => {
    await seed("proj_doclist_other", [{ id: "doc-other", createdAt: base }]);
    expect((await call(listPath())).status).toBe(401);
    const t = await token({ projects: [P] });
    const res = await call(listPath("proj_doclist_other"), { token: t });
    expect(res.status).toBe(403);
    expect((await problem(res)).detail).toBe(`This token does not grant project "proj_doclist_other" (its projects: "${P}"); use a token that lists it.`);
    expect((await pages(t, "", 100)).ids).not.toContain("doc-other");
  });

  it("serves every page and count from an index whose left prefix is project_id", async () => {
    const filterSets = [{}, { contentHash: hash }, { language: "en" }, { duplicateOf: "doc-old" }, { q: "docs/" }, { q: "docs/", language: "en" }];
    for (const filters of filterSets) {
      for (const after of [null, { createdAt: base + 5, id: "doc-same-3" }]) {
        for (const q of documentListQueries(projectDb(env, P), P, filters, after, 10)) {
          const { sql, params } = q.toSQL();
          const plan = await projectDb(env, P)
            .prepare(`EXPLAIN QUERY PLAN ${sql}`)
            .bind(...params)
            .all<{ detail: string }>();
          const details = plan.results.map((r) => r.detail).join(" | ");
          expect(details, `${JSON.stringify(filters)} ${sql}`).toMatch(/USING (COVERING )?INDEX documents_project_/);
          expect(details).not.toMatch(/SCAN documents(?! USING)/);
          expect(details).not.toMatch(/USE TEMP B-TREE/);
          // The search's job lookup is index ranges, never a scan of the project's jobs.
          expect(details).not.toMatch(/SCAN jobs/);
          if ("q" in filters)
            expect(details).toMatch(/INDEX jobs_project_source_path.*INDEX jobs_project_filename|INDEX jobs_project_filename.*INDEX jobs_project_source_path/);
        }
      }
    }
  });
});
