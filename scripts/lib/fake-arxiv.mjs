/**
 * A fake arXiv (query API + PDFs) for tests, `npm run dev -- --fake-arxiv` and benchmarks.
 * One `handle(Request) → Response` function, so the same fake runs as a Node HTTP server
 * (scripts/fake-arxiv.mjs) and as the outbound service of the workerd test project.
 *
 * It serves the recorded responses in test/fixtures/arxiv/ verbatim when a request
 * matches one (same search_query or id_list, start, max_results), and otherwise feeds
 * generated from them: a corpus whose first papers are the recorded ones and whose others
 * are copies of them under generated ids (new-style and old-style, `solv-int/…`,
 * `hep-ex/0406020`), `total` papers long. Versions and titles can be changed between
 * harvests; ids in an id_list that are not in the corpus are left out (as arXiv does);
 * a malformed id gets arXiv's error feed with HTTP 400. `/pdf/<id>v<N>` serves a small
 * real PDF with the paper's title and abstract.
 *
 * Control (JSON over HTTP, the same host):
 * - `GET /__requests`: every request so far `{at, path, search, userAgent, ms}` (`at`: its
 *   arrival, epoch ms; `ms`: the fake's own time to build the answer, slow faults included);
 * - `POST /__control` `{total?, bump?: [paperId], retitle?: {paperId: title}, pageLimit?,
 *   faults?: [{on: "api"|"pdf", start?, id?, search?, fault, times?, retryAfter?, delayMs?, bytes?}]}`:
 *   changes the corpus and queues faults. `start`, `id` and `search` (a substring of the
 *   request's query string) narrow which request a fault hits. A fault is one of `503`
 *   (with `retryAfter` seconds when given), `429`, `empty` (a valid page with no
 *   entries), `slow` (answers after `delayMs`), `drop` (closes the connection without an
 *   answer), `html` (an HTML page with 200), `error` (arXiv's error feed with HTTP 400),
 *   `huge` (a PDF of `bytes` bytes with no Content-Length);
 * - `POST /__reset`: back to the defaults, requests forgotten.
 * Query flags do the same for one request: `&fake=503|429|empty|slow|drop|html`.
 */
import { readFileSync, readdirSync } from "node:fs";
import { buildPdf } from "../../test/fixtures/pdf.ts";

const FIXTURES = new URL("../../test/fixtures/arxiv/", import.meta.url);
/** What `handle` returns for a fault that must close the connection without an answer. */
export const DROP = Symbol("drop");

const ARXIV_ID = /^(\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?\/\d{7})(?:v(\d+))?$/;

function loadRecorded() {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES), "utf8")));
}

/** `<entry>` blocks of a feed with the versioned id each one is for. */
function entriesOf(body) {
  return [...body.matchAll(/<entry>[\s\S]*?<\/entry>/g)]
    .map((m) => m[0])
    .map((xml) => ({ xml, id: /<id>http:\/\/arxiv\.org\/abs\/([^<]+)<\/id>/.exec(xml)?.[1] }))
    .filter((e) => e.id);
}

