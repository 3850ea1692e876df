/**
 * The verdict of a script that proves a recovery outside the test runner (crash, stall and
 * webhook-crash recovery): the checks it records, PASS when it recorded at least `minChecks` and
 * every one holds, and the run's figures written to bench/out/<name>.json.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";

/**
 * Runs `body(check)`, where `check(name, ok, detail)` records a check in `result.checks`
 * and prints it; an error `body` throws is recorded as a failed `error` check. Either way,
 * `stop()` then stops the servers still up and their state, `persistTo`, is removed. Then
 * prints `notes()` and the PASS/FAIL line ending in `summary()`, writes `result` (with
 * `pass`) to bench/out/<name>.json, and returns the exit code: 0 on PASS, 1 on FAIL.
 *
 * @param {{
 *   name: string,
 *   result: Record<string, unknown>,
 *   persistTo: string,
 *   body: (check: (name: string, ok: boolean, detail: string) => void) => Promise<void>,
 *   stop?: () => Promise<void> | undefined,
 *   summary: () => string,
 *   notes?: () => string[],
 *   minChecks?: number,
 * }} run
 * @returns {Promise<0 | 1>}
 */
export async function runChecks({ name, result, persistTo, body, stop = () => undefined, summary, notes = () => [], minChecks = 1 }) {
  const checks = {};
  result.checks = checks;
  const check = (label, ok, detail) => {
    checks[label] = { ok, detail };
    console.log(`${ok ? "ok  " : "FAIL"} ${label}: ${detail}`);
  };
  try {
    await body(check);
  } catch (err) {
    checks.error = { ok: false, detail: String(err?.stack ?? err) };
    console.error(err);
  } finally {
    await stop();
    rmSync(persistTo, { recursive: true, force: true });
  }
  const pass = Object.keys(checks).length >= minChecks && Object.values(checks).every((c) => c.ok);
  result.pass = pass;
  console.log("");
  for (const line of notes()) console.log(line);
  console.log(`${pass ? "PASS" : "FAIL"}: ${summary()}`);
  mkdirSync(new URL("../../bench/out/", import.meta.url), { recursive: true });
  writeFileSync(new URL(`../../bench/out/${name}.json`, import.meta.url), JSON.stringify(result, null, 2));
  return pass ? 0 : 1;
}
