import { describe, expect, it } from "vitest";
import { planPdfSlices, scanPdf, type MeasuredPdf } from "../../src/pipeline/extract/pdf-scan";
import { checkLimits, DEFAULT_DOCUMENT_LIMITS } from "../../src/pipeline/limits";
import { PipelineError } from "../../src/pipeline/errors";
import { buildPdf } from "../fixtures/pdf";
import { assemblePdf } from "../fixtures/hostile-pdf";

const limits = DEFAULT_DOCUMENT_LIMITS;
const enc = (s: string) => new TextEncoder().encode(s);

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const cs = new CompressionStream("deflate");
  const out = new Response(cs.readable).arrayBuffer();
  const w = cs.writable.getWriter();
  await w.write(bytes);
  await w.close();
  return new Uint8Array(await out);
}

async function refusal(p: Promise<unknown>): Promise<PipelineError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PipelineError);
  return err as PipelineError;
}

/** The scan of a file it can measure. */
async function measured(bytes: Uint8Array, scanLimits = limits): Promise<MeasuredPdf> {
  const scan = await scanPdf(bytes, scanLimits);
  if (!scan.measured) throw new Error(`not measured: ${scan.why}`);
  return scan;
}

describe("scanPdf", () => {
  it("counts the pages of a plain PDF and weighs each by its content stream", async () => {
    const scan = await measured(buildPdf(["one", "two\nlines", "three"]));
    expect(scan.pages).toBe(3);
    expect(scan.pageBytes).toHaveLength(3);
    expect(scan.pageBytes.every((b) => b > 20 && b < 200)).toBe(true);
    expect(scan.pageBytes[1]).toBeGreaterThan(scan.pageBytes[0]!);
  });

  it("refuses a page tree that loops back to its root", async () => {
    const pdf = assemblePdf([
      { dict: "<< /Type /Catalog /Pages 2 0 R >>" },
      { dict: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>" },
      { dict: "<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>" },
    ]);
    const err = await refusal(scanPdf(pdf, limits));
    expect(err.code).toBe("PDF_CORRUPT");
  });

  it("counts more distinct pages than the limit as LIMIT_EXCEEDED even under a small /Count", async () => {
    const err = await refusal(scanPdf(buildPdf(["a", "b", "c"]), { ...limits, maxPdfPages: 2 }));
    expect(err.code).toBe("LIMIT_EXCEEDED");
    expect(err.message).toBe("LIMIT_EXCEEDED: more than 2 pages");
  });

  it("reads pages defined inside a compressed object stream", async () => {
    // Objects 10–13 exist only inside the object stream (object 1); object 2 is the shared content.
    const members = [
      "<< /Type /Catalog /Pages 11 0 R >>",
      "<< /Type /Pages /Kids [12 0 R 13 0 R] /Count 2 >>",
      "<< /Type /Page /Parent 11 0 R /Contents 2 0 R >>",
      "<< /Type /Page /Parent 11 0 R /Contents 2 0 R >>",
    ];
    let offsets = "";
    let body = "";
    members.forEach((m, k) => {
      offsets += `${k + 10} ${body.length} `;
      body += `${m}\n`;
    });
    const objstm = await deflate(enc(offsets + body));
    const content = await deflate(enc("BT (x) Tj ET".padEnd(5000, " ")));
    const pdf = assemblePdf(
      [
        { dict: `/Type /ObjStm /N 4 /First ${offsets.length} /Filter /FlateDecode`, stream: objstm },
        { dict: "/Filter /FlateDecode", stream: content },
      ],
      10,
    );
    const scan = await measured(pdf);
    expect(scan.pages).toBe(2);
    expect(scan.pageBytes).toEqual([5000, 5000]);
  });

  it("refuses a stream that inflates past the cap", async () => {
    const content = await deflate(new Uint8Array(3000).fill(32));
    const pdf = assemblePdf([
      { dict: "<< /Type /Catalog /Pages 2 0 R >>" },
      { dict: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>" },
      { dict: "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>" },
      { dict: "/Filter /FlateDecode", stream: content },
    ]);
    const err = await refusal(scanPdf(pdf, { ...limits, maxPdfStreamBytes: 2000 }));
    expect(err.message).toBe("LIMIT_EXCEEDED: a PDF stream inflates to more than 2000 bytes");
  });

  it("weighs Form XObjects a page inherits from its ancestors' resources", async () => {
    const form = await deflate(new Uint8Array(4000).fill(32));
    const pdf = assemblePdf([
      { dict: "<< /Type /Catalog /Pages 2 0 R >>" },
      { dict: "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /Resources << /XObject << /X0 5 0 R >> >> >>" },
      { dict: "<< /Type /Page /Parent 2 0 R >>" },
      { dict: "<< /Type /Page /Parent 2 0 R >>" },
      { dict: "/Type /XObject /Subtype /Form /Filter /FlateDecode", stream: form },
    ]);
    expect((await measured(pdf)).pageBytes).toEqual([4000, 4000]);
  });
});

describe("planPdfSlices", () => {
  it("fills each slice up to the byte budget and the page count", () => {
    expect(planPdfSlices([4, 4, 4, 4, 4], 8, 10)).toEqual({ ends: [2, 4, 5], bytes: [8, 8, 4] });
    expect(planPdfSlices([1, 1, 1, 1, 1], 100, 2)).toEqual({ ends: [2, 4, 5], bytes: [2, 2, 1] });
    expect(planPdfSlices([], 100, 2)).toEqual({ ends: [], bytes: [] });
  });

  it("refuses a page heavier than a whole slice", () => {
    expect(() => planPdfSlices([1, 9, 1], 8, 10)).toThrow("LIMIT_EXCEEDED: page 2 decodes to more than 8 bytes");
  });
});

describe("checkLimits", () => {
  it("names the limit that was passed", () => {
    const small = { ...limits, maxDocumentChars: 10, maxDocumentChunks: 2 };
    expect(() => checkLimits(small, { chars: 10, chunks: 2 })).not.toThrow();
    expect(() => checkLimits(small, { chars: 11 })).toThrow("LIMIT_EXCEEDED: more than 10 characters");
    expect(() => checkLimits(small, { chunks: 3 })).toThrow("LIMIT_EXCEEDED: more than 2 chunks");
  });
});
