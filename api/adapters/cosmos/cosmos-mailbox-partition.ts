/**
 * Helpers for the containers with one logical partition per mailbox (ledger, error log, sync cursors).
 */
import type { Container } from '@azure/cosmos';
import { deleteAll, queryAll } from './cosmos-batch.js';

/**
 * Groups items by partition, keeping the last item per id: a put that names one source message
 * twice behaves like two upserts in order, and a batch never holds two operations on one id.
 */
export function byPartition<I extends { id: string; pk: string }>(items: I[]): Map<string, I[]> {
  const partitions = new Map<string, Map<string, I>>();
  for (const item of items) {
    let partition = partitions.get(item.pk);
    if (!partition) {
      partition = new Map();
      partitions.set(item.pk, partition);
    }
    partition.set(item.id, item);
  }
  return new Map([...partitions].map(([pk, partition]) => [pk, [...partition.values()]]));
}

/**
 * Query-then-delete in batches. Cosmos's "delete all items by partition key" would be one call,
 * but it is a preview feature the emulator lacks; a mailbox's ledger is deleted rarely.
 */
export async function deleteWholePartition(container: Container, pk: string): Promise<void> {
  const ids = await queryAll<string>(container, 'SELECT VALUE c.id FROM c WHERE c.pk = @pk', [{ name: '@pk', value: pk }], pk);
  await deleteAll(
    container,
    pk,
    ids.map((id) => ({ id })),
  );
}
