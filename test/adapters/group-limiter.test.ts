import { describe, expect, it } from 'vitest';
import { InMemoryGroupLimiter, type GroupLimiter } from '../../api/adapters/service-bus/group-limiter.js';
import { openSqliteDatabase } from '../../api/adapters/sqlite/sqlite-database.js';
import { SqliteStore } from '../../api/adapters/sqlite/sqlite-store.js';
import { StoreGroupLimiter } from '../../api/adapters/store-group-limiter.js';
import { TestClock } from '../support/test-clock.js';

const MINUTE = 60_000;

const limiters: [string, (clock: TestClock) => GroupLimiter][] = [
  ['InMemoryGroupLimiter', (clock) => new InMemoryGroupLimiter(clock)],
  ['StoreGroupLimiter on SQLite', (clock) => new StoreGroupLimiter(new SqliteStore(openSqliteDatabase(':memory:')).groupSlots, clock)],
];

describe.each(limiters)('%s', (_name, make) => {
  const slot = (clock: TestClock, holder: string, limit = 2) => ({
    group: 'project-1',
    limit,
    holder,
    until: new Date(clock.now().getTime() + MINUTE),
  });

  it('gives out at most the limit of slots per group, and a released slot again', async () => {
    const clock = new TestClock();
    const limiter = make(clock);
    expect(await limiter.tryAcquire(slot(clock, 'a'))).toBe(true);
    expect(await limiter.tryAcquire(slot(clock, 'b'))).toBe(true);
    expect(await limiter.tryAcquire(slot(clock, 'c'))).toBe(false);
    expect(await limiter.tryAcquire({ ...slot(clock, 'x'), group: 'project-2' })).toBe(true);
    await limiter.release('project-1', 'a');
    expect(await limiter.tryAcquire(slot(clock, 'c'))).toBe(true);
  });

  it('stops counting a holder whose lock lapsed, unless it was extended', async () => {
    const clock = new TestClock();
    const limiter = make(clock);
    await limiter.tryAcquire(slot(clock, 'a'));
    await limiter.tryAcquire(slot(clock, 'b'));
    await limiter.extend('project-1', 'b', new Date(clock.now().getTime() + 3 * MINUTE));
    clock.advance(2 * MINUTE);
    expect(await limiter.tryAcquire(slot(clock, 'c'))).toBe(true); // a lapsed
    expect(await limiter.tryAcquire(slot(clock, 'd'))).toBe(false); // b still runs
  });

  it('never grants more slots than the limit to concurrent callers', async () => {
    const clock = new TestClock();
    const limiter = make(clock);
    const granted = await Promise.all(Array.from({ length: 10 }, (_, i) => limiter.tryAcquire(slot(clock, `h${i}`, 3))));
    expect(granted.filter(Boolean)).toHaveLength(3);
  });
});
