import { describe, expect, it } from "vitest";
import { FIELD_MAX_LENGTH } from "../../src/contract/job";
import { call, jobsPath, problem, token } from "../helpers";

const P = "proj_field_units";

function create(t: string, query: Record<string, string>, headers: Record<string, string> = {}) {
  return call(`${jobsPath(P)}?${new URLSearchParams(query)}`, {
    method: "POST",
    token: t,
    body: "hello",
    headers: { "Content-Type": "text/plain", "Content-Length": "5", ...headers },
  });
}

describe("POST /api/projects/{projectId}/ingest/jobs field limits (UTF-16 units)", () => {
  const emoji = "😀"; // one code point, two UTF-16 units

  for (const field of ["filename", "sourceId", "sourcePath"] as const) {
    it(`returns 400 for a ${field} of astral characters whose UTF-16 length passes the limit though its code points do not`, async () => {
      const t = await token({ projects: [P] });
      const max = FIELD_MAX_LENGTH[field];
      const over = emoji.repeat(Math.floor(max / 2) + 1); // max/2+1 code points, max+1 or max+2 units
      expect([...over].length).toBeLessThanOrEqual(max);
      const res = await create(t, { filename: "a.txt", [field]: over });
      expect(res.status, field).toBe(400);
      expect((await problem(res)).detail).toContain(`${field} must be 1 to ${max} characters`);
      const fits = emoji.repeat(Math.floor(max / 2));
      expect((await create(t, { filename: "a.txt", [field]: fits })).status, field).toBe(201);
    });
  }
});
