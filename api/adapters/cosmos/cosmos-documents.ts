/**
 * How Store records become Cosmos items: the system properties Cosmos adds, the partition key
 * of a mailbox's ledger and error log, and item ids that Cosmos accepts for any folder name.
 */
import { createHash } from 'node:crypto';

/** Added by Cosmos to every item; a record handed back through the port never carries them. */
const SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts'] as const;

export function withoutFields<T extends object>(resource: T, internal: readonly string[] = []): T {
  const copy = { ...resource } as Record<string, unknown>;
  for (const field of [...SYSTEM_FIELDS, ...internal]) delete copy[field];
  return copy as T;
}

/**
 * One logical partition per mailbox (tenant × item). Each part is URI-encoded so the `|`
 * separator cannot appear inside a part: ("a|b", "c") and ("a", "b|c") never share a partition.
 */
export function mailboxPartitionKey(tenantId: string, itemId: string): string {
  return `${encodeURIComponent(tenantId)}|${encodeURIComponent(itemId)}`;
}

/**
 * Cosmos item ids may not contain `/`, `\`, `?` or `#` and stop at 255 characters, while IMAP
 * folder paths contain `/` and can be long. A SHA-256 of (folder, source key) is short, safe
 * and deterministic, which is what makes a repeated upsert land on the same item.
 */
export function messageItemId(folder: string, sourceKey: string): string {
  return createHash('sha256')
    .update(JSON.stringify([folder, sourceKey]))
    .digest('base64url');
}

/** Characters Cosmos refuses in an item id, and its length limit. */
const FORBIDDEN_ID_CHARACTERS = /[/\\?#]/;
const MAX_ID_LENGTH = 255;

export function isValidItemId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH && !FORBIDDEN_ID_CHARACTERS.test(id);
}

/** Splits into runs of at most `size`, keeping order. */
export function chunked<T>(values: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < values.length; start += size) chunks.push(values.slice(start, start + size));
  return chunks;
}