const escapeXml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function createFakeArxiv() {
  const recorded = loadRecorded();
  const templates = [];
  for (const r of recorded) for (const e of entriesOf(r.body)) if (!templates.some((t) => t.id === e.id)) templates.push(e);
  const errorTemplate = recorded.find((r) => r.status_code === 400).body;
  const head = /^[\s\S]*?(?=<entry>)/.exec(recorded.find((r) => r.url.includes("search_query=testing")).body)[0];

  let state;
  function reset() {
    state = { total: templates.length + 200, versions: new Map(), titles: new Map(), pageLimit: null, faults: [], requests: [] };
  }
  reset();

  /** The paper id of corpus position `i`: the recorded papers, two known old-style ids, then generated ones. */
  function paperIdAt(i) {
    if (i < templates.length) return templates[i].id.replace(/v\d+$/, "");
    const extra = ["hep-ex/0406020", "solv-int/9901001"];
    if (i - templates.length < extra.length) return extra[i - templates.length];
    const n = i - templates.length - extra.length;
    if (n % 10 === 5) return `solv-int/99${String(n).padStart(5, "0")}`;
    if (n % 10 === 7) return `hep-ex/04${String(n).padStart(5, "0")}`;
    return `2501.${String(10000 + n)}`;
  }
  const positions = new Map();
  function positionOf(paperId) {
    if (positions.size < state.total) for (let i = positions.size; i < state.total; i++) positions.set(paperIdAt(i), i);
    const i = positions.get(paperId);
    return i !== undefined && i < state.total ? i : null;
  }

  /** The paper at corpus position `i`, at its current version or at an earlier `asked` one. */
  function paperAt(i, asked = null) {
    const template = templates[i % templates.length];
    const paperId = paperIdAt(i);
    const baseVersion = Number(/v(\d+)$/.exec(template.id)[1]);
    const current = state.versions.get(paperId) ?? (i < templates.length ? baseVersion : 1);
    if (asked !== null && asked > current) return null;
    const version = asked ?? current;
    const vid = `${paperId}v${version}`;
    let xml = template.xml.split(template.id).join(vid);
    const title = state.titles.get(paperId);
    if (title) xml = xml.replace(/<title>[\s\S]*?<\/title>/, `<title>${escapeXml(title)}</title>`);
    if (version !== baseVersion || i >= templates.length)
      xml = xml.replace(/<updated>[^<]*<\/updated>/, `<updated>2026-0${1 + (version % 9)}-01T00:00:00Z</updated>`);
    const plainTitle = /<title>([\s\S]*?)<\/title>/.exec(xml)[1].replace(/\s+/g, " ").trim();
    const summary = /<summary>([\s\S]*?)<\/summary>/.exec(xml)[1].replace(/\s+/g, " ").trim();
    return { paperId, version, vid, xml, title: plainTitle, summary };
  }

  function feed(query, entries, total, start, max) {
    const title = `arXiv Query: search_query=${query.searchQuery}&id_list=${query.idList}&start=${start}&max_results=${max}`;
    const top = head
      .replace(/<title>[^<]*<\/title>/, `<title>${escapeXml(title)}</title>`)
      .replace(/<opensearch:itemsPerPage>\d+/, `<opensearch:itemsPerPage>${max}`)
      .replace(/<opensearch:totalResults>\d+/, `<opensearch:totalResults>${total}`)
      .replace(/<opensearch:startIndex>\d+/, `<opensearch:startIndex>${start}`);
    return `${top}${entries.map((e) => e.xml).join("\n  ")}\n</feed>\n`;
  }

  function takeFault(on, match, url) {
    const flag = url.searchParams.get("fake");
    if (flag) return { fault: flag, retryAfter: url.searchParams.get("retryAfter") ?? undefined };
    const i = state.faults.findIndex(
      (f) =>
        f.on === on &&
        (f.start === undefined || f.start === match.start) &&
        (f.id === undefined || f.id === match.id) &&
        (f.search === undefined || url.search.includes(f.search)),
    );
    if (i < 0) return null;
    const fault = state.faults[i];
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) state.faults.splice(i, 1);
    return fault;
  }

  /** A fault's response, or null when it only slows the real answer down. */
  async function applyFault(fault) {
    if (!fault) return null;
    switch (fault.fault) {
      case "503":
      case "429": {
        const headers = fault.retryAfter !== undefined ? { "Retry-After": String(fault.retryAfter) } : {};
        return new Response(fault.fault === "503" ? "Service Unavailable" : "Too Many Requests", { status: Number(fault.fault), headers });
      }
      case "slow":
        await new Promise((r) => setTimeout(r, fault.delayMs ?? 2000));
        return null;
      case "drop":
        return DROP;
      case "error":
        return atom(errorTemplate.replaceAll("incorrect id format for abc", escapeXml(fault.message ?? "incorrect id format for abc")), 400);
      case "html":
        return new Response("<!DOCTYPE html><html><body><h1>Please verify you are a human</h1></body></html>", { headers: { "Content-Type": "text/html" } });
      default:
        return null;
    }
  }

  async function api(url) {
    const searchQuery = url.searchParams.get("search_query") ?? "";
    const idList = url.searchParams.get("id_list") ?? "";
    const start = Number(url.searchParams.get("start") ?? 0);
    const max = Number(url.searchParams.get("max_results") ?? 10);
    const fault = takeFault("api", { start }, url);
    const faulted = await applyFault(fault);
    if (faulted) return faulted;
    const verbatim = recorded.find((r) => {
      const u = new URL(r.url);
      return (
        u.searchParams.get("search_query") === searchQuery &&
        u.searchParams.get("id_list") === idList &&
        Number(u.searchParams.get("start")) === start &&
        Number(u.searchParams.get("max_results")) === max
      );
    });
    if (verbatim && !fault) return atom(verbatim.body, verbatim.status_code);
    const ids = idList ? idList.split(",").map((s) => s.trim()) : [];
    const bad = ids.find((id) => !ARXIV_ID.test(id));
    if (bad) return atom(errorTemplate.replaceAll("abc", escapeXml(bad)), 400);
    // arXiv rewrites a bare term as all:<term>; the feed title shows the rewritten query.
    const canonical = searchQuery && !searchQuery.includes(":") ? `all:${searchQuery}` : searchQuery;
    let papers;
    if (ids.length) {
      papers = ids
        .map((id) => {
          const [, paperId, version] = ARXIV_ID.exec(id);
          const i = positionOf(paperId);
          if (i === null) return null;
          return paperAt(i, version ? Number(version) : null);
        })
        .filter(Boolean);
    } else if (searchQuery) {
      papers = Array.from({ length: state.total }, (_, i) => i);
    } else {
      papers = [];
    }
    const total = papers.length;
    const size = fault?.fault === "empty" ? 0 : Math.min(max, state.pageLimit ?? max);
    const page = papers.slice(start, start + size).map((p) => (typeof p === "number" ? paperAt(p) : p));
    return atom(feed({ searchQuery: canonical, idList }, page, total, start, max), 200);
  }

  const pdfs = new Map();
  async function pdf(url) {
    const vid = decodeURIComponent(url.pathname.slice("/pdf/".length));
    const fault = takeFault("pdf", { id: vid }, url);
    if (fault?.fault === "huge") return hugePdf(fault.bytes ?? 200 * 1024 * 1024);
    const faulted = await applyFault(fault);
    if (faulted) return faulted;
    const m = ARXIV_ID.exec(vid);
    const i = m ? positionOf(m[1]) : null;
    const paper = i === null ? null : paperAt(i);
    if (!paper || !m[2] || Number(m[2]) > paper.version) return new Response("Not Found", { status: 404 });
    let bytes = pdfs.get(vid);
    if (!bytes) {
      bytes = buildPdf([`${paper.title}\n\narXiv:${vid}\n\n${wrap(paper.summary, 90).join("\n")}`]);
      pdfs.set(vid, bytes);
    }
    return new Response(bytes, { headers: { "Content-Type": "application/pdf", "Content-Length": String(bytes.byteLength) } });
  }

  function control(body) {
    if (body.total !== undefined) state.total = body.total;
    for (const id of body.bump ?? []) {
      const i = positionOf(id);
      if (i !== null) state.versions.set(id, paperAt(i).version + 1);
    }
    for (const [id, title] of Object.entries(body.retitle ?? {})) state.titles.set(id, title);
    if (body.pageLimit !== undefined) state.pageLimit = body.pageLimit;
    for (const f of body.faults ?? []) state.faults.push({ ...f });
    return Response.json({ total: state.total, faults: state.faults.length });
  }

  /** Answers one request, or returns `DROP` when the connection must be closed unanswered. */
  async function handle(request) {
    const url = new URL(request.url);
    if (url.pathname === "/__requests") return Response.json(state.requests);
    if (url.pathname === "/__reset" && request.method === "POST") {
      reset();
      return Response.json({ ok: true });
    }
    if (url.pathname === "/__control" && request.method === "POST") return control(await request.json());
    if (url.pathname === "/__paper") {
      const i = positionOf(url.searchParams.get("id") ?? "");
      if (i === null) return new Response("Not Found", { status: 404 });
      const { paperId, version, vid, title } = paperAt(i);
      return Response.json({ paperId, version, versionedId: vid, title });
    }
    const logged = { at: Date.now(), path: url.pathname, search: url.search, userAgent: request.headers.get("User-Agent"), ms: 0 };
    state.requests.push(logged);
    const began = performance.now();
    try {
      if (url.pathname === "/api/query") return await api(url);
      if (url.pathname.startsWith("/pdf/")) return await pdf(url);
      return new Response("Not Found", { status: 404 });
    } finally {
      logged.ms = performance.now() - began;
    }
  }

  return { handle, reset, paperId: paperIdAt, recorded };
}

function atom(body, status) {
  return new Response(body, { status, headers: { "Content-Type": "application/atom+xml; charset=utf-8" } });
}

/** A stream that starts like a PDF and goes on for `bytes`, with no Content-Length. */
function hugePdf(bytes) {
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  chunk.set(new TextEncoder().encode("%PDF-1.4\n"));
  const stream = new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const n = Math.min(chunk.byteLength, bytes - sent);
      controller.enqueue(chunk.slice(0, n));
      sent += n;
    },
  });
  return new Response(stream, { headers: { "Content-Type": "application/pdf" } });
}

function wrap(text, width) {
  const lines = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
