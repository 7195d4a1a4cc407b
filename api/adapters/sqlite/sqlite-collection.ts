/**
 * One implementation of the tenant-scoped document collection for all four collections
 * (projects, endpoints, items, passes). Every statement filters by tenant_id first: there is
 * no code path that reads or writes a row without naming its tenant.
 */
import type Database from 'better-sqlite3';
import type { Doc } from '../../core/model.js';
import type { Collection, ListQuery, Page } from '../../core/ports.js';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.js';
import type { SqliteDb } from './sqlite-database.js';
import { decodeCursor, pageLimit, pageFrom } from '../page-cursor.js';

export type CollectionTable = 'projects' | 'endpoints' | 'items' | 'passes' | 'workgroups' | 'group_slots';

/** The document fields `where` may filter on, and the indexed column that mirrors each. */
const WHERE_COLUMNS: Readonly<Record<string, string>> = { projectId: 'project_id', status: 'status', kind: 'kind' };

/** Search field names become JSON paths; only plain identifiers may reach the SQL text. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * SQLite's LIKE and lower() fold ASCII only; admins search names like "Ærø Müller", so the
 * match runs in JavaScript, whose toLowerCase folds Unicode.
 */
const CONTAINS_FUNCTION = 'mf_contains_ci';

interface Row {
  seq: number;
  version: number;
  doc: string;
}

interface CollectionCursor {
  seq: number;
}

function isCollectionCursor(value: unknown): value is CollectionCursor {
  return typeof value === 'object' && value !== null && Number.isInteger((value as CollectionCursor).seq);
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function requireKey(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(`A stored record needs a non-empty ${field}.`, { field });
  }
  return value;
}

export class SqliteCollection<T extends Doc> implements Collection<T> {
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();

  constructor(
    private readonly db: SqliteDb,
    private readonly table: CollectionTable,
  ) {
    db.function(CONTAINS_FUNCTION, { deterministic: true }, (haystack: unknown, needle: unknown) =>
      typeof haystack === 'string' && typeof needle === 'string' && haystack.toLowerCase().includes(needle) ? 1 : 0,
    );
  }

  async get(tenantId: string, id: string): Promise<T | undefined> {
    const row = this.statement(`SELECT seq, version, doc FROM ${this.table} WHERE tenant_id = ? AND id = ?`).get(tenantId, id) as
      | Row
      | undefined;
    return row && this.toDoc(row);
  }

  async insert(doc: Omit<T, 'version'>): Promise<T> {
    return this.insertOne(doc);
  }

  async insertMany(docs: Omit<T, 'version'>[]): Promise<T[]> {
    // One transaction: a duplicate anywhere in the batch rolls back the rows before it.
    return this.db.transaction(() => docs.map((doc) => this.insertOne(doc)))();
  }

  async replace(doc: T): Promise<T> {
    const tenantId = requireKey(doc.tenantId, 'tenantId');
    const id = requireKey(doc.id, 'id');
    const stored = { ...doc, version: doc.version + 1 } as T;
    const result = this.statement(
      `UPDATE ${this.table} SET version = version + 1, doc = ?, project_id = ?, status = ?, kind = ?
       WHERE tenant_id = ? AND id = ? AND version = ?`,
    ).run(JSON.stringify(stored), ...this.whereValues(stored), tenantId, id, doc.version);
    if (result.changes === 1) return stored;
    const current = await this.get(tenantId, id);
    if (!current) throw new NotFoundError(`No ${this.singular()} with id ${id} exists.`);
    throw new ConflictError(
      `The ${this.singular()} ${id} was changed by someone else (version ${current.version}, yours ${doc.version}); reload and retry.`,
    );
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = this.statement(`DELETE FROM ${this.table} WHERE tenant_id = ? AND id = ?`).run(tenantId, id);
    return result.changes > 0;
  }

  async list(tenantId: string, query: ListQuery = {}): Promise<Page<T>> {
    const limit = pageLimit(query.limit);
    const filter = this.filter(tenantId, query.where, query.search);
    if (query.cursor !== undefined) {
      filter.sql.push('seq > ?');
      filter.params.push(decodeCursor(query.cursor, isCollectionCursor).seq);
    }
    // Fetch one extra row to know whether another page exists without a second query.
    const rows = this.statement(`SELECT seq, version, doc FROM ${this.table} WHERE ${filter.sql.join(' AND ')} ORDER BY seq LIMIT ?`).all(
      ...filter.params,
      limit + 1,
    ) as Row[];
    return pageFrom(
      rows,
      limit,
      (row) => this.toDoc(row),
      (row) => ({ seq: row.seq }),
    );
  }

  async count(tenantId: string, where?: Record<string, string>): Promise<number> {
    const filter = this.filter(tenantId, where, undefined);
    const row = this.statement(`SELECT COUNT(*) AS n FROM ${this.table} WHERE ${filter.sql.join(' AND ')}`).get(...filter.params) as {
      n: number;
    };
    return row.n;
  }

  private insertOne(doc: Omit<T, 'version'>): T {
    const tenantId = requireKey(doc.tenantId, 'tenantId');
    const id = requireKey(doc.id, 'id');
    const stored = { ...doc, version: 1 } as T;
    try {
      this.statement(`INSERT INTO ${this.table} (tenant_id, id, version, doc, project_id, status, kind) VALUES (?, ?, 1, ?, ?, ?, ?)`).run(
        tenantId,
        id,
        JSON.stringify(stored),
        ...this.whereValues(stored),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`A ${this.singular()} with id ${id} already exists.`);
      throw error;
    }
    return stored;
  }

  private filter(
    tenantId: string,
    where: Record<string, string> | undefined,
    search: ListQuery['search'],
  ): { sql: string[]; params: unknown[] } {
    const sql = ['tenant_id = ?'];
    const params: unknown[] = [tenantId];
    for (const [field, value] of Object.entries(where ?? {})) {
      const column = WHERE_COLUMNS[field];
      if (!column) {
        throw new ValidationError(`Records can be filtered by ${Object.keys(WHERE_COLUMNS).join(', ')}; not by ${field}.`, {
          field: `where.${field}`,
        });
      }
      sql.push(`${column} = ?`);
      params.push(value);
    }
    if (search && search.text.length > 0 && search.fields.length > 0) {
      const needle = search.text.toLowerCase();
      const matches = search.fields.map((field) => {
        if (!FIELD_NAME.test(field)) throw new ValidationError(`Cannot search the field "${field}".`, { field: 'search.fields' });
        params.push(`$.${field}`, needle);
        return `${CONTAINS_FUNCTION}(json_extract(doc, ?), ?)`;
      });
      sql.push(`(${matches.join(' OR ')})`);
    }
    return { sql, params };
  }

  private whereValues(doc: object): (string | null)[] {
    return Object.keys(WHERE_COLUMNS).map((field) => {
      const value = (doc as Record<string, unknown>)[field];
      return typeof value === 'string' ? value : null;
    });
  }

  private toDoc(row: Row): T {
    return { ...(JSON.parse(row.doc) as T), version: row.version };
  }

  /** Statements are compiled once per distinct SQL text (filters vary by which fields are used). */
  private statement(sql: string): Database.Statement<unknown[]> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[]>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private singular(): string {
    return this.table === 'passes' ? 'pass' : this.table.slice(0, -1);
  }
}
