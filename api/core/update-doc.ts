import { ConflictError, NotFoundError } from './errors.js';
import type { Doc } from './model.js';
import type { Collection } from './ports.js';

/** Optimistic read-modify-write attempts before giving up; real contention here is a few writers. */
const MAX_UPDATE_ATTEMPTS = 8;

/**
 * Re-reads and re-applies `mutate` until the replace wins the optimistic-concurrency race, so a
 * worker's progress write and an admin's edit of the same item never overwrite each other.
 * `mutate` returns undefined to leave the document unchanged.
 */
export async function updateDoc<T extends Doc>(
  collection: Collection<T>,
  tenantId: string,
  id: string,
  mutate: (current: T) => NoInfer<T> | undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const current = await collection.get(tenantId, id);
    if (!current) throw new NotFoundError(`No record ${id} was found.`);
    const next = mutate(structuredClone(current));
    if (!next) return current;
    try {
      return await collection.replace(next);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_UPDATE_ATTEMPTS) throw error;
    }
  }
}
