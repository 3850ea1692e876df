/**
 * Which files an upload sends: files as given, directories walked recursively, globs
 * expanded. Dotfiles and types the service cannot read are skipped, each with a reason.
 */
import { glob, open, readdir, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { mediaTypeOf } from "../../client/node";
import { looksLikeText, SNIFF_BYTES } from "../../uploads/sniff";

export interface LocalFile {
  /** Absolute path. */
  path: string;
  /** Shown to the user and sent as the job's `sourcePath`: relative to its root argument. */
  display: string;
  size: number;
}

export interface Selection {
  files: LocalFile[];
  skipped: { display: string; reason: string }[];
}

const GLOB = /[*?[\]{}]/;
const isDotName = (name: string) => name.startsWith(".");
const toPosix = (p: string) => p.split(sep).join("/");
const isExtensionless = (name: string) => !name.includes(".");

/** Whether a file with no extension (`LICENSE`, `CHANGELOG`) begins as text, as the service sniffs it. */
async function startsAsText(path: string): Promise<boolean> {
  const file = await open(path, "r");
  try {
    const { buffer, bytesRead } = await file.read(new Uint8Array(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
    return looksLikeText(buffer.subarray(0, bytesRead));
  } finally {
    await file.close();
  }
}

export async function selectFiles(args: string[], cwd = process.cwd()): Promise<Selection> {
  const out: Selection = { files: [], skipped: [] };
  const seen = new Set<string>();
  const consider = async (path: string, display: string) => {
    const abs = resolve(cwd, path);
    if (seen.has(abs)) return;
    seen.add(abs);
    const name = abs.split(sep).pop() ?? abs;
    if (isDotName(name)) return void out.skipped.push({ display, reason: "dotfile" });
    const s = await stat(abs);
    if (!mediaTypeOf(name) && !(isExtensionless(name) && (await startsAsText(abs)))) {
      return void out.skipped.push({ display, reason: "not a type the service reads (.pdf, .txt, .md, .html, or text with no extension)" });
    }
    if (s.size === 0) return void out.skipped.push({ display, reason: "empty file" });
    out.files.push({ path: abs, display, size: s.size });
  };
  const walk = async (root: string, dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const full = join(dir, e.name);
      const display = toPosix(relative(root, full));
      if (e.isDirectory()) {
        if (isDotName(e.name)) out.skipped.push({ display: `${display}/`, reason: "dot directory" });
        else await walk(root, full);
      } else if (e.isFile()) {
        await consider(full, display);
      }
    }
  };
  for (const arg of args) {
    const abs = resolve(cwd, arg);
    const s = await stat(abs).catch(() => null);
    if (s?.isDirectory()) await walk(abs, abs);
    else if (s?.isFile()) await consider(abs, toPosix(arg));
    else if (GLOB.test(arg)) {
      const matches: string[] = [];
      for await (const m of glob(arg, { cwd })) matches.push(m);
      if (matches.length === 0) out.skipped.push({ display: arg, reason: "no file matches" });
      for (const m of matches.sort()) {
        const ms = await stat(resolve(cwd, m));
        if (ms.isDirectory()) await walk(resolve(cwd, m), resolve(cwd, m));
        else if (ms.isFile()) await consider(m, toPosix(m));
      }
    } else {
      out.skipped.push({ display: arg, reason: "no such file or directory" });
    }
  }
  return out;
}
