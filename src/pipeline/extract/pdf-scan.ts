/**
 * A bounded look at a PDF's raw bytes before pdf.js parses any page.
 *
 * pdf.js trusts the root's `/Count` and walks page trees whose nodes are shared, so a
 * 2 KB file can claim 10⁹ pages; and it inflates a page's whole content stream before
 * parsing it, so a 100 KB file can decode to hundreds of MB in one call. This scan:
 * - finds every indirect object, including those inside object streams (`/Type /ObjStm`,
 *   inflated to read them);
 * - walks the page tree from the catalog: a node met twice (shared or looping) makes the
 *   file corrupt, so the pages counted are the distinct leaves, in pdf.js's order;
 * - inflates each stream a page's text extraction would parse (its `/Contents`, and Form
 *   XObjects reachable from it or from the resources it inherits) with a byte cap,
 *   refusing the file as soon as one inflates past it: nothing is parsed after that;
 * - weighs each page by the decoded bytes of those streams, so a stream shared by 10
 *   pages counts 10 times, and slices can be cut by the bytes they really parse.
 *
 * A file the scan cannot measure (no catalog or page tree it can find: the page tree
 * inside an encrypted or Brotli-compressed object stream, a broken cross-reference
 * table) is not refused: pdf.js may still read it. The scan says so (`measured: false`)
 * and the caller falls back to bounded parsing (`estimatePageBytes`).
 *
 * Pure (no Cloudflare types); `DecompressionStream` exists in workerd and Node.
 */
import { PipelineError } from "../errors";
import { limitExceeded, type DocumentLimits } from "../limits";

export type PdfScan = MeasuredPdf | { measured: false; why: string };

export interface MeasuredPdf {
  measured: true;
  /** Distinct pages (leaves of the page tree). */
  pages: number;
  /** Decoded content bytes of each page, in page order. */
  pageBytes: number[];
  /** The file is encrypted: stream sizes are estimated from their raw length. */
  encrypted: boolean;
}

type ScanLimits = Pick<DocumentLimits, "maxPdfPages" | "maxPdfStreamBytes" | "maxPdfDecodedBytes">;

/** Raw bytes × this stands for a stream whose decoded size cannot be measured (encrypted, or a filter not inflated here). */
const UNMEASURED_EXPANSION = 8;
/** Object visits allowed while weighing pages (each page walks its resources). */
const MAX_VISITS = 5_000_000;

interface PdfObject {
  /** The object's text up to `stream` or `endobj` (latin1: one char per byte). */
  body: string;
  /** Raw stream data range in the file, if the object is a stream. */
  stream: { start: number; end: number } | null;
  /** Where it was defined: a later definition (incremental update) wins. */
  at: number;
}

const corrupt = (why: string) => new PipelineError("PDF_CORRUPT", `The PDF is corrupt or not a PDF: ${why}`, true);

/**
 * Scans `bytes`; throws `LIMIT_EXCEEDED` or `PDF_CORRUPT` (permanent) when the file must
 * not be parsed, and says `measured: false` when it cannot tell.
 */
export async function scanPdf(bytes: Uint8Array, limits: ScanLimits): Promise<PdfScan> {
  // windows-1252 maps every byte to one char, so string offsets are byte offsets.
  const text = new TextDecoder("latin1").decode(bytes);
  const objects = findObjects(text);
  const encrypted = /\/Encrypt\s*\d+\s+\d+\s+R/.test(trailerText(text, objects));
  const inflater = new StreamSizer(bytes, limits.maxPdfStreamBytes, encrypted);
  await addObjectStreamMembers(objects, inflater);

  const catalog = findCatalog(text, objects);
  if (!catalog) return { measured: false, why: "no document catalog found" };
  const rootRef = refAfter(catalog.body, "Pages");
  const root = rootRef === null ? undefined : objects.get(rootRef);
  if (!root) return { measured: false, why: "no page tree found" };
  // pdf.js's numPages is this number: refuse it before anything walks that many pages.
  const claimed = intAfter(root.body, "Count");
  if (claimed !== null && claimed > limits.maxPdfPages) throw limitExceeded(`more than ${limits.maxPdfPages} pages`);

  const leaves = pageLeaves(rootRef!, objects, limits.maxPdfPages);
  const pageBytes: number[] = [];
  let total = 0;
  let visits = 0;
  for (const leaf of leaves) {
    const streams = new Set<number>();
    for (const ref of contentRefs(objects.get(leaf)!, objects)) streams.add(ref);
    // Form XObjects reachable from the page or from what it inherits from its ancestors.
    const seen = new Set<number>();
    const queue = [leaf, ...ancestors(leaf, objects)];
    while (queue.length) {
      const n = queue.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      if (++visits > MAX_VISITS) throw limitExceeded("a page tree too large to measure");
      const obj = objects.get(n);
      if (!obj) continue;
      if (obj.stream && /\/Subtype\s*\/Form\b/.test(obj.body)) streams.add(n);
      for (const ref of refsIn(obj.body)) {
        const target = objects.get(ref);
        if (target && !isTreeNode(target.body)) queue.push(ref);
      }
    }
    let bytesOfPage = 0;
    for (const n of streams) bytesOfPage += await inflater.size(n, objects.get(n));
    pageBytes.push(bytesOfPage);
    total += bytesOfPage;
    if (total > limits.maxPdfDecodedBytes) throw limitExceeded(`more than ${limits.maxPdfDecodedBytes} bytes of decoded page content`);
  }
  return { measured: true, pages: leaves.length, pageBytes, encrypted };
}

