/**
 * One implementation of the tenant-scoped document collection for all five collections, in a
 * container partitioned by `/tenantId` (see cosmos-layout.ts). Reads, replaces and deletes are
 * point operations on (id, tenantId); lists and counts are queries inside the tenant's partition.
 */
import { BulkOperationType, type Container, type JSONObject, type OperationInput, type SqlParameter } from '@azure/cosmos';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.js';
import type { Doc } from '../../core/model.js';
import type { Collection, ListQuery, Page } from '../../core/ports.js';
import { decodeCursor, pageLimit, pageFrom } from '../page-cursor.js';
import { deleteAll, MAX_BATCH_OPERATIONS, countOf, queryAll, runBatch } from './cosmos-batch.js';
import { chunked, isValidItemId, withoutFields } from './cosmos-documents.js';
import { cosmosStatus, HTTP_NOT_FOUND, HTTP_PRECONDITION_FAILED, isSuccessStatus, toStoreError } from './cosmos-errors.js';
import { SEQUENCE_FIELD, type CollectionName } from './cosmos-layout.js';
import { nextCreationSequence } from './creation-sequence.js';

/** The fields `where` may filter on (the same set the SQLite store indexes). */
const WHERE_FIELDS: ReadonlySet<string> = new Set(['projectId', 'status', 'kind']);

