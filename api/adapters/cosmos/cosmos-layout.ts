/**
 * Containers and partition keys of the Cosmos DB Store.
 *
 * - One container per collection (`projects`, `endpoints`, `items`, `passes`, `workgroups`, `groupSlots`),
 *   partitioned by `/tenantId`, item id = record id. `Collection.get(tenantId, id)` knows only
 *   those two values, so `/tenantId` is the partition key that keeps every get, replace and
 *   delete a 1-RU point read/write with no lookup, and every list/count a single-partition
 *   query. A shared container would need ids prefixed by kind and a type filter on every query,
 *   for no gain: throughput is provisioned on the database and shared by its containers.
 *   A logical partition holds 20 GB; the largest collection (items, ~2-4 KB each) reaches it
 *   only at several million mailboxes per tenant.
 * - `ledger` and `errors` are partitioned by `/pk` = `${tenantId}|${itemId}`: one logical
 *   partition per mailbox, so `folderEntries`, `countDone` and error pages are
 *   single-partition queries and `put` can use transactional batches (which must stay inside
 *   one partition). Item id = SHA-256 of (folder, source key): deterministic, so `put` is an
 *   upsert. Cosmos caps a transactional batch at 100 operations, so "one transaction" becomes
 *   "idempotent upserts in batches of 100": an interrupted put leaves some batches written,
 *   and repeating it is safe, which is what the engine does after a crash.
 * - Creation order: each record carries `_seq` (see creation-sequence.ts); lists use
 *   `ORDER BY c._seq, c.id`, served by a composite index, with a keyset cursor.
 * - TTL: nothing the Store keeps is ephemeral, but every container is created with
 *   `defaultTtl: -1` (TTL on, no default expiry), so per-item `ttl` works for lease-like
 *   records later without recreating the container.
 * - `cursors` (sync cursors: where a folder's delta listing left off) is partitioned by `/pk`
 *   like the ledger, item id = SHA-256 of (side, folder): one point read per folder per pass.
 * - The ledger is the write-heaviest container (one item per copied message), so it indexes
 *   only the paths its queries use.
 */
import type { CompositePath, ContainerDefinition, Database, IndexingPolicy } from '@azure/cosmos';

export type CollectionName = 'projects' | 'endpoints' | 'items' | 'passes' | 'workgroups' | 'groupSlots';
export type ContainerName = CollectionName | 'ledger' | 'errors' | 'cursors';

export const COLLECTION_NAMES: readonly CollectionName[] = ['projects', 'endpoints', 'items', 'passes', 'workgroups', 'groupSlots'];

/** TTL enabled, nothing expires unless an item sets its own `ttl`. */
const TTL_ON_WITHOUT_DEFAULT = -1;

/** Internal property holding the creation sequence; stripped before a record leaves the adapter. */
export const SEQUENCE_FIELD = '_seq';

/** `ORDER BY` on two properties needs a composite index on Cosmos (the emulator enforces it too). */
function ascending(...paths: string[]): CompositePath[] {
  return paths.map((path) => ({ path: `/${path}`, order: 'ascending' }));
}

const collectionIndexing: IndexingPolicy = { compositeIndexes: [ascending(SEQUENCE_FIELD, 'id')] };

function onlyPaths(paths: string[]): Pick<IndexingPolicy, 'includedPaths' | 'excludedPaths'> {
  return { includedPaths: paths.map((path) => ({ path: `/${path}/?` })), excludedPaths: [{ path: '/*' }] };
}

const MAILBOX_PARTITION = { paths: ['/pk'] };

function definitions(): ContainerDefinition[] {
  const collections = COLLECTION_NAMES.map(
    (id): ContainerDefinition => ({ id, partitionKey: { paths: ['/tenantId'] }, indexingPolicy: collectionIndexing }),
  );
  const mailboxContainers: ContainerDefinition[] = [
    { id: 'ledger', partitionKey: MAILBOX_PARTITION, indexingPolicy: onlyPaths(['pk', 'folder', 'state', 'sourceKey']) },
    {
      id: 'errors',
      partitionKey: MAILBOX_PARTITION,
      indexingPolicy: {
        ...onlyPaths(['pk', 'folder', 'sourceKey']),
        compositeIndexes: [ascending('folder', 'sourceKey')],
      },
    },
    // Point reads and writes by id; only deleting a mailbox's cursors queries (by pk).
    { id: 'cursors', partitionKey: MAILBOX_PARTITION, indexingPolicy: onlyPaths(['pk']) },
  ];
  return [...collections, ...mailboxContainers].map((definition) => ({ ...definition, defaultTtl: TTL_ON_WITHOUT_DEFAULT }));
}

/** Creates what is missing and leaves existing containers (and their data) as they are. */
export async function ensureContainers(database: Database): Promise<void> {
  // Sequential: Cosmos throttles concurrent control-plane operations on one account.
  for (const definition of definitions()) await database.containers.createIfNotExists(definition);
}
