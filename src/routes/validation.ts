import type { Hook } from "@hono/zod-openapi";
import { badRequest } from "../http/problem";

/**
 * Turns a failed zod validation into a 400 problem whose `detail` is the schema's own
 * message (e.g. "Invalid limit. Must be between 1 and 100.") and whose `errors` lists
 * every issue with its location.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (result.success) return;
  const issues = result.error.issues;
  throw badRequest(issues.map((i) => i.message).join("; "), {
    errors: issues.map((i) => ({ in: result.target, path: i.path.join("."), message: i.message })),
  });
};
