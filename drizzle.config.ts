import { defineConfig } from "drizzle-kit";

/** `npm run db:generate` writes SQL migrations where wrangler.toml's `migrations_dir` points. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
