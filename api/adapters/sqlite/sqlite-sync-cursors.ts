/**
 * Sync cursors in the `sync_cursors` table, keyed (tenant, item, side, folder): one row per
 * source folder whose incremental listing (a Graph delta link) the next pass follows.
 */
import type { SyncCursor, SyncCursors } from '../../core/ports.js';
import type { SqliteDb } from './sqlite-database.js';

interface CursorRow {
  tenant_id: string;
  item_id: string;
  side: SyncCursor['side'];
  folder: string;
  folder_identity: string;
  cursor: string;
  saved_at: string;
}

function prepareAll(db: SqliteDb) {
  return {
    selectOne: db.prepare('SELECT * FROM sync_cursors WHERE tenant_id = ? AND item_id = ? AND side = ? AND folder = ?'),
    upsert: db.prepare(`
      INSERT INTO sync_cursors (tenant_id, item_id, side, folder, folder_identity, cursor, saved_at)
      VALUES (@tenantId, @itemId, @side, @folder, @folderIdentity, @cursor, @savedAt)
      ON CONFLICT (tenant_id, item_id, side, folder) DO UPDATE SET
        folder_identity = excluded.folder_identity, cursor = excluded.cursor, saved_at = excluded.saved_at`),
    deleteOne: db.prepare('DELETE FROM sync_cursors WHERE tenant_id = ? AND item_id = ? AND side = ? AND folder = ?'),
    deleteItemRows: db.prepare('DELETE FROM sync_cursors WHERE tenant_id = ? AND item_id = ?'),
  };
}

export class SqliteSyncCursors implements SyncCursors {
  private prepared?: ReturnType<typeof prepareAll>;

  constructor(private readonly db: SqliteDb) {}

  /** Prepared on first use: a store opened on a file of an older schema (a migration test) never needs the table. */
  private get sql(): ReturnType<typeof prepareAll> {
    this.prepared ??= prepareAll(this.db);
    return this.prepared;
  }

  async get(tenantId: string, itemId: string, side: SyncCursor['side'], folder: string): Promise<SyncCursor | undefined> {
    const row = this.sql.selectOne.get(tenantId, itemId, side, folder) as CursorRow | undefined;
    return (
      row && {
        tenantId: row.tenant_id,
        itemId: row.item_id,
        side: row.side,
        folder: row.folder,
        folderIdentity: row.folder_identity,
        cursor: row.cursor,
        savedAt: row.saved_at,
      }
    );
  }

  async put(cursor: SyncCursor): Promise<void> {
    const { tenantId, itemId, side, folder, folderIdentity, cursor: value, savedAt } = cursor;
    this.sql.upsert.run({ tenantId, itemId, side, folder, folderIdentity, cursor: value, savedAt });
  }

  async delete(tenantId: string, itemId: string, side: SyncCursor['side'], folder: string): Promise<void> {
    this.sql.deleteOne.run(tenantId, itemId, side, folder);
  }

  async deleteItem(tenantId: string, itemId: string): Promise<void> {
    this.sql.deleteItemRows.run(tenantId, itemId);
  }
}
