import type { Page } from '../ports.js';

/** Follows cursors to the end. For bounded sets (a project's items, an item's errors). */
export async function listAll<T>(fetchPage: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return all;
}
