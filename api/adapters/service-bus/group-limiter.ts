/**
 * Group limits ("maximum concurrent migrations per project") for queues that cannot enforce
 * them: Service Bus delivers whatever is next and knows nothing of projects. The queue asks a
 * GroupLimiter for a slot before it hands a job out, and gives the slot back when the job ends.
 *
 * Slots lapse on their own at `until` (the lock's expiry), so a worker that dies holding one
 * frees it the moment its lock would have, as the SQLite queue's count of live leases does.
 *
 * InMemoryGroupLimiter is exact within one process only. A distributed limiter for several
 * Function instances needs one lease document per running job in the Store (id = holder,
 * partition = group, a TTL equal to the lock duration, renewed with the lock), and tryAcquire
 * as "count the group's live documents, insert if below the limit" made atomic by an ETag on a
 * per-group counter document or a transactional batch in the group's partition.
 */
import { systemClock, type Clock } from '../../core/ports.js';

export interface GroupSlot {
  group: string;
  limit: number;
  /** Unique per lease (the lock token), so a redelivered job is a new holder. */
  holder: string;
  until: Date;
}

export interface GroupLimiter {
  /** Takes a slot unless the group already has `limit` live holders. */
  tryAcquire(slot: GroupSlot): Promise<boolean>;
  /** Moves a holder's expiry (lock renewed). No-op for an unknown holder. */
  extend(group: string, holder: string, until: Date): Promise<void>;
  release(group: string, holder: string): Promise<void>;
}

export class InMemoryGroupLimiter implements GroupLimiter {
  private readonly groups = new Map<string, Map<string, number>>();

  constructor(private readonly clock: Clock = systemClock) {}

  async tryAcquire(slot: GroupSlot): Promise<boolean> {
    const holders = this.liveHolders(slot.group);
    if (!holders.has(slot.holder) && holders.size >= slot.limit) return false;
    holders.set(slot.holder, slot.until.getTime());
    this.groups.set(slot.group, holders);
    return true;
  }

  async extend(group: string, holder: string, until: Date): Promise<void> {
    const holders = this.groups.get(group);
    if (holders?.has(holder)) holders.set(holder, until.getTime());
  }

  async release(group: string, holder: string): Promise<void> {
    const holders = this.groups.get(group);
    holders?.delete(holder);
    if (holders?.size === 0) this.groups.delete(group);
  }

  private liveHolders(group: string): Map<string, number> {
    const now = this.clock.now().getTime();
    const holders = this.groups.get(group) ?? new Map<string, number>();
    for (const [holder, until] of holders) if (until <= now) holders.delete(holder);
    return holders;
  }
}
