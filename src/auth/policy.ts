/**
 * Who may do what (DESIGN §2). Pure: turns verified claims into a Principal and
 * answers the role × action table. Token verification (I/O) lives in `verify.ts`.
 */

export const ROLES = ["viewer", "editor", "dispatcher", "admin"] as const;
export type Role = (typeof ROLES)[number];

export type Action = "read" | "create" | "cancel" | "retry" | "delete" | "readWebhooks" | "manageWebhooks" | "manageRetention";

/** The caller, as the API sees it after verification. Plain data: it crosses RPC. */
export interface Principal {
  sub: string;
  roles: Role[];
  projects: string[];
}

export type ClaimsResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/** Reads `sub`, `roles`, `projects` and `active` from verified JWT claims. */
export function principalFromClaims(claims: Record<string, unknown>): ClaimsResult {
  if (claims.active === false) return { ok: false, reason: "The token is not active." };
  const sub = claims.sub;
  if (typeof sub !== "string" || sub.length === 0) return { ok: false, reason: "The token has no `sub` claim." };
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is Role => (ROLES as readonly unknown[]).includes(r)) : [];
  const projects = Array.isArray(claims.projects) ? claims.projects.filter((p): p is string => typeof p === "string") : [];
  return { ok: true, principal: { sub, roles, projects } };
}

export function isAdmin(p: Principal): boolean {
  return p.roles.includes("admin");
}

/** True when the caller belongs to the project (admins reach every project). */
export function canSeeProject(p: Principal, projectId: string): boolean {
  return isAdmin(p) || p.projects.includes(projectId);
}

const ALLOWED: Record<Action, readonly Role[]> = {
  read: ["viewer", "editor", "dispatcher", "admin"],
  create: ["editor", "admin"],
  cancel: ["editor", "dispatcher", "admin"],
  retry: ["editor", "dispatcher", "admin"],
  delete: ["editor", "dispatcher", "admin"],
  readWebhooks: ["editor", "dispatcher", "admin"],
  manageWebhooks: ["admin"],
  manageRetention: ["admin"],
};

/** Roles that may cancel or retry any job of a project; an editor may cancel or retry only its own. */
const CANCEL_ANY: readonly Role[] = ["dispatcher", "admin"];

export type Decision = "allow" | "hidden" | "forbidden";

/**
 * Decides one action on one project. `hidden` means the caller cannot see the
 * project at all; id-addressed routes turn that into 404 so nothing leaks.
 * `createdBy` is the job's creator, needed for cancel and retry.
 */
export function authorize(p: Principal, action: Action, target: { projectId: string; createdBy?: string }): Decision {
  if (!canSeeProject(p, target.projectId)) return "hidden";
  if (!p.roles.some((r) => ALLOWED[action].includes(r))) return "forbidden";
  if ((action === "cancel" || action === "retry") && !p.roles.some((r) => CANCEL_ANY.includes(r))) {
    return target.createdBy === p.sub ? "allow" : "forbidden";
  }
  return "allow";
}

/** What an action is called in a refusal. */
const ACTION_NAMES: Record<Action, string> = {
  read: "Reading this project",
  create: "Creating jobs",
  cancel: "Cancelling jobs",
  retry: "Retrying jobs",
  delete: "Deleting jobs and documents",
  readWebhooks: "Reading webhooks",
  manageWebhooks: "Managing webhooks",
  manageRetention: "Changing the project's retention",
};

/**
 * Why a project route refuses the caller, for the 403's `detail`: the project the token
 * lacks and the ones it has, or the roles the action needs and the ones the token has.
 * It says nothing of whether the project exists: the caller named it.
 */
export function refusalDetail(p: Principal, action: Action, projectId: string): string {
  if (!canSeeProject(p, projectId)) {
    const has = p.projects.length ? p.projects.map((x) => JSON.stringify(x)).join(", ") : "none";
    return `This token does not grant project ${JSON.stringify(projectId)} (its projects: ${has}); use a token that lists it.`;
  }
  const roles = p.roles.length ? p.roles.join(", ") : "none";
  return `${ACTION_NAMES[action]} needs one of the roles ${ALLOWED[action].join(", ")}; this token has: ${roles}.`;
}

/**
 * Whether any of the caller's roles may attempt `action` at all. Project routes check
 * this before touching a job; the per-job rule (an editor cancels only its own jobs) is
 * applied by the job's object, which knows the creator.
 */
export function hasRoleFor(p: Principal, action: Action): boolean {
  return p.roles.some((r) => ALLOWED[action].includes(r));
}
