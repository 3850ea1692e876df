import type { D1Migration } from "cloudflare:test";
import type { UnlistedVars } from "../src/env";

declare global {
  namespace Cloudflare {
    // The generated bindings (worker-configuration.d.ts), the unlisted vars, and the tests' own.
    interface Env extends UnlistedVars {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