/**
 * Page weights for a file the scan could not measure: its whole size × the expansion
 * assumed for an unmeasured stream, spread over pdf.js's page count, each page at most
 * `budget` (so one page per slice at worst). pdf.js then parses within the page limit,
 * slice by slice, as for a measured file.
 */
export function estimatePageBytes(pages: number, fileBytes: number, budget: number): number[] {
  const each = Math.min(budget, Math.ceil((fileBytes * UNMEASURED_EXPANSION) / Math.max(1, pages)));
  return Array.from({ length: pages }, () => each);
}

/**
 * Groups pages into extraction slices so that each slice parses at most `budget`
 * decoded bytes and `maxPages` pages. Returns the last page (1-based) of each slice.
 * A single page heavier than the budget is refused: its slice could not be bounded.
 */
export function planPdfSlices(pageBytes: number[], budget: number, maxPages: number): { ends: number[]; bytes: number[] } {
  const ends: number[] = [];
  const bytes: number[] = [];
  let sum = 0;
  let count = 0;
  pageBytes.forEach((b, i) => {
    if (b > budget) throw limitExceeded(`page ${i + 1} decodes to more than ${budget} bytes`);
    if (count > 0 && (sum + b > budget || count >= maxPages)) {
      ends.push(i);
      bytes.push(sum);
      sum = 0;
      count = 0;
    }
    sum += b;
    count += 1;
  });
  if (count > 0) {
    ends.push(pageBytes.length);
    bytes.push(sum);
  }
  return { ends, bytes };
}

/** Every top-level `N G obj … endobj`, skipping over stream data. */
function findObjects(text: string): Map<number, PdfObject> {
  const objects = new Map<number, PdfObject>();
  const header = /(\d+)\s+\d+\s+obj\b/g;
  for (let m = header.exec(text); m; m = header.exec(text)) {
    const start = header.lastIndex;
    const endobj = text.indexOf("endobj", start);
    const limit = endobj < 0 ? text.length : endobj;
    const kw = streamKeyword(text, start, limit);
    let stream: PdfObject["stream"] = null;
    let body: string;
    if (kw >= 0) {
      body = text.slice(start, kw);
      let dataStart = kw + 6;
      if (text[dataStart] === "\r") dataStart++;
      if (text[dataStart] === "\n") dataStart++;
      const end = streamEnd(text, body, dataStart);
      stream = { start: dataStart, end };
      const after = text.indexOf("endobj", end);
      header.lastIndex = after < 0 ? end : after;
    } else {
      body = text.slice(start, limit);
      header.lastIndex = limit;
    }
    objects.set(Number(m[1]), { body, stream, at: m.index });
  }
  return objects;
}

/** Index of the `stream` keyword that opens this object's data, or -1. */
function streamKeyword(text: string, from: number, limit: number): number {
  for (let i = text.indexOf("stream", from); i >= 0 && i < limit; i = text.indexOf("stream", i + 6)) {
    if (text.startsWith("end", i - 3)) continue;
    const next = text[i + 6];
    if (next === "\r" || next === "\n") return i;
  }
  return -1;
}

