/**
 * Whether a Markdown job's stages grow in proportion to its size: jobs of the given sizes
 * run through one `wrangler dev`, alternating (10, 50, 10, 50, … by default), so the
 * machine's other work falls on both sizes alike; prints each job's stage times from its
 * event log, then the EXTRACTING milliseconds per MiB of each size (best of the rounds, the
 * least disturbed by other work) and their ratio to the smallest size's (1.0 = linear).
 *
 *   npm run bench:scaling -- [--mb 10,50] [--rounds 2]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, startDev, token, upload } from "../scripts/lib/dev-server.mjs";
import { markdown } from "./lib/corpus.mjs";
import { getJson, stageTimes, waitForJobSocket } from "./lib/jobs.mjs";

const { values: args } = parseArgs({
  options: { mb: { type: "string", default: "10,50" }, rounds: { type: "string", default: "2" } },
});
const MB = 1 << 20;
const PROJECT = "bench-scaling";
const sizes = args.mb.split(",").map(Number);
const inputs = new Map(sizes.map((mb) => [mb, markdown(mb * MB)]));
const persistTo = mkdtempSync(join(tmpdir(), "bench-scaling-"));
const dev = await startDev({
  port: await freePort(),
  persistTo,
  vars: { RATE_LIMIT_PROJECT_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_HOUR: "1000000", MAX_DOCUMENT_CHARS: "200000000" },
});
const perMiB = new Map(sizes.map((mb) => [mb, []]));
try {
  const t = await token({ sub: "bench", roles: ["admin"], projects: [PROJECT] });
  const warm = await upload(dev.url, t, PROJECT, markdown(256 * 1024, 9), { filename: "warm-up.md", type: "text/markdown" });
  await waitForJobSocket(dev.url, t, PROJECT, warm.id);
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const mb of sizes) {
      await new Promise((r) => setTimeout(r, 1000)); // let the previous job's clean-up settle
      const created = await upload(dev.url, t, PROJECT, inputs.get(mb), { filename: `${mb}MB.md`, type: "text/markdown" });
      await waitForJobSocket(dev.url, t, PROJECT, created.id);
      const events = (await getJson(dev.url, t, `/api/projects/${PROJECT}/ingest/jobs/${created.id}/events`)).items;
      const at = (type) => Date.parse(events.find((e) => e.type === type).at);
      const stages = stageTimes(events);
      perMiB.get(mb).push(stages.EXTRACTING / mb);
      console.log(`${mb} MB: created → COMPLETED ${at("job.completed") - at("job.created")} ms, stages ms ${JSON.stringify(stages)}`);
    }
  }
} finally {
  await dev.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
const best = (mb) => Math.min(...perMiB.get(mb));
const base = best(sizes[0]);
console.table(sizes.map((mb) => ({ MB: mb, "EXTRACTING ms/MiB (best)": +best(mb).toFixed(1), "÷ smallest": +(best(mb) / base).toFixed(2) })));
console.log("machine: 2 shared cores; compare the ratios, which share the run's conditions.");
