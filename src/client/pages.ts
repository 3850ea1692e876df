/** Cursor pagination shared by every list of the SDK. */

/** A page of a cursor-paginated list (`{items, nextCursor}`). */
export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

/** Every item across pages: asks `page(cursor)` until the server returns no `nextCursor`. */
export async function* everyItem<T>(page: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    yield* p.items;
    cursor = p.nextCursor ?? undefined;
  } while (cursor);
}
