/** Cursor-paginated lists: the `limit`/`cursor` query every list takes and the page it answers with. */
import { z } from "@hono/zod-openapi";

const limitError = { error: "Invalid limit. Must be between 1 and 100." };
/** `limit` of every paginated route. */
export const PageLimit = z.coerce.number(limitError).int(limitError).min(1, limitError).max(100, limitError).default(50);

/** The query of a list with no filters. */
export const PageQuery = z.object({
  cursor: z.string().optional().openapi({ description: "The `nextCursor` of the previous page; absent for the first page." }),
  limit: PageLimit,
});

/** A page of `item`s, newest first, with the count of all that match; `nextCursor` null on the last page. */
export function countedPage<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable(), total: z.number().int() }).openapi(name);
}
