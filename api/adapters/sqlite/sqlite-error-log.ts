/**
 * The error log: per item, one row per source message that failed, newest reason kept.
 * Pages walk the primary key (folder, source key), so a page boundary never skips or repeats
 * a row even while `retry-errors` removes rows behind it.
 */
import type { ErrorRow } from '../../core/model.js';
import type { ErrorLog, Page } from '../../core/ports.js';
import type { SqliteDb } from './sqlite-database.js';
import { decodeCursor, isErrorLogCursor, pageLimit, pageFrom } from '../page-cursor.js';

interface ErrorLogRow {
  tenant_id: string;
  item_id: string;
  folder: string;
  source_key: string;
  pass_id: string;
  subject: string | null;
  size: number | null;
  code: string;
  reason: string;
  at: string;
}

function toErrorRow(row: ErrorLogRow): ErrorRow {
  const error: ErrorRow = {
    tenantId: row.tenant_id,
    itemId: row.item_id,
    passId: row.pass_id,
    folder: row.folder,
    sourceKey: row.source_key,
    code: row.code,
    reason: row.reason,
    at: row.at,
  };
  if (row.subject !== null) error.subject = row.subject;
  if (row.size !== null) error.size = row.size;
  return error;
}

export class SqliteErrorLog implements ErrorLog {
  private readonly putAll;
  private readonly removeAll;
  private readonly countRows;
  private readonly deleteItemRows;

  constructor(private readonly db: SqliteDb) {
    const upsert = db.prepare(`
      INSERT INTO error_log (tenant_id, item_id, folder, source_key, pass_id, subject, size, code, reason, at)
      VALUES (@tenantId, @itemId, @folder, @sourceKey, @passId, @subject, @size, @code, @reason, @at)
      ON CONFLICT (tenant_id, item_id, folder, source_key) DO UPDATE SET
        pass_id = excluded.pass_id, subject = excluded.subject, size = excluded.size,
        code = excluded.code, reason = excluded.reason, at = excluded.at`);
    this.putAll = db.transaction((rows: ErrorRow[]) => {
      for (const row of rows) upsert.run({ ...row, subject: row.subject ?? null, size: row.size ?? null });
    });
    const removeOne = db.prepare('DELETE FROM error_log WHERE tenant_id = ? AND item_id = ? AND folder = ? AND source_key = ?');
    this.removeAll = db.transaction((tenantId: string, itemId: string, folder: string, keys: string[]) => {
      for (const key of keys) removeOne.run(tenantId, itemId, folder, key);
    });
    this.countRows = db.prepare('SELECT COUNT(*) AS n FROM error_log WHERE tenant_id = ? AND item_id = ?');
    this.deleteItemRows = db.prepare('DELETE FROM error_log WHERE tenant_id = ? AND item_id = ?');
  }

  async put(rows: ErrorRow[]): Promise<void> {
    this.putAll(rows);
  }

  async list(tenantId: string, itemId: string, query: { folder?: string; limit?: number; cursor?: string } = {}): Promise<Page<ErrorRow>> {
    const limit = pageLimit(query.limit);
    const sql = ['tenant_id = ?', 'item_id = ?'];
    const params: unknown[] = [tenantId, itemId];
    if (query.folder !== undefined) {
      sql.push('folder = ?');
      params.push(query.folder);
    }
    if (query.cursor !== undefined) {
      sql.push('(folder, source_key) > (?, ?)');
      params.push(...decodeCursor(query.cursor, isErrorLogCursor));
    }
    const rows = this.db
      .prepare(`SELECT * FROM error_log WHERE ${sql.join(' AND ')} ORDER BY folder, source_key LIMIT ?`)
      .all(...params, limit + 1) as ErrorLogRow[];
    return pageFrom(rows, limit, toErrorRow, (row) => [row.folder, row.source_key]);
  }

  async remove(tenantId: string, itemId: string, folder: string, sourceKeys: string[]): Promise<void> {
    this.removeAll(tenantId, itemId, folder, sourceKeys);
  }

  async count(tenantId: string, itemId: string): Promise<number> {
    return (this.countRows.get(tenantId, itemId) as { n: number }).n;
  }

  async deleteItem(tenantId: string, itemId: string): Promise<void> {
    this.deleteItemRows.run(tenantId, itemId);
  }
}