/** End of the raw data: `/Length` when it lands on `endstream`, else the `endstream` keyword. */
function streamEnd(text: string, dict: string, dataStart: number): number {
  const m = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict);
  if (m) {
    const end = dataStart + Number(m[1]);
    if (/^\s*endstream/.test(text.slice(end, end + 32))) return end;
  }
  const kw = text.indexOf("endstream", dataStart);
  if (kw < 0) return text.length;
  let end = kw;
  if (text[end - 1] === "\n") end--;
  if (text[end - 1] === "\r") end--;
  return Math.max(dataStart, end);
}

/** The classic trailer, and the dictionaries of cross-reference streams. */
function trailerText(text: string, objects: Map<number, PdfObject>): string {
  let out = "";
  for (let i = text.indexOf("trailer"); i >= 0; i = text.indexOf("trailer", i + 7)) out += text.slice(i, i + 2048);
  for (const o of objects.values()) if (/\/Type\s*\/XRef\b/.test(o.body)) out += o.body;
  return out;
}

/** Objects stored inside object streams, defined where their stream is. */
async function addObjectStreamMembers(objects: Map<number, PdfObject>, sizer: StreamSizer): Promise<void> {
  for (const [n, o] of objects) {
    if (!o.stream || !/\/Type\s*\/ObjStm\b/.test(o.body)) continue;
    const data = await sizer.decode(n, o);
    if (!data) continue;
    const count = intAfter(o.body, "N") ?? 0;
    const first = intAfter(o.body, "First") ?? 0;
    const nums = data.slice(0, first).trim().split(/\s+/).map(Number);
    for (let k = 0; k < count && 2 * k + 1 < nums.length; k++) {
      const num = nums[2 * k]!;
      const start = first + nums[2 * k + 1]!;
      const end = 2 * k + 3 < nums.length ? first + nums[2 * k + 3]! : data.length;
      const prev = objects.get(num);
      if (!prev || prev.at < o.at) objects.set(num, { body: data.slice(start, end), stream: null, at: o.at });
    }
  }
}

function findCatalog(text: string, objects: Map<number, PdfObject>): PdfObject | undefined {
  const root = refAfter(trailerText(text, objects), "Root");
  const byRoot = root === null ? undefined : objects.get(root);
  if (byRoot) return byRoot;
  let found: PdfObject | undefined;
  for (const o of objects.values()) if (/\/Type\s*\/Catalog\b/.test(o.body) && (!found || o.at > found.at)) found = o;
  return found;
}

/**
 * The page leaves in document order. A node reached twice (a shared kid or a loop)
 * makes the tree corrupt: pdf.js would walk it again and again.
 */
function pageLeaves(root: number, objects: Map<number, PdfObject>, maxPages: number): number[] {
  const leaves: number[] = [];
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) throw corrupt("its page tree shares or loops nodes");
    seen.add(n);
    const node = objects.get(n);
    if (!node) continue;
    const kids = kidsOf(node.body, objects);
    if (kids === null) {
      leaves.push(n);
      if (leaves.length > maxPages) throw limitExceeded(`more than ${maxPages} pages`);
    } else {
      for (let k = kids.length - 1; k >= 0; k--) stack.push(kids[k]!);
    }
  }
  return leaves;
}

/** A `/Pages` node's kids (possibly through an indirect array), or null for a leaf. */
function kidsOf(body: string, objects: Map<number, PdfObject>): number[] | null {
  if (/\/Type\s*\/Page(?![A-Za-z])/.test(body)) return null;
  const m = /\/Kids\s*(\[[^\]]*\]|\d+\s+\d+\s+R)/.exec(body);
  if (!m) return null;
  const value = m[1]!;
  if (value.startsWith("[")) return refsIn(value);
  const arr = objects.get(Number(value.split(/\s+/)[0]));
  return arr ? refsIn(arr.body) : [];
}

/** The streams of a page's `/Contents` (a stream, an array, or an indirect array). */
function contentRefs(page: PdfObject, objects: Map<number, PdfObject>): number[] {
  const m = /\/Contents\s*(\[[^\]]*\]|\d+\s+\d+\s+R)/.exec(page.body);
  if (!m) return [];
  const refs = refsIn(m[1]!);
  const out: number[] = [];
  for (const r of refs) {
    const o = objects.get(r);
    if (o && !o.stream) out.push(...refsIn(o.body));
    else out.push(r);
  }
  return out;
}

