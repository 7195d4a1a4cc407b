import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../api/core/errors.js';
import { SqliteJobQueue } from '../../../api/adapters/sqlite/sqlite-job-queue.js';
import { describeJobQueueConformance } from '../../conformance/job-queue-conformance.js';
import { LOCK_MS, payload, TENANT_A } from '../../conformance/job-queue-fixtures.js';
import { TestClock } from '../../support/test-clock.js';
import { makeTempDir, type TempDir } from '../temp-dir.js';

describeJobQueueConformance('SqliteJobQueue', async (clock) => {
  const dir = makeTempDir();
  const queue = SqliteJobQueue.open(dir.file('queue.db'), { clock });
  return {
    queue,
    cleanup: async () => {
      await queue.close();
      dir.remove();
    },
  };
});

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

function leaseInChildThenWait(dbPath: string, lockMs: number, count: number) {
  const child = fork(`${FIXTURES}lease-then-hang.ts`, [dbPath, String(lockMs), String(count)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const leased = new Promise<{ leasedItemId: string; lockedUntil: number }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { leasedItemId: string; lockedUntil: number }));
    child.once('exit', (code) => reject(new Error(`the child exited early with code ${code}`)));
  });
  return { child, leased };
}

describe('SqliteJobQueue', () => {
  let dir: TempDir;
  let clock: TestClock;
  let queue: SqliteJobQueue;

  beforeEach(() => {
    dir = makeTempDir();
    clock = new TestClock();
    queue = SqliteJobQueue.open(dir.file('queue.db'), { clock });
  });
  afterEach(async () => {
    await queue.close();
    dir.remove();
  });

  it('keeps waiting jobs and dead letters across closing and reopening the file', async () => {
    await queue.enqueue(payload('item-1'), { jobId: 'job-1' });
    await queue.enqueue(payload('item-2'), { jobId: 'job-2' });
    await queue.fail((await queue.lease('worker-1', LOCK_MS))!, { message: 'bad mailbox', retryable: false });
    await queue.close();
    queue = SqliteJobQueue.open(dir.file('queue.db'), { clock });
    expect(await queue.depth()).toBe(1);
    expect((await queue.lease('worker-1', LOCK_MS))?.id).toBe('job-2');
    expect((await queue.deadLetters(TENANT_A)).map((letter) => letter.reason)).toEqual(['bad mailbox']);
  });

  it('counts the expired leases it reaps and names the expiries in the dead letter', async () => {
    await queue.enqueue(payload('item-1'), { maxAttempts: 2 });
    await queue.enqueue(payload('item-2'));
    await queue.lease('worker-1', LOCK_MS);
    await queue.lease('worker-2', LOCK_MS);
    clock.advance(LOCK_MS);
    expect(await queue.reapExpired()).toBe(2);
    expect(await queue.reapExpired()).toBe(0);
    await queue.lease('worker-1', LOCK_MS);
    clock.advance(LOCK_MS);
    expect(await queue.reapExpired()).toBe(1);
    expect(await queue.deadLetters(TENANT_A)).toMatchObject([{ attempts: 2, reason: 'lease expired 2 times' }]);
  });

  it('lets two connections to one file share the work without leasing a job twice', async () => {
    const other = SqliteJobQueue.open(dir.file('queue.db'), { clock });
    for (let index = 0; index < 40; index += 1) await queue.enqueue(payload(`item-${index}`));
    const leased = await Promise.all(
      Array.from({ length: 50 }, (_, index) => (index % 2 === 0 ? queue : other).lease(`worker-${index}`, LOCK_MS)),
    );
    await other.close();
    const ids = leased.filter((job) => job !== undefined).map((job) => job.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('rejects a group limit below 1', async () => {
    await expect(queue.enqueue(payload('item-1'), { group: 'project-1', groupLimit: 0 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('loses nothing when a worker process is SIGKILLed holding a lease, and redelivers after the lease expires', async () => {
    const lockMs = 5_000;
    const { child, leased } = leaseInChildThenWait(dir.file('queue.db'), lockMs, 3);
    const { leasedItemId, lockedUntil } = await leased;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    // The parent reads the lease times the child wrote with the system clock.
    const afterCrash = new TestClock(new Date(lockedUntil - 1));
    const survivor = SqliteJobQueue.open(dir.file('queue.db'), { clock: afterCrash });
    expect(await survivor.depth()).toBe(3);
    const others = [await survivor.lease('worker-2', lockMs), await survivor.lease('worker-3', lockMs)];
    expect(others.map((job) => job?.payload.itemId)).not.toContain(leasedItemId);
    expect(await survivor.lease('worker-4', lockMs)).toBeUndefined();
    afterCrash.advance(1);
    expect(await survivor.reapExpired()).toBe(1);
    expect(await survivor.lease('worker-4', lockMs)).toMatchObject({ attempt: 2, payload: { itemId: leasedItemId } });
    await survivor.close();
  });
});
