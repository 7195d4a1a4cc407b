/**
 * Failure behaviour every JobQueue adapter must show: exponential back-off with jitter,
 * server-requested waits, dead letters, and jobs whose worker vanished.
 */
import { expect, it } from 'vitest';
import { ConflictError } from '../../api/core/errors.js';
import type { JobQueue } from '../../api/core/ports.js';
import type { TestClock } from '../support/test-clock.js';
import { LOCK_MS, payload, TENANT_A, TENANT_B } from './job-queue-fixtures.js';

/** The back-off after attempt n lies within 2 s × 2^(n-1) ± 20 %. */
function backoffWindowMs(attempt: number): [number, number] {
  const base = 2_000 * 2 ** (attempt - 1);
  return [base * 0.8, base * 1.2];
}

export function retryCases(queue: () => JobQueue, clock: () => TestClock): void {
  it('retries a retryable failure after its back-off, as the next attempt', async () => {
    await queue().enqueue(payload('item-1'));
    const job = (await queue().lease('worker-1', LOCK_MS))!;
    expect(await queue().fail(job, { message: 'connection reset', retryable: true })).toBe('retrying');
    expect(await queue().lease('worker-1', LOCK_MS)).toBeUndefined();
    clock().advance(backoffWindowMs(1)[1]);
    expect(await queue().lease('worker-1', LOCK_MS)).toMatchObject({ id: job.id, attempt: 2 });
  });

  it('backs off longer after each failure', async () => {
    await queue().enqueue(payload('item-1'), { maxAttempts: 5 });
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const job = (await queue().lease('worker-1', LOCK_MS))!;
      expect(job.attempt).toBe(attempt);
      const failedAt = clock().now().getTime();
      await queue().fail(job, { message: `busy ${attempt}`, retryable: true });
      const [earliest, latest] = backoffWindowMs(attempt);
      clock().advance(earliest - 1);
      expect(await queue().lease('worker-1', LOCK_MS)).toBeUndefined();
      clock().advanceTo(new Date(failedAt + latest));
    }
    expect(await queue().lease('worker-1', LOCK_MS)).toMatchObject({ attempt: 4 });
  });

  it('waits at least the retryAfterMs the server asked for', async () => {
    await queue().enqueue(payload('item-1'));
    const job = (await queue().lease('worker-1', LOCK_MS))!;
    await queue().fail(job, { message: 'throttled', retryable: true, retryAfterMs: 120_000 });
    clock().advance(119_999);
    expect(await queue().lease('worker-1', LOCK_MS)).toBeUndefined();
    clock().advance(1);
    expect(await queue().lease('worker-1', LOCK_MS)).toMatchObject({ attempt: 2 });
  });

  it('dead-letters a job after maxAttempts, keeping the last reason', async () => {
    await queue().enqueue(payload('item-1'), { jobId: 'job-1', maxAttempts: 3 });
    const outcomes = [];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const job = (await queue().lease('worker-1', LOCK_MS))!;
      outcomes.push(await queue().fail(job, { message: `mailbox busy #${attempt}`, retryable: true }));
      clock().advance(60_000);
    }
    expect(outcomes).toEqual(['retrying', 'retrying', 'dead-lettered']);
    const [letter, ...others] = await queue().deadLetters(TENANT_A);
    expect(others).toEqual([]);
    expect(letter).toMatchObject({ id: 'job-1', payload: payload('item-1'), attempts: 3, reason: 'mailbox busy #3' });
    expect(letter!.at.getTime()).toBe(clock().now().getTime() - 60_000);
    expect(await queue().depth()).toBe(0);
  });

  it('dead-letters a non-retryable failure at once', async () => {
    await queue().enqueue(payload('item-1'));
    const job = (await queue().lease('worker-1', LOCK_MS))!;
    expect(await queue().fail(job, { message: 'wrong password for item-1', retryable: false })).toBe('dead-lettered');
    expect(await queue().deadLetters(TENANT_A)).toMatchObject([{ attempts: 1, reason: 'wrong password for item-1' }]);
    clock().advance(3_600_000);
    expect(await queue().lease('worker-1', LOCK_MS)).toBeUndefined();
  });

  it('shows a tenant only its own dead letters', async () => {
    await queue().enqueue(payload('item-1', { tenantId: TENANT_B }));
    await queue().fail((await queue().lease('worker-1', LOCK_MS))!, { message: 'gone', retryable: false });
    expect(await queue().deadLetters(TENANT_A)).toEqual([]);
    expect(await queue().deadLetters(TENANT_B)).toHaveLength(1);
  });

  it('refuses a failure reported through a lost lease', async () => {
    await queue().enqueue(payload('item-1'));
    const stale = (await queue().lease('worker-1', LOCK_MS))!;
    clock().advance(LOCK_MS + 1);
    await queue().reapExpired();
    await queue().lease('worker-2', LOCK_MS);
    await expect(queue().fail(stale, { message: 'late', retryable: false })).rejects.toBeInstanceOf(ConflictError);
    expect(await queue().deadLetters(TENANT_A)).toEqual([]);
  });

  it('redelivers a job whose worker vanished once its lease expires, counting the attempt', async () => {
    await queue().enqueue(payload('item-1'));
    const lost = (await queue().lease('worker-1', LOCK_MS))!;
    clock().advance(LOCK_MS);
    await queue().reapExpired();
    expect(await queue().lease('worker-2', LOCK_MS)).toMatchObject({ id: lost.id, attempt: 2, payload: lost.payload });
  });

  it('dead-letters a job whose lease expired on its last attempt', async () => {
    await queue().enqueue(payload('item-1'), { maxAttempts: 2 });
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      expect(await queue().lease('worker-1', LOCK_MS)).toMatchObject({ attempt });
      clock().advance(LOCK_MS + 1);
      await queue().reapExpired();
    }
    expect(await queue().lease('worker-1', LOCK_MS)).toBeUndefined();
    expect(await queue().deadLetters(TENANT_A)).toMatchObject([{ attempts: 2, reason: expect.stringMatching(/lease expired/i) }]);
  });
}
