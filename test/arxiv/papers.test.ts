import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ArxivEntry } from "../../src/arxiv/feed";
import { parseFeed } from "../../src/arxiv/feed";
import { getPaper, recordPage, setPaperDocument } from "../../src/arxiv/papers";
import { projectDb } from "../../src/db/shards";
import { queryPages } from "./fixtures";

const recordedEntries = queryPages.flatMap((p) => parseFeed(p.body).entries);

/** `n` entries: the recorded ones, then copies under generated ids (every tenth old-style). */
function entries(n: number): ArxivEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const base = recordedEntries[i % recordedEntries.length]!;
    if (i < recordedEntries.length) return base;
    const paperId = i % 10 === 5 ? `solv-int/99${String(i).padStart(5, "0")}` : `2501.${10000 + i}`;
    return { ...base, paperId, version: 1, versionedId: `${paperId}v1` };
  });
}

/** The project's shard, counting every statement prepared and every round trip. */
function countingDb(projectId: string) {
  const db = projectDb(env, projectId);
  const counts = { statements: 0, roundTrips: 0 };
  const counted = {
    prepare: (query: string) => {
      counts.statements++;
      return db.prepare(query);
    },
    batch: <T>(statements: D1PreparedStatement[]) => {
      counts.roundTrips++;
      return db.batch<T>(statements);
    },
  } as unknown as D1Database;
  return { db: counted, counts };
}

const changes = (outcomes: { change: string }[]) => outcomes.reduce<Record<string, number>>((m, o) => ({ ...m, [o.change]: (m[o.change] ?? 0) + 1 }), {});

describe("recordPage (arxiv_papers)", () => {
  it("costs the same two statements and one round trip for a page of 10 and of 100 entries", async () => {
    for (const size of [10, 100]) {
      const { db, counts } = countingDb(`papers-cost-${size}`);
      const first = await recordPage(db, `papers-cost-${size}`, entries(size));
      expect(changes(first)).toEqual({ created: size });
      expect(counts).toEqual({ statements: 2, roundTrips: 1 });
      const again = await recordPage(db, `papers-cost-${size}`, entries(size));
      expect(changes(again)).toEqual({ unchanged: size });
      expect(counts).toEqual({ statements: 4, roundTrips: 2 });
    }
  });

  it("classifies a second harvest: unchanged, a new version (download), a metadata-only change (no download)", async () => {
    const project = "papers-versions";
    const db = projectDb(env, project);
    const page = entries(40);
    const created = await recordPage(db, project, page);
    expect(created.every((o) => o.change === "created" && o.needsDownload && o.previousVersion === null)).toBe(true);

    const second = page.map((e, i) => {
      if (i === 3) return { ...e, version: e.version + 1, versionedId: `${e.paperId}v${e.version + 1}` };
      if (i === 7) return { ...e, title: `${e.title} (revised title)` };
      if (i === 35) return { ...e, doi: "10.1000/changed" };
      return e;
    });
    const outcomes = await recordPage(db, project, second);
    expect(changes(outcomes)).toEqual({ unchanged: 37, updated: 3 });
    expect(outcomes[3]).toMatchObject({ change: "updated", needsDownload: true, previousVersion: page[3]!.version, version: page[3]!.version + 1 });
    expect(outcomes[7]).toMatchObject({ change: "updated", needsDownload: false });
    expect(outcomes[35]).toMatchObject({ change: "updated", needsDownload: false, paperId: "solv-int/9900035" });
    expect(await getPaper(db, project, page[7]!.paperId)).toMatchObject({ title: `${page[7]!.title} (revised title)` });
    expect(await getPaper(db, project, page[3]!.paperId)).toMatchObject({ version: page[3]!.version + 1 });
  });

  it("never goes back to an older version, and counts it unchanged", async () => {
    const project = "papers-older";
    const db = projectDb(env, project);
    const [e] = entries(1);
    await recordPage(db, project, [{ ...e!, version: 3 }]);
    const [older] = await recordPage(db, project, [{ ...e!, version: 2, title: "an older title" }]);
    expect(older).toMatchObject({ change: "unchanged", needsDownload: false, previousVersion: 3 });
    expect(await getPaper(db, project, e!.paperId)).toMatchObject({ version: 3, title: e!.title });
  });

  it("keeps projects apart: the same paper is created once per project", async () => {
    const page = entries(5);
    await recordPage(projectDb(env, "papers-a"), "papers-a", page);
    expect(changes(await recordPage(projectDb(env, "papers-b"), "papers-b", page))).toEqual({ created: 5 });
  });

  it("classifies a paper that comes twice in one page once, by its highest version", async () => {
    const [e] = entries(1);
    const outcomes = await recordPage(projectDb(env, "papers-dup"), "papers-dup", [e!, { ...e!, version: e!.version + 1 }]);
    expect(outcomes.map((o) => o.version)).toEqual([e!.version + 1, e!.version + 1]);
  });
});

describe("setPaperDocument", () => {
  it("points the paper at the new version's document and returns the one it replaced", async () => {
    const project = "papers-docs";
    const db = projectDb(env, project);
    const [e] = entries(1);
    await recordPage(db, project, [e!]);
    expect(await setPaperDocument(db, project, e!.paperId, e!.version, "doc-1")).toEqual({ applied: true, replaced: null });
    await recordPage(db, project, [{ ...e!, version: e!.version + 1 }]);
    const [outcome] = await recordPage(db, project, [{ ...e!, version: e!.version + 1 }]);
    expect(outcome).toMatchObject({ change: "unchanged", documentId: "doc-1" });
    expect(await setPaperDocument(db, project, e!.paperId, e!.version + 1, "doc-2")).toEqual({ applied: true, replaced: "doc-1" });
    // A slow item of the older version finishing late does not take the paper back.
    expect(await setPaperDocument(db, project, e!.paperId, e!.version, "doc-late")).toEqual({ applied: false, replaced: null });
    expect(await getPaper(db, project, e!.paperId)).toMatchObject({ document_id: "doc-2" });
  });
});
