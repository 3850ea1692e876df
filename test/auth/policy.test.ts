import { describe, expect, it } from "vitest";
import { authorize, principalFromClaims, type Principal, type Role } from "../../src/auth/policy";

const p = (roles: Role[], projects = ["p1"], sub = "me"): Principal => ({ sub, roles, projects });

describe("principalFromClaims", () => {
  it("reads sub, roles and projects, dropping unknown roles", () => {
    expect(principalFromClaims({ sub: "a", roles: ["editor", "root"], projects: ["p1", 3] })).toEqual({
      ok: true,
      principal: { sub: "a", roles: ["editor"], projects: ["p1"] },
    });
  });

  it("rejects inactive tokens and a missing sub", () => {
    expect(principalFromClaims({ sub: "a", active: false }).ok).toBe(false);
    expect(principalFromClaims({ roles: ["admin"] }).ok).toBe(false);
  });
});

describe("authorize (DESIGN §2 table)", () => {
  const table: [Role, Record<string, "allow" | "forbidden">][] = [
    ["viewer", { read: "allow", create: "forbidden", cancelOwn: "forbidden", cancelOther: "forbidden", delete: "forbidden" }],
    ["editor", { read: "allow", create: "allow", cancelOwn: "allow", cancelOther: "forbidden", delete: "allow" }],
    ["dispatcher", { read: "allow", create: "forbidden", cancelOwn: "allow", cancelOther: "allow", delete: "allow" }],
    ["admin", { read: "allow", create: "allow", cancelOwn: "allow", cancelOther: "allow", delete: "allow" }],
  ];
  for (const [role, want] of table) {
    it(`applies the table to ${role}`, () => {
      const who = p([role]);
      expect(authorize(who, "read", { projectId: "p1" })).toBe(want.read);
      expect(authorize(who, "create", { projectId: "p1" })).toBe(want.create);
      expect(authorize(who, "cancel", { projectId: "p1", createdBy: "me" })).toBe(want.cancelOwn);
      expect(authorize(who, "cancel", { projectId: "p1", createdBy: "someone" })).toBe(want.cancelOther);
      expect(authorize(who, "delete", { projectId: "p1" })).toBe(want.delete);
    });
  }

  it("hides projects outside the token, except from admins", () => {
    expect(authorize(p(["editor"]), "read", { projectId: "p2" })).toBe("hidden");
    expect(authorize(p(["admin"], []), "delete", { projectId: "p2" })).toBe("allow");
  });
});