/** Field names reach the query text (parameters cannot name a property); only plain identifiers may. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Stored<T> = T & { [SEQUENCE_FIELD]: number; _etag?: string };

interface CollectionCursor {
  seq: number;
  id: string;
}

function isCollectionCursor(value: unknown): value is CollectionCursor {
  const cursor = value as CollectionCursor;
  return typeof value === 'object' && value !== null && Number.isSafeInteger(cursor.seq) && typeof cursor.id === 'string';
}

export class CosmosCollection<T extends Doc> implements Collection<T> {
  constructor(
    private readonly container: Container,
    private readonly name: CollectionName,
  ) {}

  async get(tenantId: string, id: string): Promise<T | undefined> {
    const stored = await this.read(tenantId, id);
    return stored && this.toDoc(stored);
  }

  async insert(doc: Omit<T, 'version'>): Promise<T> {
    const stored = this.toStored(doc);
    try {
      await this.container.items.create(stored);
    } catch (error) {
      throw toStoreError(error, `${this.singular()} with id ${stored.id}`);
    }
    return this.toDoc(stored);
  }

  /**
   * All or none. Docs are grouped by tenant (the partition) into transactional batches of 100;
   * each batch is atomic on Cosmos. When a later batch fails, the earlier ones are undone by
   * deleting what they created (a compensation, so another reader may briefly see them).
   * The emulator runs a batch up to its first failure without rolling back; the same
   * compensation covers that, and on Cosmos it finds nothing extra to delete.
   */
  async insertMany(docs: Omit<T, 'version'>[]): Promise<T[]> {
    const stored = docs.map((doc) => this.toStored(doc));
    this.refuseRepeatedIds(stored);
    const created: Stored<T>[] = [];
    for (const [tenantId, group] of groupByTenant(stored)) {
      for (const chunk of chunked(group, MAX_BATCH_OPERATIONS)) {
        const operations = chunk.map(
          (doc): OperationInput => ({ operationType: BulkOperationType.Create, resourceBody: doc as unknown as JSONObject }),
        );
        const outcome = await runBatch(this.container, tenantId, operations).catch(async (error: unknown) => {
          await this.undo(created);
          throw error;
        });
        created.push(...chunk.filter((_, index) => isSuccessStatus(outcome.statuses[index] ?? 0)));
        if (outcome.failedIndex !== undefined) {
          await this.undo(created);
          const failed = chunk[outcome.failedIndex]!;
          throw toStoreError({ code: outcome.failedStatus }, `${this.singular()} with id ${failed.id}`);
        }
      }
    }
    return stored.map((doc) => this.toDoc(doc));
  }

  /**
   * The port's contract is on `version`; Cosmos's is on the ETag. The stored version is checked
   * against the caller's, then the write is conditional on the ETag read with it, so a writer
   * that slipped in between makes the replace fail with 412 instead of losing its change.
   */
  async replace(doc: T): Promise<T> {
    const what = `${this.singular()} ${doc.id}`;
    const current = await this.read(doc.tenantId, doc.id);
    if (!current) throw new NotFoundError(`No ${this.singular()} with id ${doc.id} exists.`);
    if (current.version !== doc.version) {
      throw new ConflictError(
        `The ${what} was changed by someone else (version ${current.version}, yours ${doc.version}); reload and retry.`,
      );
    }
    const stored = { ...withoutFields(doc), version: doc.version + 1, [SEQUENCE_FIELD]: current[SEQUENCE_FIELD] } as Stored<T>;
    try {
      await this.container.item(doc.id, doc.tenantId).replace(stored, { accessCondition: { type: 'IfMatch', condition: current._etag! } });
    } catch (error) {
      const status = cosmosStatus(error);
      if (status === HTTP_PRECONDITION_FAILED) {
        throw new ConflictError(`The ${what} was changed by someone else while you saved; reload and retry.`, { cause: error });
      }
      throw toStoreError(error, what);
    }
    return this.toDoc(stored);
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    if (!isValidItemId(id)) return false;
    try {
      await this.container.item(id, tenantId).delete();
      return true;
    } catch (error) {
      if (cosmosStatus(error) === HTTP_NOT_FOUND) return false;
      throw toStoreError(error, `${this.singular()} ${id}`);
    }
  }

  async list(tenantId: string, query: ListQuery = {}): Promise<Page<T>> {
    const limit = pageLimit(query.limit);
    const filter = this.filter(tenantId, query.where, query.search);
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor, isCollectionCursor);
      filter.clauses.push(`(c.${SEQUENCE_FIELD} > @afterSeq OR (c.${SEQUENCE_FIELD} = @afterSeq AND c.id > @afterId))`);
      filter.parameters.push({ name: '@afterSeq', value: after.seq }, { name: '@afterId', value: after.id });
    }
    // One more than the page, to know whether another page exists without a second query.
    filter.parameters.push({ name: '@top', value: limit + 1 });
    const rows = await queryAll<Stored<T>>(
      this.container,
      `SELECT TOP @top * FROM c WHERE ${filter.clauses.join(' AND ')} ORDER BY c.${SEQUENCE_FIELD}, c.id`,
      filter.parameters,
      tenantId,
    );
    return pageFrom(
      rows,
      limit,
      (row) => this.toDoc(row),
      (row) => ({ seq: row[SEQUENCE_FIELD], id: row.id }),
    );
  }

  async count(tenantId: string, where?: Record<string, string>): Promise<number> {
    const filter = this.filter(tenantId, where, undefined);
    return countOf(this.container, filter.clauses.join(' AND '), filter.parameters, tenantId);
  }

  private async read(tenantId: string, id: string): Promise<Stored<T> | undefined> {
    if (!isValidItemId(id) || typeof tenantId !== 'string' || tenantId.length === 0) return undefined;
    try {
      const { resource } = await this.container.item(id, tenantId).read<Stored<T>>();
      return resource;
    } catch (error) {
      if (cosmosStatus(error) === HTTP_NOT_FOUND) return undefined;
      throw toStoreError(error, `${this.singular()} ${id}`);
    }
  }

  private filter(
    tenantId: string,
    where: Record<string, string> | undefined,
    search: ListQuery['search'],
  ): { clauses: string[]; parameters: SqlParameter[] } {
    const clauses = ['c.tenantId = @tenantId'];
    const parameters: SqlParameter[] = [{ name: '@tenantId', value: tenantId }];
    for (const [index, [field, value]] of Object.entries(where ?? {}).entries()) {
      if (!WHERE_FIELDS.has(field)) {
        throw new ValidationError(`Records can be filtered by ${[...WHERE_FIELDS].join(', ')}; not by ${field}.`, {
          field: `where.${field}`,
        });
      }
      clauses.push(`c.${field} = @where${index}`);
      parameters.push({ name: `@where${index}`, value });
    }
    if (search && search.text.length > 0 && search.fields.length > 0) {
      // LOWER + CONTAINS rather than CONTAINS(x, y, true): the emulator only knows two arguments.
      parameters.push({ name: '@needle', value: search.text.toLowerCase() });
      const matches = search.fields.map((field) => {
        if (!FIELD_NAME.test(field)) throw new ValidationError(`Cannot search the field "${field}".`, { field: 'search.fields' });
        return `CONTAINS(LOWER(c["${field}"]), @needle)`;
      });
      clauses.push(`(${matches.join(' OR ')})`);
    }
    return { clauses, parameters };
  }

  private toStored(doc: Omit<T, 'version'>): Stored<T> {
    for (const field of ['tenantId', 'id'] as const) {
      const value: unknown = doc[field];
      if (typeof value !== 'string' || value.length === 0) {
        throw new ValidationError(`A stored record needs a non-empty ${field}.`, { field });
      }
    }
    if (!isValidItemId(doc.id)) {
      throw new ValidationError(`A record id must be at most 255 characters without / \\ ? or # (got "${doc.id}").`, { field: 'id' });
    }
    return { ...doc, version: 1, [SEQUENCE_FIELD]: nextCreationSequence() } as Stored<T>;
  }

  private refuseRepeatedIds(docs: Stored<T>[]): void {
    const seen = new Set<string>();
    for (const doc of docs) {
      const key = JSON.stringify([doc.tenantId, doc.id]);
      if (seen.has(key)) throw new ConflictError(`The batch names the ${this.singular()} ${doc.id} twice; nothing was inserted.`);
      seen.add(key);
    }
  }

  private async undo(created: Stored<T>[]): Promise<void> {
    for (const [tenantId, group] of groupByTenant(created)) {
      await deleteAll(
        this.container,
        tenantId,
        group.map((doc) => ({ id: doc.id })),
      );
    }
  }

  private toDoc(stored: Stored<T>): T {
    return withoutFields(stored, [SEQUENCE_FIELD]) as T;
  }

  private singular(): string {
    return this.name === 'passes' ? 'pass' : this.name.slice(0, -1);
  }
}

function groupByTenant<D extends Doc>(docs: D[]): Map<string, D[]> {
  const groups = new Map<string, D[]>();
  for (const doc of docs) {
    const group = groups.get(doc.tenantId);
    if (group) group.push(doc);
    else groups.set(doc.tenantId, [doc]);
  }
  return groups;
}
