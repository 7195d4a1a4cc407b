/**
 * Ledger and error-log behaviour every Store adapter must show. The ledger is what keeps a
 * second pass from duplicating mail, so upsert and tenant isolation are checked closely.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../api/core/ports.js';
import { errorRow, ledgerEntry, TENANT_A, TENANT_B } from './store-fixtures.js';

export function describeLedgerCases(store: () => Store): void {
  describe('the ledger', () => {
    it('returns every entry of one folder of one item, with optional fields kept', async () => {
      const pending = ledgerEntry({ sourceKey: '1:10', state: 'pending', destId: '', destUidFloor: 41, destUidValidity: 7 });
      const done = ledgerEntry({ sourceKey: '1:11' });
      await store().ledger.put([
        pending,
        done,
        ledgerEntry({ sourceKey: '1:12', folder: 'Sent' }),
        ledgerEntry({ sourceKey: '1:13', itemId: 'item-2' }),
      ]);
      const entries = await store().ledger.folderEntries(TENANT_A, 'item-1', 'INBOX');
      expect(entries.sort((x, y) => x.sourceKey.localeCompare(y.sourceKey))).toEqual([pending, done]);
    });

    it('upserts by source key: a pending entry becomes done without a second row', async () => {
      await store().ledger.put([ledgerEntry({ sourceKey: '1:10', state: 'pending', destId: '', destUidFloor: 41 })]);
      await store().ledger.put([ledgerEntry({ sourceKey: '1:10', state: 'done', destId: '7:41' })]);
      const entries = await store().ledger.folderEntries(TENANT_A, 'item-1', 'INBOX');
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ state: 'done', destId: '7:41' });
      expect(entries[0]!.destUidFloor).toBeUndefined();
    });

    it('deletes only the pending entries it is given', async () => {
      await store().ledger.put([
        ledgerEntry({ sourceKey: 'p1', state: 'pending' }),
        ledgerEntry({ sourceKey: 'p2', state: 'pending' }),
        ledgerEntry({ sourceKey: 'd1', state: 'done' }),
      ]);
      await store().ledger.deletePending(TENANT_A, 'item-1', 'INBOX', ['p1', 'd1']);
      const keys = (await store().ledger.folderEntries(TENANT_A, 'item-1', 'INBOX')).map((entry) => entry.sourceKey);
      expect(keys.sort()).toEqual(['d1', 'p2']);
    });

    it('counts done entries of an item across its folders, not pending ones', async () => {
      await store().ledger.put([
        ledgerEntry({ sourceKey: 'a', folder: 'INBOX' }),
        ledgerEntry({ sourceKey: 'b', folder: 'Sent' }),
        ledgerEntry({ sourceKey: 'c', state: 'pending' }),
        ledgerEntry({ sourceKey: 'd', itemId: 'item-2' }),
      ]);
      expect(await store().ledger.countDone(TENANT_A, 'item-1')).toBe(2);
    });

    it('deletes one item’s entries and leaves the other items alone', async () => {
      await store().ledger.put([ledgerEntry({ sourceKey: 'a' }), ledgerEntry({ sourceKey: 'b', itemId: 'item-2' })]);
      await store().ledger.deleteItem(TENANT_A, 'item-1');
      expect(await store().ledger.countDone(TENANT_A, 'item-1')).toBe(0);
      expect(await store().ledger.countDone(TENANT_A, 'item-2')).toBe(1);
    });

    it('keeps tenants apart in every ledger method', async () => {
      await store().ledger.put([ledgerEntry({ sourceKey: 'a' }), ledgerEntry({ sourceKey: 'p', state: 'pending' })]);
      await store().ledger.put([ledgerEntry({ sourceKey: 'a', tenantId: TENANT_B, destId: 'of B' })]);
      expect((await store().ledger.folderEntries(TENANT_B, 'item-1', 'INBOX')).map((entry) => entry.destId)).toEqual(['of B']);
      await store().ledger.deletePending(TENANT_B, 'item-1', 'INBOX', ['p']);
      await store().ledger.deleteItem(TENANT_B, 'item-1');
      expect(await store().ledger.folderEntries(TENANT_A, 'item-1', 'INBOX')).toHaveLength(2);
      expect(await store().ledger.countDone(TENANT_A, 'item-1')).toBe(1);
      expect(await store().ledger.countDone(TENANT_B, 'item-1')).toBe(0);
    });

    it('takes a batch of 2,000 entries in one put', async () => {
      const batch = Array.from({ length: 2000 }, (_, index) => ledgerEntry({ sourceKey: `1:${index}` }));
      await store().ledger.put(batch);
      expect(await store().ledger.folderEntries(TENANT_A, 'item-1', 'INBOX')).toHaveLength(2000);
    });
  });
}

export function describeErrorLogCases(store: () => Store): void {
  describe('the error log', () => {
    it('keeps one row per source message, with the newest reason', async () => {
      await store().errors.put([errorRow({ sourceKey: 'k1', reason: 'first failure' })]);
      await store().errors.put([errorRow({ sourceKey: 'k1', reason: 'second failure', passId: 'pass-2' })]);
      const page = await store().errors.list(TENANT_A, 'item-1');
      expect(page.items).toEqual([errorRow({ sourceKey: 'k1', reason: 'second failure', passId: 'pass-2' })]);
      expect(await store().errors.count(TENANT_A, 'item-1')).toBe(1);
    });

    it('pages through every row once, and filters by folder', async () => {
      const rows = ['INBOX', 'Sent', 'INBOX', 'Archive', 'Sent'].map((folder, index) =>
        errorRow({ folder, sourceKey: `k${index}`, subject: `Subject ${index}`, size: 100 + index }),
      );
      await store().errors.put(rows);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store().errors.list(TENANT_A, 'item-1', { limit: 2, cursor });
        seen.push(...page.items.map((row) => row.sourceKey));
        cursor = page.cursor;
        pages += 1;
      } while (cursor !== undefined);
      expect(seen.sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
      expect(pages).toBe(3);
      const sent = await store().errors.list(TENANT_A, 'item-1', { folder: 'Sent' });
      expect(sent.items.map((row) => row.sourceKey).sort()).toEqual(['k1', 'k4']);
    });

    it('removes the rows that a retry fixed and keeps the rest', async () => {
      await store().errors.put([errorRow({ sourceKey: 'k1' }), errorRow({ sourceKey: 'k2' }), errorRow({ sourceKey: 'k3' })]);
      await store().errors.remove(TENANT_A, 'item-1', 'INBOX', ['k1', 'k3']);
      expect((await store().errors.list(TENANT_A, 'item-1')).items.map((row) => row.sourceKey)).toEqual(['k2']);
    });

    it('deletes one item’s rows only', async () => {
      await store().errors.put([errorRow({ sourceKey: 'k1' }), errorRow({ sourceKey: 'k1', itemId: 'item-2' })]);
      await store().errors.deleteItem(TENANT_A, 'item-1');
      expect(await store().errors.count(TENANT_A, 'item-1')).toBe(0);
      expect(await store().errors.count(TENANT_A, 'item-2')).toBe(1);
    });

    it('keeps tenants apart in every error-log method', async () => {
      await store().errors.put([errorRow({ sourceKey: 'k1' })]);
      await store().errors.put([errorRow({ sourceKey: 'k1', tenantId: TENANT_B, reason: 'of B' })]);
      expect((await store().errors.list(TENANT_B, 'item-1')).items.map((row) => row.reason)).toEqual(['of B']);
      await store().errors.remove(TENANT_B, 'item-1', 'INBOX', ['k1']);
      expect(await store().errors.count(TENANT_A, 'item-1')).toBe(1);
      await store().errors.put([errorRow({ sourceKey: 'k2', tenantId: TENANT_B })]);
      await store().errors.deleteItem(TENANT_B, 'item-1');
      expect(await store().errors.count(TENANT_B, 'item-1')).toBe(0);
      expect((await store().errors.list(TENANT_A, 'item-1')).items.map((row) => row.reason)).toEqual([
        errorRow({ sourceKey: 'k1' }).reason,
      ]);
    });
  });
}
