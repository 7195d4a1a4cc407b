/**
 * The embedded Store: the document collections, the ledger, the error log and the sync cursors in one SQLite
 * file. Methods return promises although better-sqlite3 is synchronous, because the Cosmos
 * store implements the same port.
 */
import type { Endpoint, GroupSlots, Item, Pass, Project, Workgroup } from '../../core/model.js';
import type { Store } from '../../core/ports.js';
import { SqliteCollection } from './sqlite-collection.js';
import { openSqliteDatabase, type SqliteDb } from './sqlite-database.js';
import { SqliteErrorLog } from './sqlite-error-log.js';
import { SqliteLedger } from './sqlite-ledger.js';
import { SqliteSyncCursors } from './sqlite-sync-cursors.js';

export class SqliteStore implements Store {
  readonly projects: SqliteCollection<Project>;
  readonly endpoints: SqliteCollection<Endpoint>;
  readonly items: SqliteCollection<Item>;
  readonly passes: SqliteCollection<Pass>;
  readonly workgroups: SqliteCollection<Workgroup>;
  readonly groupSlots: SqliteCollection<GroupSlots>;
  readonly ledger: SqliteLedger;
  readonly errors: SqliteErrorLog;
  readonly cursors: SqliteSyncCursors;

  /**
   * `ownsDb`: close the connection on `close()`. False when the embedded host shares one
   * connection between the store and the queue and closes it itself.
   */
  constructor(
    private readonly db: SqliteDb,
    private readonly ownsDb = false,
  ) {
    this.projects = new SqliteCollection<Project>(db, 'projects');
    this.endpoints = new SqliteCollection<Endpoint>(db, 'endpoints');
    this.items = new SqliteCollection<Item>(db, 'items');
    this.passes = new SqliteCollection<Pass>(db, 'passes');
    this.workgroups = new SqliteCollection<Workgroup>(db, 'workgroups');
    this.groupSlots = new SqliteCollection<GroupSlots>(db, 'group_slots');
    this.ledger = new SqliteLedger(db);
    this.errors = new SqliteErrorLog(db);
    this.cursors = new SqliteSyncCursors(db);
  }

  /** Opens (creating or upgrading) a file used by this store alone. */
  static open(path: string): SqliteStore {
    return new SqliteStore(openSqliteDatabase(path), true);
  }

  async tenantIds(): Promise<string[]> {
    const rows = this.db.prepare('SELECT DISTINCT tenant_id AS tenantId FROM projects ORDER BY tenant_id').all() as { tenantId: string }[];
    return rows.map((r) => r.tenantId);
  }

  async close(): Promise<void> {
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
