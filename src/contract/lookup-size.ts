/** Files one `POST /lookup` may ask about (one bounded D1 query answers them all). Plain, for the SDK and CLI. */
export const MAX_LOOKUP_ITEMS = 1_000;
