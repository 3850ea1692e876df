import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Relative to the repo root, where `npm test` runs.
const migrations = await readD1Migrations("./migrations");

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: migrations,
          JWT_SECRET: "test-secret-that-is-at-least-32-bytes-long!!",
          // Alarms never fire by themselves in tests: each test steps a job's alarm by hand.
          ALARM_DELAY_MS: "3600000",
        },
      },
    }),
  ],
  test: {
    setupFiles: ["./test/setup.ts"],
    testTimeout: 30000,
  },
});
