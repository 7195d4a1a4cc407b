/**
 * Sync cursors every Store adapter must keep: where a folder's delta listing left off. A cursor
 * read for the wrong mailbox, side or folder would make a pass skip items, so the key is
 * checked part by part, and tenants are kept apart like every other record.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../api/core/ports.js';
import { syncCursor, TENANT_A, TENANT_B } from './store-fixtures.js';

export function describeSyncCursorCases(store: () => Store): void {
  describe('the sync cursors', () => {
    it('returns the cursor saved for a tenant, item, side and folder, and nothing for any other key', async () => {
      const saved = syncCursor();
      await store().cursors.put(saved);
      expect(await store().cursors.get(TENANT_A, 'item-1', 'source', saved.folder)).toEqual(saved);
      expect(await store().cursors.get(TENANT_B, 'item-1', 'source', saved.folder)).toBeUndefined();
      expect(await store().cursors.get(TENANT_A, 'item-2', 'source', saved.folder)).toBeUndefined();
      expect(await store().cursors.get(TENANT_A, 'item-1', 'destination', saved.folder)).toBeUndefined();
      expect(await store().cursors.get(TENANT_A, 'item-1', 'source', 'Inbox')).toBeUndefined();
    });

    it('replaces a cursor by key: the newest save wins, with its folder identity', async () => {
      await store().cursors.put(syncCursor({ cursor: 'first' }));
      const newer = syncCursor({ cursor: 'second', folderIdentity: 'AAMkAGfolder-2', savedAt: '2026-12-04T11:00:00.000Z' });
      await store().cursors.put(newer);
      expect(await store().cursors.get(TENANT_A, 'item-1', 'source', newer.folder)).toEqual(newer);
    });

    it('keeps folders whose names only a separator or case tells apart as separate cursors', async () => {
      const names = ['Inbox/a', 'Inbox.a', 'inbox/a', 'Inbox/a/', 'Boîte de réception/日本語 "quoted" #1?'];
      for (const [i, folder] of names.entries()) await store().cursors.put(syncCursor({ folder, cursor: `c${i}` }));
      for (const [i, folder] of names.entries())
        expect((await store().cursors.get(TENANT_A, 'item-1', 'source', folder))?.cursor).toBe(`c${i}`);
    });

    it('deletes one folder’s cursor; deleting a missing one is not an error', async () => {
      await store().cursors.put(syncCursor({ folder: 'Inbox' }));
      await store().cursors.put(syncCursor({ folder: 'Sent' }));
      await store().cursors.delete(TENANT_A, 'item-1', 'source', 'Inbox');
      await store().cursors.delete(TENANT_A, 'item-1', 'source', 'Inbox');
      expect(await store().cursors.get(TENANT_A, 'item-1', 'source', 'Inbox')).toBeUndefined();
      expect(await store().cursors.get(TENANT_A, 'item-1', 'source', 'Sent')).toBeDefined();
    });

    it('deletes every cursor of one item and leaves other items and tenants alone', async () => {
      await store().cursors.put(syncCursor({ folder: 'Inbox' }));
      await store().cursors.put(syncCursor({ folder: 'Sent', side: 'destination' }));
      await store().cursors.put(syncCursor({ folder: 'Inbox', itemId: 'item-2' }));
      await store().cursors.put(syncCursor({ folder: 'Inbox', tenantId: TENANT_B }));
      await store().cursors.deleteItem(TENANT_A, 'item-1');
      expect(await store().cursors.get(TENANT_A, 'item-1', 'source', 'Inbox')).toBeUndefined();
      expect(await store().cursors.get(TENANT_A, 'item-1', 'destination', 'Sent')).toBeUndefined();
      expect(await store().cursors.get(TENANT_A, 'item-2', 'source', 'Inbox')).toBeDefined();
      expect(await store().cursors.get(TENANT_B, 'item-1', 'source', 'Inbox')).toBeDefined();
    });

    it('keeps tenants apart on delete', async () => {
      await store().cursors.put(syncCursor({ folder: 'Inbox' }));
      await store().cursors.delete(TENANT_B, 'item-1', 'source', 'Inbox');
      await store().cursors.deleteItem(TENANT_B, 'item-1');
      expect(await store().cursors.get(TENANT_A, 'item-1', 'source', 'Inbox')).toBeDefined();
    });
  });
}
