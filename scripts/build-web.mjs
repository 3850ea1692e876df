#!/usr/bin/env node
/**
 * Builds the dashboard's static assets into `dist/web/` (Workers static assets, see
 * `[assets]` in wrangler.toml): the app bundled by esbuild from `web/main.tsx`, its HTML
 * and CSS, and the `/docs` page's script and stylesheet copied from the `swagger-ui-dist`
 * npm package, so neither needs a CDN. Prints the gzipped size of the JavaScript the
 * dashboard loads first (the budget is 100 KB).
 *
 * `node scripts/build-web.mjs` (also `npm run build:web`; run by `npm run dev`, by the e2e
 * tests' global setup and before `npm run deploy`).
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { staticAssetHeaders } from "../src/http/security-policy.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Where wrangler.toml's `[assets] directory` points. */
export const OUT = join(ROOT, "dist", "web");
/** First-load JavaScript budget, gzipped. */
export const BUDGET_BYTES = 100 * 1024;

const SWAGGER = join(ROOT, "node_modules", "swagger-ui-dist");
const SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui.css"];

/** Builds everything; returns the first-load JS size, raw and gzipped, in bytes. */
export async function buildWeb({ quiet = false } = {}) {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, "vendor", "swagger-ui"), { recursive: true });

  await build({
    entryPoints: [join(ROOT, "web", "main.tsx")],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: "linked",
    jsx: "automatic",
    jsxImportSource: "preact",
    outfile: join(OUT, "app.js"),
    logLevel: "warning",
  });
  copyFileSync(join(ROOT, "web", "index.html"), join(OUT, "index.html"));
  copyFileSync(join(ROOT, "web", "styles.css"), join(OUT, "styles.css"));
  for (const f of SWAGGER_FILES) copyFileSync(join(SWAGGER, f), join(OUT, "vendor", "swagger-ui", f));
  copyFileSync(join(ROOT, "web", "docs-init.js"), join(OUT, "vendor", "swagger-ui", "docs-init.js"));
  // Static assets are served without the Worker: they take their security headers from here.
  writeFileSync(join(OUT, "_headers"), staticAssetHeaders());

  const js = readFileSync(join(OUT, "app.js"));
  const size = { raw: js.length, gzip: gzipSync(js, { level: 9 }).length };
  if (!quiet) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    console.log(`dashboard: dist/web/app.js ${kb(size.raw)} (${kb(size.gzip)} gzipped; budget ${kb(BUDGET_BYTES)})`);
  }
  if (size.gzip > BUDGET_BYTES) throw new Error(`first-load JS is ${size.gzip} bytes gzipped, over the ${BUDGET_BYTES}-byte budget`);
  return size;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildWeb();
}
