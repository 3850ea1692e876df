/**
 * `npm run reshard -- <command> --persist-to <dir>`: the data steps of growing the local
 * D1 shards from N to 2N (docs/sharding.md), on the state of `wrangler dev --persist-to`.
 *
 *   migrate    apply the migrations to every shard of --to (the new ones are empty)
 *   backfill   copy moved projects' rows from shard i to i + N (resumable: --cursor)
 *   verify     compare every moved project's rows on both shards; exit 1 on a difference
 *   drop       delete moved projects' rows from the old shards (after the mirror is dropped)
 *   status     rows per table on each shard of --to
 *
 * --from defaults to wrangler.toml's D1_SHARDS, --to to its first 2N D1 bindings.
 * `backfill` and `verify` run while the service runs with D1_SHARDS_NEXT set (dual write).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { applyMigrations } from "./lib/dev-server.mjs";
import { backfill, dropMoved, plan, rowCounts, verify } from "./lib/reshard.mjs";
import { d1Databases, d1Shards } from "./lib/shards.mjs";

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "persist-to": { type: "string", default: ".wrangler/state" },
    from: { type: "string" },
    to: { type: "string" },
    cursor: { type: "string" },
    project: { type: "string", multiple: true },
  },
});
const command = positionals[0];
const persistTo = args["persist-to"];
const from =
  args.from ??
  d1Shards()
    .map((s) => s.binding)
    .join(",");
const n = from.split(",").length;
const to =
  args.to ??
  d1Databases()
    .slice(0, 2 * n)
    .map((s) => s.binding)
    .join(",");

const started = Date.now();
const took = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

switch (command) {
  case "migrate": {
    const p = plan(from, to);
    await applyMigrations(persistTo, p.to);
    console.log(`migrated ${p.to.map((s) => s.name).join(", ")} under ${persistTo} (${took()})`);
    break;
  }
  case "backfill": {
    const stats = await backfill({ persistTo, from, to, cursorPath: args.cursor ?? join(persistTo, "reshard-backfill.json"), projects: args.project ?? null });
    console.log(
      `backfill ${from} → ${to}: ${stats.projects} moved projects, ${stats.pages} pages${stats.resumed ? " (resumed)" : ""}; copied ${JSON.stringify(stats.copied)}; pruned ${JSON.stringify(stats.pruned)} (${took()})`,
    );
    break;
  }
  case "verify": {
    const report = await verify({ persistTo, from, to });
    console.log(`verify ${from} → ${to}: ${report.projects} moved projects, rows ${JSON.stringify(report.rows)} (${took()})`);
    for (const m of report.mismatches) console.log(`DIFFERS ${JSON.stringify(m)}`);
    if (report.mismatches.length) {
      console.log(`${report.mismatches.length} (project, table) pairs differ: run backfill again (--project <id> for just those), then verify`);
      process.exit(1);
    }
    console.log("every moved project's rows are equal on both shards");
    break;
  }
  case "drop": {
    const deleted = await dropMoved({ persistTo, from, to });
    console.log(`deleted moved projects' rows from ${from}: ${JSON.stringify(deleted)} (${took()})`);
    break;
  }
  case "status":
    console.table(rowCounts({ persistTo, list: to }));
    break;
  default:
    console.error("usage: npm run reshard -- migrate|backfill|verify|drop|status --persist-to <dir> [--from DB_0,DB_1] [--to DB_0,…,DB_3]");
    process.exit(2);
}
