import { describe, expect, it } from "vitest";
import { type Claims, fragmentSignIn } from "../../web/auth";
import { parseRoute } from "../../web/route";

const me: Claims = { sub: "alice", roles: ["editor"], projects: ["a", "b"] };

describe("dashboard links from elsewhere (web/auth, web/route)", () => {
  it("asks before a #token= link replaces a stored session with another user, other projects or other roles", () => {
    expect(fragmentSignIn(me, { ...me, sub: "mallory" })).toBe("ask");
    expect(fragmentSignIn(me, { ...me, projects: ["a"] })).toBe("ask");
    expect(fragmentSignIn(me, { ...me, projects: ["a", "evil"] })).toBe("ask");
    expect(fragmentSignIn(me, { ...me, roles: ["admin"] })).toBe("ask");
  });

  it("adopts a #token= link at once with no stored session, or for the same sign-in (a fresh token)", () => {
    expect(fragmentSignIn(null, { ...me, sub: "mallory" })).toBe("adopt");
    expect(fragmentSignIn(me, { ...me, projects: ["b", "a"], exp: 99 })).toBe("adopt");
  });

  it("shows not found for a route hash with malformed percent-encoding instead of throwing", () => {
    for (const hash of ["#/p/%E0%A4%A/jobs", "#/p/%/jobs", "#/p/x/jobs/%zz", "#/%E0%A4%A"]) {
      expect(() => parseRoute(hash), hash).not.toThrow();
      expect(parseRoute(hash), hash).toEqual({ view: "notFound" });
    }
    expect(parseRoute("#/p/%E0%A4%A4/jobs")).toMatchObject({ view: "jobs", projectId: "त" });
  });
});
