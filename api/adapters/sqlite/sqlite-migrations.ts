/**
 * The schema of the embedded SQLite file, as an ordered list of forward migrations.
 * A released migration is never edited: a change to the schema is a new entry at the end,
 * because files created by older versions upgrade by replaying only the entries they lack.
 */
export interface SqliteMigration {
  /** 1, 2, 3, … in order; the file's `schema_version` is the last one applied. */
  version: number;
  name: string;
  sql: string;
}

/**
 * The four document collections share one shape so one `SqliteCollection` serves them all.
 * `seq` gives the stable creation order that keyset pagination walks; `project_id`, `status`
 * and `kind` are copies of the document fields that `where` may filter on, kept indexed.
 */
function collectionTable(table: string): string {
  return `
    CREATE TABLE ${table} (
      seq        INTEGER PRIMARY KEY AUTOINCREMENT,
      tenant_id  TEXT    NOT NULL,
      id         TEXT    NOT NULL,
      version    INTEGER NOT NULL,
      project_id TEXT,
      status     TEXT,
      kind       TEXT,
      doc        TEXT    NOT NULL,
      UNIQUE (tenant_id, id)
    );
    CREATE INDEX ${table}_by_project ON ${table} (tenant_id, project_id, seq);
    CREATE INDEX ${table}_by_status  ON ${table} (tenant_id, status, seq);
    CREATE INDEX ${table}_by_kind    ON ${table} (tenant_id, kind, seq);
    CREATE INDEX ${table}_by_tenant  ON ${table} (tenant_id, seq);`;
}

export const MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'store: collections, ledger, error log',
    sql: `
      ${collectionTable('projects')}
      ${collectionTable('endpoints')}
      ${collectionTable('items')}
      ${collectionTable('passes')}

      -- WITHOUT ROWID: the primary key is the only access path, and folderEntries reads a
      -- prefix of it (tenant, item, folder), so the rows of one folder sit together on disk.
      CREATE TABLE ledger (
        tenant_id         TEXT    NOT NULL,
        item_id           TEXT    NOT NULL,
        folder            TEXT    NOT NULL,
        source_key        TEXT    NOT NULL,
        dest_folder       TEXT    NOT NULL,
        dest_id           TEXT    NOT NULL,
        size              INTEGER NOT NULL,
        internal_date     INTEGER NOT NULL,
        state             TEXT    NOT NULL CHECK (state IN ('pending', 'done')),
        dest_uid_floor    INTEGER,
        dest_uid_validity INTEGER,
        PRIMARY KEY (tenant_id, item_id, folder, source_key)
      ) WITHOUT ROWID;

      CREATE TABLE error_log (
        tenant_id  TEXT NOT NULL,
        item_id    TEXT NOT NULL,
        folder     TEXT NOT NULL,
        source_key TEXT NOT NULL,
        pass_id    TEXT NOT NULL,
        subject    TEXT,
        size       INTEGER,
        code       TEXT NOT NULL,
        reason     TEXT NOT NULL,
        at         TEXT NOT NULL,
        PRIMARY KEY (tenant_id, item_id, folder, source_key)
      ) WITHOUT ROWID;`,
  },
  {
    version: 2,
    name: 'job queue: jobs with leases, dead letters',
    sql: `
      -- Times are epoch milliseconds from the queue's injected Clock, not SQLite's clock,
      -- so tests can move time without sleeping.
      CREATE TABLE jobs (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT    NOT NULL UNIQUE,
        tenant_id    TEXT    NOT NULL,
        pass_id      TEXT    NOT NULL,
        payload      TEXT    NOT NULL,
        group_key    TEXT,
        group_limit  INTEGER,
        state        TEXT    NOT NULL CHECK (state IN ('waiting', 'leased')),
        run_at       INTEGER NOT NULL,
        attempt      INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        expiries     INTEGER NOT NULL DEFAULT 0,
        lease_token  TEXT,
        locked_until INTEGER,
        worker_id    TEXT,
        created_at   INTEGER NOT NULL
      );
      CREATE INDEX jobs_deliverable ON jobs (state, run_at, seq);
      CREATE INDEX jobs_leased_by_group ON jobs (group_key, state, locked_until);
      CREATE INDEX jobs_by_pass ON jobs (tenant_id, pass_id, state);

      CREATE TABLE dead_letters (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        id        TEXT    NOT NULL,
        tenant_id TEXT    NOT NULL,
        payload   TEXT    NOT NULL,
        attempts  INTEGER NOT NULL,
        reason    TEXT    NOT NULL,
        at        INTEGER NOT NULL
      );
      CREATE INDEX dead_letters_by_tenant ON dead_letters (tenant_id, seq);`,
  },
  {
    version: 3,
    name: 'ledger: count done entries per item without scanning pending ones',
    sql: `CREATE INDEX ledger_done_by_item ON ledger (tenant_id, item_id) WHERE state = 'done';`,
  },
  {
    version: 4,
    name: 'workgroups: members and their roles',
    sql: collectionTable('workgroups'),
  },
  {
    version: 5,
    name: 'group slots: running jobs per project for distributed queues',
    sql: collectionTable('group_slots'),
  },
  {
    version: 6,
    name: 'endpoints: Exchange Online endpoints saved before the Graph/EWS choice keep EWS',
    // New m365 endpoints default to Graph; one saved earlier was made for EWS and stays on it until
    // the admin switches (PATCH /endpoints/{id} {protocol}). The version is bumped like a replace.
    sql: `
      UPDATE endpoints SET doc = json_set(doc, '$.protocol', 'ews'), version = version + 1
       WHERE kind = 'm365' AND json_extract(doc, '$.protocol') IS NULL;`,
  },
  {
    version: 7,
    name: "sync cursors: where each source folder's incremental listing left off",
    sql: `
      CREATE TABLE sync_cursors (
        tenant_id       TEXT NOT NULL,
        item_id         TEXT NOT NULL,
        side            TEXT NOT NULL,
        folder          TEXT NOT NULL,
        folder_identity TEXT NOT NULL,
        cursor          TEXT NOT NULL,
        saved_at        TEXT NOT NULL,
        PRIMARY KEY (tenant_id, item_id, side, folder)
      ) WITHOUT ROWID;`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
