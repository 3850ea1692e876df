import { describe, expect, it } from "vitest";
import { ACTIVE_STATUSES, isActive, isTerminal, JOB_STATUSES, TERMINAL_STATUSES } from "../../src/contract/status";

describe("the job status sets", () => {
  it("put every status in exactly one of active and terminal", () => {
    for (const status of JOB_STATUSES) expect([isActive(status), isTerminal(status)], status).toEqual([!isTerminal(status), !isActive(status)]);
    expect([...ACTIVE_STATUSES, ...TERMINAL_STATUSES].sort()).toEqual([...JOB_STATUSES].sort());
  });

  it("call a status they do not know neither active nor terminal", () => {
    expect(isActive("PAUSED")).toBe(false);
    expect(isTerminal("PAUSED")).toBe(false);
  });
});
