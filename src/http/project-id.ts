/**
 * What a project id may be: 1–128 characters of `A–Z a–z 0–9 _ . -`, not starting with
 * `.` or `-`. These are URL-unreserved characters (RFC 3986 §2.3): an id needs no
 * percent-encoding in a path, so the id a router decodes, the id a rate limit is charged
 * to, the id in a `Location` header and the id in a token's `projects` claim are one and
 * the same string.
 */

export const PROJECT_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The `detail` of the 400 for any other id. */
export const PROJECT_ID_RULE = "projectId must be 1-128 characters of A-Z, a-z, 0-9, '_', '.' or '-', starting with a letter, digit or '_'";

export function isProjectId(value: string): boolean {
  return PROJECT_ID_PATTERN.test(value);
}
