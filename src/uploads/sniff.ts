/**
 * Decides what an upload is from its first bytes, not only from what the caller says
 * (WHATWG MIME Sniffing, §7: binary signatures first; text only if nothing binary shows).
 * Pure: the upload route feeds it the first bytes of the body.
 */

/** The media types the pipeline can read, canonical form. */
export const SUPPORTED_TYPES = ["application/pdf", "text/plain", "text/markdown", "text/html"] as const;
export type SupportedType = (typeof SUPPORTED_TYPES)[number];

/** How many leading bytes `sniffType` looks at. */
export const SNIFF_BYTES = 1024;

export type SniffResult = { ok: true; mimeType: SupportedType } | { ok: false; detail: string };

/** Signatures of binary formats we cannot read, so the refusal can name them. */
const BINARY_SIGNATURES: [string, number[]][] = [
  ["image/png", [0x89, 0x50, 0x4e, 0x47]],
  ["image/jpeg", [0xff, 0xd8, 0xff]],
  ["image/gif", [0x47, 0x49, 0x46, 0x38]],
  ["image/webp", [0x52, 0x49, 0x46, 0x46]],
  ["application/zip", [0x50, 0x4b, 0x03, 0x04]],
  ["application/gzip", [0x1f, 0x8b]],
  ["application/x-ole-storage", [0xd0, 0xcf, 0x11, 0xe0]],
  ["application/x-executable", [0x7f, 0x45, 0x4c, 0x46]],
];

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // "%PDF-"

const DECLARED: Record<string, SupportedType | "sniff"> = {
  "application/pdf": "application/pdf",
  "text/plain": "text/plain",
  "text/markdown": "text/markdown",
  "text/x-markdown": "text/markdown",
  "text/html": "text/html",
  "application/xhtml+xml": "text/html",
  "application/octet-stream": "sniff",
  "": "sniff",
};

/** The types the pipeline reads, by file extension: the server's fallback, and what the SDK, CLI and dashboard send. */
export const TYPES_BY_EXTENSION: Record<string, SupportedType> = {
  pdf: "application/pdf",
  txt: "text/plain",
  text: "text/plain",
  md: "text/markdown",
  markdown: "text/markdown",
  html: "text/html",
  htm: "text/html",
};

/** The type a file name's extension names, if the pipeline reads it. */
export function typeByExtension(name: string): SupportedType | undefined {
  const ext = name.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  return ext ? TYPES_BY_EXTENSION[ext] : undefined;
}

/** The type of an upload from its first bytes, its declared type and its file name. */
export function sniffType(prefix: Uint8Array, declared: string | null, filename: string): SniffResult {
  const type = (declared ?? "").split(";")[0]!.trim().toLowerCase();
  const fromDeclared = DECLARED[type] ?? (type.startsWith("text/") ? "text/plain" : undefined);
  if (fromDeclared === undefined) {
    return { ok: false, detail: `Unsupported file type ${type}. Supported: ${SUPPORTED_TYPES.join(", ")}` };
  }
  if (startsWith(prefix, PDF_MAGIC)) return { ok: true, mimeType: "application/pdf" };
  // Readers (pdf.js, poppler, Acrobat) find the header anywhere in the first KiB, after a
  // banner some tools print (Ghostscript's); only for a file that says it is a PDF, so a
  // text about PDFs stays text.
  if (
    (fromDeclared === "application/pdf" || (fromDeclared === "sniff" && typeByExtension(filename) === "application/pdf")) &&
    indexOf(prefix, PDF_MAGIC) >= 0
  ) {
    return { ok: true, mimeType: "application/pdf" };
  }
  const binary = BINARY_SIGNATURES.find(([, sig]) => startsWith(prefix, sig));
  if (binary) return { ok: false, detail: `Unsupported file type: the content is ${binary[0]}` };
  if (fromDeclared === "application/pdf") {
    return { ok: false, detail: "The file is declared application/pdf but its content is not a PDF" };
  }
  if (!looksLikeText(prefix)) return { ok: false, detail: "Unsupported file type: the content is binary, not text" };
  if (fromDeclared !== "sniff") return { ok: true, mimeType: fromDeclared };
  const byExt = typeByExtension(filename);
  if (byExt && byExt !== "application/pdf") return { ok: true, mimeType: byExt };
  const head = new TextDecoder().decode(prefix).trimStart().slice(0, 64).toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html")) return { ok: true, mimeType: "text/html" };
  return { ok: true, mimeType: "text/plain" };
}

/** First offset of `sig` in `bytes`, or -1. */
function indexOf(bytes: Uint8Array, sig: number[]): number {
  for (let i = bytes.indexOf(sig[0]!); i >= 0 && i + sig.length <= bytes.length; i = bytes.indexOf(sig[0]!, i + 1)) {
    if (sig.every((b, k) => bytes[i + k] === b)) return i;
  }
  return -1;
}

function startsWith(bytes: Uint8Array, sig: number[]): boolean {
  return sig.length <= bytes.length && sig.every((b, i) => bytes[i] === b);
}

/**
 * Whether a file's first bytes are text: valid UTF-8 (a sequence cut by the end of the
 * window is allowed) with no NUL and little other C0 noise. This is how a file with no
 * extension (`LICENSE`, `CHANGELOG`) is recognised as text, here and by the CLI.
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  let control = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) control++;
    if (b < 0x80) {
      i++;
      continue;
    }
    const len = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 0;
    if (len === 0) return false;
    for (let k = 1; k < len; k++) {
      if (i + k >= bytes.length) return true; // cut by the sniff window
      if ((bytes[i + k]! & 0xc0) !== 0x80) return false;
    }
    i += len;
  }
  return control * 20 <= bytes.length;
}
