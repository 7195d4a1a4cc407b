import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MailferryError } from '../../../api/core/errors.js';
import { migrate, openSqliteDatabase, schemaVersion } from '../../../api/adapters/sqlite/sqlite-database.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../api/adapters/sqlite/sqlite-migrations.js';
import { SqliteJobQueue } from '../../../api/adapters/sqlite/sqlite-job-queue.js';
import { SqliteStore } from '../../../api/adapters/sqlite/sqlite-store.js';
import { endpointSpec, projectSpec, TENANT_A } from '../../conformance/store-fixtures.js';
import { makeTempDir, type TempDir } from '../temp-dir.js';

function tables(db: ReturnType<typeof openSqliteDatabase>): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map(
    (row) => row.name,
  );
}

describe('openSqliteDatabase', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.remove());

  it('creates a new file at the latest schema, in WAL mode with the durability settings', () => {
    const db = openSqliteDatabase(dir.file('nested/dir/mailferry.db'));
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('upgrades a file written by an older version and keeps its records', async () => {
    const path = dir.file('mailferry.db');
    const old = openSqliteDatabase(path, { migrations: MIGRATIONS.slice(0, 1) });
    await new SqliteStore(old).projects.insert(projectSpec.make(TENANT_A, 'p1', 'From version 1'));
    expect(tables(old)).not.toContain('jobs');
    old.close();

    const store = SqliteStore.open(path);
    expect((await store.projects.get(TENANT_A, 'p1'))?.name).toBe('From version 1');
    await store.close();
    const queue = SqliteJobQueue.open(path);
    await queue.enqueue({ tenantId: TENANT_A, projectId: 'p1', itemId: 'i1', passId: 's1' });
    expect(await queue.depth()).toBe(1);
    await queue.close();

    const db = openSqliteDatabase(path);
    const applied = db.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[];
    expect(applied.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
    db.close();
  });

  it('rolls back a migration that fails halfway and leaves the file at the previous version', () => {
    const path = dir.file('mailferry.db');
    const broken = [
      ...MIGRATIONS,
      { version: LATEST_SCHEMA_VERSION + 1, name: 'broken', sql: 'CREATE TABLE half_done (x); SELECT nope FROM missing;' },
    ];
    expect(() => openSqliteDatabase(path, { migrations: broken })).toThrow(/missing/);
    const db = openSqliteDatabase(path);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(tables(db)).not.toContain('half_done');
    db.close();
  });

  it('refuses a file written by a newer Mailferry instead of guessing at its schema', () => {
    const path = dir.file('mailferry.db');
    const future = [...MIGRATIONS, { version: LATEST_SCHEMA_VERSION + 1, name: 'future', sql: 'CREATE TABLE future (x);' }];
    openSqliteDatabase(path, { migrations: future }).close();
    expect(() => openSqliteDatabase(path)).toThrow(MailferryError);
    expect(() => openSqliteDatabase(path)).toThrow(/newer than this Mailferry knows/);
  });

  it('applies nothing when the file is already current', () => {
    const path = dir.file('mailferry.db');
    openSqliteDatabase(path).close();
    const db = openSqliteDatabase(path);
    const before = db.prepare('SELECT COUNT(*) AS n FROM schema_version').get();
    migrate(db);
    expect(db.prepare('SELECT COUNT(*) AS n FROM schema_version').get()).toEqual(before);
    db.close();
  });

  it('keeps Exchange Online endpoints saved before the Graph/EWS choice on EWS, and leaves other kinds alone', async () => {
    const path = dir.file('mailferry.db');
    const before = openSqliteDatabase(path, { migrations: MIGRATIONS.filter((m) => m.version <= 5) });
    const old = new SqliteStore(before);
    await old.endpoints.insert({ ...endpointSpec.make(TENANT_A, 'm365-old', 'Exchange Online'), kind: 'm365' });
    await old.endpoints.insert({ ...endpointSpec.make(TENANT_A, 'ex-old', 'Exchange 2016'), kind: 'exchange' });
    await old.endpoints.insert({ ...endpointSpec.make(TENANT_A, 'm365-graph', 'Already chosen'), kind: 'm365', protocol: 'graph' });
    before.close();

    const store = SqliteStore.open(path);
    const m365 = await store.endpoints.get(TENANT_A, 'm365-old');
    expect(m365).toMatchObject({ protocol: 'ews', version: 2 });
    expect((await store.endpoints.get(TENANT_A, 'ex-old'))?.protocol).toBeUndefined();
    expect(await store.endpoints.get(TENANT_A, 'm365-graph')).toMatchObject({ protocol: 'graph', version: 1 });
    // The bumped version is the one a later replace must name.
    await store.endpoints.replace({ ...m365!, name: 'Renamed' });
    await store.close();
  });
});
