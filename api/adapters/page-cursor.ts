/**
 * Opaque keyset-pagination cursors: base64url of a small JSON value. Opaque so callers cannot
 * depend on the layout (Cosmos returns its own continuation tokens for the same port).
 */
import { ValidationError } from '../core/errors.js';

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** `isValid` checks the decoded shape; anything else is a cursor this adapter never issued. */
export function decodeCursor<T>(cursor: string, isValid: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!isValid(value)) {
    throw new ValidationError('The page cursor is not valid; start again from the first page.', { field: 'cursor' });
  }
  return value;
}

/** Default and ceiling for `limit`, so one call never loads an unbounded result into memory. */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ValidationError(`The page limit must be a positive whole number (got ${limit}).`, { field: 'limit' });
  }
  return Math.min(limit, MAX_PAGE_LIMIT);
}

/** Error-log pages walk (folder, source key): the last row of the previous page. */
export type ErrorLogCursor = [string, string];

export function isErrorLogCursor(value: unknown): value is ErrorLogCursor {
  return Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string');
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only says another page exists, and
 * the cursor is the position of the page's last row.
 */
export function pageFrom<R, T>(
  rows: R[],
  limit: number,
  toItem: (row: R) => T,
  positionOf: (row: R) => unknown,
): { items: T[]; cursor?: string } {
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  const page: { items: T[]; cursor?: string } = { items: pageRows.map(toItem) };
  if (rows.length > limit && last !== undefined) page.cursor = encodeCursor(positionOf(last));
  return page;
}
