#!/usr/bin/env node
/**
 * Builds the SDK and the CLI into `dist/` with esbuild (`npm run build:clients`; also
 * the package's `prepare` script, so `npm install` / `npm ci` leave them ready):
 *   dist/client/index.js  the SDK for browsers and Workers (no Node imports)
 *   dist/client/node.js   the SDK under Node (adds file paths)
 *   dist/cli.js           the `edge-ingest` command
 */
import { chmodSync } from "node:fs";
import { build } from "esbuild";

const root = new URL("../", import.meta.url).pathname;
const common = { absWorkingDir: root, bundle: true, format: "esm", target: "es2022", sourcemap: true, logLevel: "warning" };

await Promise.all([
  build({ ...common, entryPoints: ["src/client/index.ts"], outfile: "dist/client/index.js", platform: "neutral" }),
  build({ ...common, entryPoints: ["src/client/node.ts"], outfile: "dist/client/node.js", platform: "node", external: ["ws"] }),
  build({
    ...common,
    entryPoints: ["src/cli/main.ts"],
    outfile: "dist/cli.js",
    platform: "node",
    packages: "external",
    banner: { js: "#!/usr/bin/env node" },
  }),
]);
chmodSync(`${root}dist/cli.js`, 0o755);
