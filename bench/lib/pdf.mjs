/**
 * A minimal hand-written PDF 1.4 generator for the benchmarks (plain Node), ported
 * from test/fixtures/pdf.ts: one page per string, Helvetica, "\n" starts a new line.
 */

/** A valid PDF with one page per entry of `pages`. */
export function buildPdf(pages) {
  const objects = []; // objects[k] is object number k + 1
  const add = (body) => objects.push(body);
  const catalog = add("");
  const pagesObj = add("");
  const font = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  const kids = [];
  for (const text of pages) {
    const stream = contentStream(text);
    const content = add(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
    kids.push(
      add(
        `<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 612 792] ` +
          `/Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`,
      ),
    );
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObj} 0 R >>`;
  objects[pagesObj - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;

  const parts = ["%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n"];
  let length = parts[0].length; // every char is one byte (latin1)
  const offsets = [];
  objects.forEach((body, k) => {
    offsets.push(length);
    const obj = `${k + 1} 0 obj\n${body}\nendobj\n`;
    parts.push(obj);
    length += obj.length;
  });
  let tail = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) tail += `${String(off).padStart(10, "0")} 00000 n \n`;
  tail += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(tail);
  return new Uint8Array(Buffer.from(parts.join(""), "latin1"));
}

/** BT ... ET drawing each line 14 points below the previous one. */
function contentStream(text) {
  const lines = text.split("\n").map((l) => `(${escapePdfString(l)}) Tj`);
  return `BT\n/F1 12 Tf\n14 TL\n72 720 Td\n${lines.join("\nT*\n")}\nET`;
}

function escapePdfString(s) {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === "\\" || ch === "(" || ch === ")") out += `\\${ch}`;
    else if (c < 32 || c > 255) out += "?";
    else out += ch;
  }
  return out;
}
