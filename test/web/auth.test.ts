import { describe, expect, it } from "vitest";
import { canCancel, canDelete, canUpload, decodeClaims, isExpired, tokenFromFragment, type Claims } from "../../web/auth";
import { formatRoute, parseRoute } from "../../web/route";
import { token } from "../helpers";

const claims = (roles: Claims["roles"], sub = "alice"): Claims => ({ sub, roles, projects: ["p"] });

describe("dashboard sign-in and roles (web/auth)", () => {
  it("reads the token from a #token= fragment only", () => {
    expect(tokenFromFragment("#token=abc.def.ghi")).toBe("abc.def.ghi");
    expect(tokenFromFragment("#/p/x/jobs")).toBeNull();
    expect(tokenFromFragment("")).toBeNull();
  });

  it("decodes a JWT's claims without verifying it, and rejects what is not a JWT", async () => {
    const t = await token({ sub: "bob", roles: ["viewer", "editor"], projects: ["a", "b"] });
    expect(decodeClaims(t)).toMatchObject({ sub: "bob", roles: ["viewer", "editor"], projects: ["a", "b"] });
    expect(decodeClaims("nope")).toBeNull();
    expect(decodeClaims("a.%%%.c")).toBeNull();
    expect(isExpired({ ...claims(["viewer"]), exp: 1 })).toBe(true);
  });

  it("offers cancel to dispatchers and admins, and to an editor for their own jobs only (DESIGN §2)", () => {
    expect(canCancel(claims(["viewer"]), { createdBy: "alice" })).toBe(false);
    expect(canCancel(claims(["editor"]), { createdBy: "alice" })).toBe(true);
    expect(canCancel(claims(["editor"]), { createdBy: "bob" })).toBe(false);
    expect(canCancel(claims(["dispatcher"]), { createdBy: "bob" })).toBe(true);
    expect(canCancel(claims(["admin"]), { createdBy: "bob" })).toBe(true);
  });

  it("offers delete to editors, dispatchers and admins, and upload to editors and admins", () => {
    expect([["viewer"], ["editor"], ["dispatcher"], ["admin"]].map((r) => canDelete(claims(r as Claims["roles"])))).toEqual([false, true, true, true]);
    expect([["viewer"], ["editor"], ["dispatcher"], ["admin"]].map((r) => canUpload(claims(r as Claims["roles"])))).toEqual([false, true, false, true]);
  });
});

describe("dashboard routes (web/route)", () => {
  it("round-trips every view, filters included, through the URL fragment", () => {
    for (const r of [
      { view: "home" },
      { view: "jobs", projectId: "proj 1", filters: {} },
      { view: "jobs", projectId: "p", filters: { status: "RUNNING", stage: "CHUNKING", sourceId: "s/1" } },
      { view: "job", projectId: "p", jobId: "j" },
      { view: "document", projectId: "p", documentId: "d" },
    ] as const) {
      expect(parseRoute(formatRoute(r))).toEqual(r);
    }
  });

  it("ignores an unknown status or stage in the URL", () => {
    expect(parseRoute("#/p/x/jobs?status=LOST&stage=NOPE")).toEqual({ view: "jobs", projectId: "x", filters: {} });
  });
});
