/**
 * Transactional batches and queries shared by the collections, the ledger and the error log.
 *
 * A Cosmos transactional batch holds at most 100 operations, all in one logical partition
 * (https://learn.microsoft.com/azure/cosmos-db/nosql/transactional-batch). Larger writes are
 * split into batches of 100: each batch is all-or-nothing, the whole write is not. Callers
 * either make a repeated write harmless (upserts with deterministic ids) or compensate.
 */
import {
  BulkOperationType,
  type Container,
  type DeleteOperationInput,
  type JSONObject,
  type OperationInput,
  type OperationResponse,
  type SqlParameter,
} from '@azure/cosmos';
import { MailferryError } from '../../core/errors.js';
import { chunked } from './cosmos-documents.js';
import { cosmosStatus, HTTP_NOT_FOUND, HTTP_PRECONDITION_FAILED, isSuccessStatus, toStoreError } from './cosmos-errors.js';

export const MAX_BATCH_OPERATIONS = 100;
/** Items per query page: fewer round trips than the SDK's default of 100 for 10,000-entry folders. */
const QUERY_PAGE_ITEMS = 1_000;

export interface BatchOutcome {
  /** Status of each operation, in order. */
  statuses: number[];
  /** The first failed operation, if any (the others report 424 Failed Dependency on Cosmos). */
  failedIndex?: number;
  failedStatus?: number;
}

/** Runs one transactional batch. Per-operation failures come back as values; transport errors throw. */
export async function runBatch(container: Container, partitionKey: string, operations: OperationInput[]): Promise<BatchOutcome> {
  let results: OperationResponse[];
  try {
    results = (await container.items.batch(operations, partitionKey)).result ?? [];
  } catch (error) {
    // The SDK rethrows a failed batch request as a plain Error without its status code, so a
    // 429 that outlived the SDK's own retries cannot be told apart here. Every batch this
    // adapter sends is safe to repeat (upserts, deletes, or creates it compensates), so the
    // error is marked retryable rather than failing the mailbox on a busy minute.
    if (cosmosStatus(error) !== undefined) throw toStoreError(error, `batch of ${operations.length} writes`);
    const message = error instanceof Error ? error.message : String(error);
    throw new MailferryError('internal', `Cosmos DB did not take a batch of ${operations.length} writes: ${message}`, {
      retryable: true,
      cause: error,
    });
  }
  const statuses = results.map((result) => result.statusCode);
  const failedIndex = statuses.findIndex((status) => !isSuccessStatus(status));
  return failedIndex < 0 ? { statuses } : { statuses, failedIndex, failedStatus: statuses[failedIndex] };
}

/** Upserts in batches of 100 per partition; an interrupted call is safe to repeat (same ids, same bodies). */
export async function upsertAll(container: Container, partitionKey: string, bodies: { id: string }[], what: string): Promise<void> {
  for (const chunk of chunked(bodies, MAX_BATCH_OPERATIONS)) {
    // The partition key on each operation, not only on the batch: the emulator reads it there.
    const operations = chunk.map(
      (body): OperationInput => ({ operationType: BulkOperationType.Upsert, partitionKey, resourceBody: body as unknown as JSONObject }),
    );
    const outcome = await runBatch(container, partitionKey, operations);
    if (outcome.failedStatus !== undefined) {
      throw toStoreError({ code: outcome.failedStatus }, what);
    }
  }
}

export interface DeleteTarget {
  id: string;
  /** Delete only if the item is unchanged since it was read. */
  etag?: string;
}

/**
 * Deletes in batches of 100. An item already gone (404) or changed since read (412) is not an
 * error here; one such item fails its whole batch, so that batch is redone item by item.
 */
export async function deleteAll(container: Container, partitionKey: string, targets: DeleteTarget[]): Promise<void> {
  for (const chunk of chunked(targets, MAX_BATCH_OPERATIONS)) {
    // `ifMatch` is part of every batch operation on the wire (the SDK's OperationBase), though
    // its DeleteOperationInput type leaves it out.
    const operations = chunk.map((target): DeleteOperationInput & { ifMatch?: string } => ({
      operationType: BulkOperationType.Delete,
      id: target.id,
      partitionKey,
      ifMatch: target.etag,
    }));
    const outcome = await runBatch(container, partitionKey, operations);
    if (outcome.failedIndex === undefined) continue;
    for (const target of chunk) await deleteOne(container, partitionKey, target);
  }
}

async function deleteOne(container: Container, partitionKey: string, target: DeleteTarget): Promise<void> {
  try {
    const accessCondition = target.etag === undefined ? undefined : { type: 'IfMatch', condition: target.etag };
    await container.item(target.id, partitionKey).delete({ accessCondition });
  } catch (error) {
    const status = cosmosStatus(error);
    if (status === HTTP_NOT_FOUND || status === HTTP_PRECONDITION_FAILED) return;
    throw toStoreError(error, `item ${target.id}`);
  }
}

/**
 * Every result of a query. With `partitionKey` the SDK routes it to that one logical partition;
 * the WHERE clause still names the partition too, because tenant isolation should not depend on
 * a request header alone (and the emulator ignores the header for queries).
 */
export async function queryAll<T>(
  container: Container,
  query: string,
  parameters: SqlParameter[],
  partitionKey: string | undefined,
): Promise<T[]> {
  try {
    const options = { partitionKey, maxItemCount: QUERY_PAGE_ITEMS };
    const { resources } = await container.items.query<T>({ query, parameters }, options).fetchAll();
    return resources;
  } catch (error) {
    throw toStoreError(error, 'query result');
  }
}

/** `SELECT VALUE COUNT(1) ...` in one partition. */
export async function countOf(container: Container, where: string, parameters: SqlParameter[], partitionKey: string): Promise<number> {
  const [count] = await queryAll<number>(container, `SELECT VALUE COUNT(1) FROM c WHERE ${where}`, parameters, partitionKey);
  return count ?? 0;
}
