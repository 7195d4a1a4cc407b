/**
 * Sync cursors in the `cursors` container, partitioned like the ledger (`/pk` = tenant|item, one
 * logical partition per mailbox), item id = hash(side, folder): every get, put and delete is a
 * point operation; deleting an item's cursors is one single-partition query.
 */
import type { Container } from '@azure/cosmos';
import type { SyncCursor, SyncCursors } from '../../core/ports.js';
import { HTTP_NOT_FOUND, cosmosStatus, toStoreError } from './cosmos-errors.js';
import { mailboxPartitionKey, messageItemId, withoutFields } from './cosmos-documents.js';
import { deleteWholePartition } from './cosmos-mailbox-partition.js';

type CursorItem = SyncCursor & { id: string; pk: string };

const idOf = (side: SyncCursor['side'], folder: string) => messageItemId(side, folder);

export class CosmosSyncCursors implements SyncCursors {
  constructor(private readonly container: Container) {}

  async get(tenantId: string, itemId: string, side: SyncCursor['side'], folder: string): Promise<SyncCursor | undefined> {
    try {
      const { resource } = await this.container.item(idOf(side, folder), mailboxPartitionKey(tenantId, itemId)).read<CursorItem>();
      // The tenant and item are checked on the record too, not left to the partition key alone.
      if (!resource || resource.tenantId !== tenantId || resource.itemId !== itemId) return undefined;
      return withoutFields(resource, ['id', 'pk']);
    } catch (error) {
      if (cosmosStatus(error) === HTTP_NOT_FOUND) return undefined;
      throw toStoreError(error, `sync cursor of folder "${folder}"`);
    }
  }

  async put(cursor: SyncCursor): Promise<void> {
    const { tenantId, itemId, side, folder, folderIdentity, cursor: value, savedAt } = cursor;
    const item: CursorItem = {
      id: idOf(side, folder),
      pk: mailboxPartitionKey(tenantId, itemId),
      tenantId,
      itemId,
      side,
      folder,
      folderIdentity,
      cursor: value,
      savedAt,
    };
    try {
      await this.container.items.upsert(item);
    } catch (error) {
      throw toStoreError(error, `sync cursor of folder "${folder}"`);
    }
  }

  async delete(tenantId: string, itemId: string, side: SyncCursor['side'], folder: string): Promise<void> {
    try {
      await this.container.item(idOf(side, folder), mailboxPartitionKey(tenantId, itemId)).delete();
    } catch (error) {
      if (cosmosStatus(error) === HTTP_NOT_FOUND) return;
      throw toStoreError(error, `sync cursor of folder "${folder}"`);
    }
  }

  async deleteItem(tenantId: string, itemId: string): Promise<void> {
    await deleteWholePartition(this.container, mailboxPartitionKey(tenantId, itemId));
  }
}
