/**
 * The ledger: per item, every source message already copied. Rows are keyed
 * (tenant, item, folder, source key); a folder's rows are one primary-key range, which is what
 * keeps `folderEntries` fast for folders of tens of thousands of messages.
 */
import type { LedgerEntry } from '../../core/model.js';
import type { Ledger } from '../../core/ports.js';
import type { SqliteDb } from './sqlite-database.js';

interface LedgerRow {
  tenant_id: string;
  item_id: string;
  folder: string;
  source_key: string;
  dest_folder: string;
  dest_id: string;
  size: number;
  internal_date: number;
  state: 'pending' | 'done';
  dest_uid_floor: number | null;
  dest_uid_validity: number | null;
}

function toEntry(row: LedgerRow): LedgerEntry {
  const entry: LedgerEntry = {
    tenantId: row.tenant_id,
    itemId: row.item_id,
    folder: row.folder,
    sourceKey: row.source_key,
    destFolder: row.dest_folder,
    destId: row.dest_id,
    size: row.size,
    internalDate: row.internal_date,
    state: row.state,
  };
  if (row.dest_uid_floor !== null) entry.destUidFloor = row.dest_uid_floor;
  if (row.dest_uid_validity !== null) entry.destUidValidity = row.dest_uid_validity;
  return entry;
}

export class SqliteLedger implements Ledger {
  private readonly upsert;
  private readonly selectFolder;
  private readonly deleteOnePending;
  private readonly countDoneRows;
  private readonly deleteItemRows;
  private readonly putAll;
  private readonly deletePendingAll;

  constructor(db: SqliteDb) {
    this.upsert = db.prepare(`
      INSERT INTO ledger (tenant_id, item_id, folder, source_key, dest_folder, dest_id, size, internal_date,
                          state, dest_uid_floor, dest_uid_validity)
      VALUES (@tenantId, @itemId, @folder, @sourceKey, @destFolder, @destId, @size, @internalDate,
              @state, @destUidFloor, @destUidValidity)
      ON CONFLICT (tenant_id, item_id, folder, source_key) DO UPDATE SET
        dest_folder = excluded.dest_folder, dest_id = excluded.dest_id, size = excluded.size,
        internal_date = excluded.internal_date, state = excluded.state,
        dest_uid_floor = excluded.dest_uid_floor, dest_uid_validity = excluded.dest_uid_validity`);
    this.selectFolder = db.prepare('SELECT * FROM ledger WHERE tenant_id = ? AND item_id = ? AND folder = ? ORDER BY source_key');
    this.deleteOnePending = db.prepare(
      `DELETE FROM ledger WHERE tenant_id = ? AND item_id = ? AND folder = ? AND source_key = ? AND state = 'pending'`,
    );
    this.countDoneRows = db.prepare(`SELECT COUNT(*) AS n FROM ledger WHERE tenant_id = ? AND item_id = ? AND state = 'done'`);
    this.deleteItemRows = db.prepare('DELETE FROM ledger WHERE tenant_id = ? AND item_id = ?');
    // One transaction per batch: a batch of 10,000 rows is one fsync, not 10,000.
    this.putAll = db.transaction((entries: LedgerEntry[]) => {
      for (const entry of entries) {
        this.upsert.run({ ...entry, destUidFloor: entry.destUidFloor ?? null, destUidValidity: entry.destUidValidity ?? null });
      }
    });
    this.deletePendingAll = db.transaction((tenantId: string, itemId: string, folder: string, keys: string[]) => {
      for (const key of keys) this.deleteOnePending.run(tenantId, itemId, folder, key);
    });
  }

  async folderEntries(tenantId: string, itemId: string, folder: string): Promise<LedgerEntry[]> {
    return (this.selectFolder.all(tenantId, itemId, folder) as LedgerRow[]).map(toEntry);
  }

  async put(entries: LedgerEntry[]): Promise<void> {
    this.putAll(entries);
  }

  async deletePending(tenantId: string, itemId: string, folder: string, sourceKeys: string[]): Promise<void> {
    this.deletePendingAll(tenantId, itemId, folder, sourceKeys);
  }

  async countDone(tenantId: string, itemId: string): Promise<number> {
    return (this.countDoneRows.get(tenantId, itemId) as { n: number }).n;
  }

  async deleteItem(tenantId: string, itemId: string): Promise<void> {
    this.deleteItemRows.run(tenantId, itemId);
  }
}