/** The `/Parent` chain of a page (resources are inherited), stopping at a loop. */
function ancestors(n: number, objects: Map<number, PdfObject>): number[] {
  const out: number[] = [];
  const seen = new Set([n]);
  for (let p = refAfter(objects.get(n)?.body ?? "", "Parent"); p !== null && !seen.has(p); ) {
    seen.add(p);
    const node = objects.get(p);
    if (!node) break;
    // Only what the node itself holds (its resources), not its other kids.
    out.push(p);
    p = refAfter(node.body, "Parent");
  }
  return out;
}

function isTreeNode(body: string): boolean {
  return /\/Type\s*\/(Pages?|Catalog)(?![A-Za-z])/.test(body);
}

function refsIn(s: string): number[] {
  const out: number[] = [];
  const re = /(\d+)\s+\d+\s+R\b/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(Number(m[1]));
  return out;
}

function refAfter(body: string, key: string): number | null {
  const m = new RegExp(`/${key}\\s*(\\d+)\\s+\\d+\\s+R\\b`).exec(body);
  return m ? Number(m[1]) : null;
}

function intAfter(body: string, key: string): number | null {
  const m = new RegExp(`/${key}\\s+(\\d+)(?!\\s+\\d+\\s+R)`).exec(body);
  return m ? Number(m[1]) : null;
}

/**
 * Measures (and, for object streams, decodes) streams, each at most once, refusing the
 * file when one inflates past the cap.
 */
class StreamSizer {
  private readonly sizes = new Map<number, number>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly cap: number,
    private readonly encrypted: boolean,
  ) {}

  /** Decoded size of object `n` (0 when it is not a stream). */
  async size(n: number, obj: PdfObject | undefined): Promise<number> {
    const known = this.sizes.get(n);
    if (known !== undefined) return known;
    let size = 0;
    if (obj?.stream) {
      const raw = this.bytes.subarray(obj.stream.start, obj.stream.end);
      const filters = filtersOf(obj.body);
      if (filters.length === 0) size = raw.length;
      else if (this.encrypted || !isFlate(filters[0]!)) size = raw.length * UNMEASURED_EXPANSION;
      else size = (await inflateCapped(raw, this.cap, false)).size;
      if (size > this.cap) throw this.tooBig();
    }
    this.sizes.set(n, size);
    return size;
  }

  /** An object stream's decoded text (latin1), or null when it cannot be read here. */
  async decode(n: number, obj: PdfObject): Promise<string | null> {
    if (!obj.stream || this.encrypted) return null;
    const raw = this.bytes.subarray(obj.stream.start, obj.stream.end);
    const filters = filtersOf(obj.body);
    if (filters.length > 1 || (filters.length === 1 && !isFlate(filters[0]!))) return null;
    if (filters.length === 0) return new TextDecoder("latin1").decode(raw);
    const out = await inflateCapped(raw, this.cap, true);
    this.sizes.set(n, out.size);
    return new TextDecoder("latin1").decode(out.data!);
  }

  private tooBig(): PipelineError {
    return limitExceeded(`a PDF stream inflates to more than ${this.cap} bytes`);
  }
}

function filtersOf(dict: string): string[] {
  const m = /\/Filter\s*(\/[A-Za-z0-9]+|\[[^\]]*\])/.exec(dict);
  if (!m) return [];
  return m[1]!.match(/\/[A-Za-z0-9]+/g)!.map((f) => f.slice(1));
}

function isFlate(filter: string): boolean {
  return filter === "FlateDecode" || filter === "Fl";
}

/**
 * Inflates zlib data, reading at most `cap` + 1 bytes of output: past that it stops and
 * reports `size > cap` (the caller refuses the file). Damaged data counts up to where it
 * breaks, as pdf.js reads it.
 */
export async function inflateCapped(raw: Uint8Array, cap: number, keep: boolean): Promise<{ size: number; data?: Uint8Array }> {
  const ds = new DecompressionStream("deflate");
  const writer = ds.writable.getWriter();
  writer.write(raw).catch(() => {});
  writer.close().catch(() => {});
  const reader = ds.readable.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > cap) {
        await reader.cancel().catch(() => {});
        return { size };
      }
      if (keep) parts.push(value);
    }
  } catch {
    // Truncated or damaged: what came out so far is what a reader gets.
  }
  if (!keep) return { size };
  const data = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.byteLength;
  }
  return { size, data };
}
