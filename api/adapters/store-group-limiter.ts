import type { GroupLimiter, GroupSlot } from './service-bus/group-limiter.js';
import { ConflictError } from '../core/errors.js';
import type { GroupSlots } from '../core/model.js';
import { systemClock, type Clock, type Collection } from '../core/ports.js';

/** Slot documents belong to no customer tenant: the limiter sees only a group (project id). */
export const SYSTEM_TENANT = '_system';
/** Optimistic attempts per change; contention is a few workers starting jobs of one project. */
const MAX_ATTEMPTS = 16;

/**
 * "Maximum concurrent migrations per project" across every Functions instance: one document per
 * project listing the lock tokens of its running jobs with their expiry. Taking a slot is a
 * versioned replace (ETag on Cosmos DB), so two instances can never both take the last slot;
 * a holder whose lock lapsed (its worker died) stops counting at its expiry, as a lease would.
 */
export class StoreGroupLimiter implements GroupLimiter {
  constructor(
    private readonly slots: Collection<GroupSlots>,
    private readonly clock: Clock = systemClock,
  ) {}

  tryAcquire(slot: GroupSlot): Promise<boolean> {
    return this.change(slot.group, (holders) => {
      if (!(slot.holder in holders) && Object.keys(holders).length >= slot.limit) return false;
      holders[slot.holder] = slot.until.getTime();
      return true;
    });
  }

  async extend(group: string, holder: string, until: Date): Promise<void> {
    await this.change(group, (holders) => {
      if (!(holder in holders)) return false;
      holders[holder] = until.getTime();
      return true;
    });
  }

  async release(group: string, holder: string): Promise<void> {
    await this.change(group, (holders) => {
      if (!(holder in holders)) return false;
      delete holders[holder];
      return true;
    });
  }

  /** Applies `mutate` to the live holders and writes it back if it says so; retries lost races. */
  private async change(group: string, mutate: (holders: Record<string, number>) => boolean): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.slots.get(SYSTEM_TENANT, group);
      const now = this.clock.now().getTime();
      const holders = Object.fromEntries(Object.entries(current?.holders ?? {}).filter(([, until]) => until > now));
      if (!mutate(holders)) return false;
      try {
        if (current) await this.slots.replace({ ...current, holders });
        else await this.slots.insert({ tenantId: SYSTEM_TENANT, id: group, group, holders });
        return true;
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}
