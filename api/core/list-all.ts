import type { Item } from './model.js';
import type { Page, Store } from './ports.js';

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

/** Page size for reading a whole project: the store's largest page, fewest round trips. */
const PROJECT_PAGE_SIZE = 1000;

/** Every item of one project (5,000 is a large one). */
export function projectItems(store: Store, tenantId: string, projectId: string): Promise<Item[]> {
  return listAll((cursor) => store.items.list(tenantId, { where: { projectId }, cursor, limit: PROJECT_PAGE_SIZE }));
}
