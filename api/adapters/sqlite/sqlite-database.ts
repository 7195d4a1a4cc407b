/**
 * Opens the embedded SQLite file shared by the store and the job queue, and brings its schema
 * up to date. One connection per process is enough: better-sqlite3 is synchronous, and WAL lets
 * other processes (a CLI, a crashed worker's successor) read while this one writes.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MailferryError } from '../../core/errors.js';
import { ensurePrivateDatabaseFiles } from '../private-files.js';
import { MIGRATIONS, type SqliteMigration } from './sqlite-migrations.js';

export type SqliteDb = Database.Database;

/** How long a writer waits for another process's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

export interface OpenSqliteOptions {
  /** For tests of upgrades: apply only these migrations. Defaults to all of them. */
  migrations?: readonly SqliteMigration[];
}

/** `path` may be `:memory:` for throwaway use. */
export function openSqliteDatabase(path: string, options: OpenSqliteOptions = {}): SqliteDb {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
    ensurePrivateDatabaseFiles(path);
  }
  const db = new Database(path);
  try {
    // WAL + synchronous=NORMAL: a committed transaction survives a killed process; only an OS
    // crash or power loss can lose the last few commits (https://sqlite.org/wal.html).
    db.pragma('journal_mode = WAL');
    if (path !== ':memory:') ensurePrivateDatabaseFiles(path);
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function schemaVersion(db: SqliteDb): number {
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number | null };
  return row.version ?? 0;
}

/**
 * Applies, in order, each migration newer than the file. Each runs in its own IMMEDIATE
 * transaction and re-reads the version inside it, so two processes opening the same old file
 * at once do not both apply a migration.
 */
export function migrate(db: SqliteDb, migrations: readonly SqliteMigration[] = MIGRATIONS): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const known = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  const current = schemaVersion(db);
  if (current > known) {
    throw new MailferryError(
      'unsupported',
      `The database file has schema version ${current}, newer than this Mailferry knows (${known}). ` +
        'Upgrade Mailferry or restore a backup made by this version.',
    );
  }
  migrations.forEach((migration, index) => {
    if (index > 0 && migration.version <= migrations[index - 1]!.version) {
      throw new MailferryError('internal', `Migration ${migration.version} is out of order.`);
    }
  });
  const record = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of migrations) {
    db.transaction(() => {
      if (schemaVersion(db) >= migration.version) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
    }).immediate();
  }
}
