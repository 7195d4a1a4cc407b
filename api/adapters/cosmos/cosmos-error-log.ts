/**
 * The error log in the `errors` container, laid out like the ledger: one partition per mailbox,
 * one item per failed source message (id = hash(folder, source key)), so a newer failure
 * upserts over the older one. Pages walk (folder, source key) with a keyset cursor, so a page
 * boundary never skips or repeats a row while `retry-errors` removes rows behind it.
 */
import type { Container, SqlParameter } from '@azure/cosmos';
import type { ErrorRow } from '../../core/model.js';
import type { ErrorLog, Page } from '../../core/ports.js';
import { decodeCursor, isErrorLogCursor, pageLimit, pageFrom } from '../page-cursor.js';
import { countOf, deleteAll, queryAll, upsertAll } from './cosmos-batch.js';
import { mailboxPartitionKey, messageItemId } from './cosmos-documents.js';
import { byPartition, deleteWholePartition } from './cosmos-mailbox-partition.js';

type ErrorItem = ErrorRow & { id: string; pk: string };

function toErrorRow(item: ErrorItem): ErrorRow {
  const row: ErrorRow = {
    tenantId: item.tenantId,
    itemId: item.itemId,
    passId: item.passId,
    folder: item.folder,
    sourceKey: item.sourceKey,
    code: item.code,
    reason: item.reason,
    at: item.at,
  };
  if (typeof item.subject === 'string') row.subject = item.subject;
  if (typeof item.size === 'number') row.size = item.size;
  return row;
}

export class CosmosErrorLog implements ErrorLog {
  constructor(private readonly container: Container) {}

  async put(rows: ErrorRow[]): Promise<void> {
    const items = rows.map(
      (row): ErrorItem => ({ ...row, id: messageItemId(row.folder, row.sourceKey), pk: mailboxPartitionKey(row.tenantId, row.itemId) }),
    );
    for (const [pk, partition] of byPartition(items)) await upsertAll(this.container, pk, partition, 'error-log row');
  }

  async list(tenantId: string, itemId: string, query: { folder?: string; limit?: number; cursor?: string } = {}): Promise<Page<ErrorRow>> {
    const limit = pageLimit(query.limit);
    const pk = mailboxPartitionKey(tenantId, itemId);
    const clauses = ['c.pk = @pk'];
    const parameters: SqlParameter[] = [
      { name: '@pk', value: pk },
      { name: '@top', value: limit + 1 },
    ];
    if (query.folder !== undefined) {
      clauses.push('c.folder = @folder');
      parameters.push({ name: '@folder', value: query.folder });
    }
    if (query.cursor !== undefined) {
      const [folder, sourceKey] = decodeCursor(query.cursor, isErrorLogCursor);
      clauses.push('(c.folder > @afterFolder OR (c.folder = @afterFolder AND c.sourceKey > @afterKey))');
      parameters.push({ name: '@afterFolder', value: folder }, { name: '@afterKey', value: sourceKey });
    }
    const items = await queryAll<ErrorItem>(
      this.container,
      `SELECT TOP @top * FROM c WHERE ${clauses.join(' AND ')} ORDER BY c.folder, c.sourceKey`,
      parameters,
      pk,
    );
    return pageFrom(items, limit, toErrorRow, (row) => [row.folder, row.sourceKey]);
  }

  /** Ids follow from (folder, source key), so no query is needed; rows already gone are fine. */
  async remove(tenantId: string, itemId: string, folder: string, sourceKeys: string[]): Promise<void> {
    const pk = mailboxPartitionKey(tenantId, itemId);
    await deleteAll(
      this.container,
      pk,
      [...new Set(sourceKeys)].map((key) => ({ id: messageItemId(folder, key) })),
    );
  }

  async count(tenantId: string, itemId: string): Promise<number> {
    const pk = mailboxPartitionKey(tenantId, itemId);
    return countOf(this.container, 'c.pk = @pk', [{ name: '@pk', value: pk }], pk);
  }

  async deleteItem(tenantId: string, itemId: string): Promise<void> {
    await deleteWholePartition(this.container, mailboxPartitionKey(tenantId, itemId));
  }
}
