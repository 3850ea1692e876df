import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { allShards } from "../src/db/shards";

// Every D1 shard gets the same migrations (DESIGN §12).
for (const shard of allShards(env)) await applyD1Migrations(shard.db, env.TEST_MIGRATIONS);
