/**
 * A JSON answer as an HTTP test reads it: every field and every item is again a JSON value, so a
 * test names the path it checks (`json.items[0].id`) without declaring each route's shape (the
 * OpenAPI document has them; test/http/openapi-document.test.ts holds the API to it). Where a
 * test needs a plain value, it says which: `text(json.id)`, `list(json.items)`.
 */
export interface Json {
  readonly [key: string]: Json;
}

/** A string field (an id, a status), for where a string goes. */
export function text(value: Json): string {
  if (typeof value !== 'string') throw new Error(`Expected a string in the JSON answer, got ${JSON.stringify(value)}`);
  return value;
}

/** An array field, for its array methods. */
export function list(value: Json): Json[] {
  if (!Array.isArray(value)) throw new Error(`Expected an array in the JSON answer, got ${JSON.stringify(value)}`);
  return value;
}
