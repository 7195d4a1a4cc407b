/**
 * The ledger in the `ledger` container: one logical partition per mailbox (`/pk`), one item per
 * source message with id = hash(folder, source key). `folderEntries` is a single-partition
 * query; `put` is idempotent upserts in transactional batches of 100 (see cosmos-batch.ts).
 */
import type { Container } from '@azure/cosmos';
import type { LedgerEntry } from '../../core/model.js';
import type { Ledger } from '../../core/ports.js';
import { countOf, deleteAll, queryAll, upsertAll } from './cosmos-batch.js';
import { chunked, mailboxPartitionKey, messageItemId } from './cosmos-documents.js';
import { byPartition, deleteWholePartition } from './cosmos-mailbox-partition.js';

/** Source keys per `deletePending` query, to stay well inside Cosmos's query-size limits. */
const KEYS_PER_QUERY = 500;

type LedgerItem = LedgerEntry & { id: string; pk: string };

function toItem(entry: LedgerEntry): LedgerItem {
  return { ...entry, id: messageItemId(entry.folder, entry.sourceKey), pk: mailboxPartitionKey(entry.tenantId, entry.itemId) };
}

function toEntry(item: LedgerItem): LedgerEntry {
  const entry: LedgerEntry = {
    tenantId: item.tenantId,
    itemId: item.itemId,
    folder: item.folder,
    sourceKey: item.sourceKey,
    destFolder: item.destFolder,
    destId: item.destId,
    size: item.size,
    internalDate: item.internalDate,
    state: item.state,
  };
  if (typeof item.destUidFloor === 'number') entry.destUidFloor = item.destUidFloor;
  if (typeof item.destUidValidity === 'number') entry.destUidValidity = item.destUidValidity;
  return entry;
}

export class CosmosLedger implements Ledger {
  constructor(private readonly container: Container) {}

  async folderEntries(tenantId: string, itemId: string, folder: string): Promise<LedgerEntry[]> {
    const pk = mailboxPartitionKey(tenantId, itemId);
    const items = await queryAll<LedgerItem>(
      this.container,
      'SELECT * FROM c WHERE c.pk = @pk AND c.folder = @folder ORDER BY c.sourceKey',
      [
        { name: '@pk', value: pk },
        { name: '@folder', value: folder },
      ],
      pk,
    );
    return items.map(toEntry);
  }

  async put(entries: LedgerEntry[]): Promise<void> {
    for (const [pk, items] of byPartition(entries.map(toItem))) {
      await upsertAll(this.container, pk, items, 'ledger entry');
    }
  }

  /**
   * Only entries still pending are removed. Each delete is conditional on the ETag read with the
   * pending state, so an entry confirmed in the meantime is kept.
   */
  async deletePending(tenantId: string, itemId: string, folder: string, sourceKeys: string[]): Promise<void> {
    const pk = mailboxPartitionKey(tenantId, itemId);
    for (const keys of chunked(sourceKeys, KEYS_PER_QUERY)) {
      const pending = await queryAll<{ id: string; _etag: string }>(
        this.container,
        `SELECT c.id, c._etag FROM c WHERE c.pk = @pk AND c.folder = @folder AND c.state = 'pending' AND ARRAY_CONTAINS(@keys, c.sourceKey)`,
        [
          { name: '@pk', value: pk },
          { name: '@folder', value: folder },
          { name: '@keys', value: keys },
        ],
        pk,
      );
      await deleteAll(
        this.container,
        pk,
        pending.map((item) => ({ id: item.id, etag: item._etag })),
      );
    }
  }

  async countDone(tenantId: string, itemId: string): Promise<number> {
    const pk = mailboxPartitionKey(tenantId, itemId);
    return countOf(this.container, `c.pk = @pk AND c.state = 'done'`, [{ name: '@pk', value: pk }], pk);
  }

  async deleteItem(tenantId: string, itemId: string): Promise<void> {
    await deleteWholePartition(this.container, mailboxPartitionKey(tenantId, itemId));
  }
}
