/**
 * Delivery behaviour every JobQueue adapter must show: leases, ordering, schedules, group
 * limits, renewal, de-duplication, cancel and release.
 */
import { expect, it } from 'vitest';
import { ConflictError } from '../../api/core/errors.js';
import type { JobQueue } from '../../api/core/ports.js';
import type { TestClock } from '../support/test-clock.js';
import { itWhen, LOCK_MS, payload, TENANT_B, type JobQueueCapabilities } from './job-queue-fixtures.js';

export function deliveryCases(queue: () => JobQueue, clock: () => TestClock, capabilities: JobQueueCapabilities): void {
  const itReenqueues = itWhen(capabilities.reenqueueFinishedJobId, 'duplicate detection keeps a finished id for its window');
  const itCancelsEnqueued = itWhen(capabilities.cancelEnqueued, 'only scheduled jobs can be cancelled');

  it('delivers an enqueued job with attempt 1, a lease token and a lock until now + lockMs', async () => {
    const id = await queue().enqueue(payload('item-1'));
    const job = await queue().lease('worker-1', LOCK_MS);
    expect(job).toMatchObject({ id, payload: payload('item-1'), attempt: 1, maxAttempts: 5 });
    expect(job!.leaseToken).toEqual(expect.any(String));
    expect(job!.lockedUntil.getTime()).toBe(clock().now().getTime() + LOCK_MS);
  });

  it('has nothing to lease when the queue is empty', async () => {
    expect(await queue().lease('worker-1', LOCK_MS)).toBeUndefined();
  });

  it('does not hand a leased job to a second worker while the lease holds', async () => {
    await queue().enqueue(payload('item-1'));
    await queue().lease('worker-1', LOCK_MS);
    clock().advance(LOCK_MS - 1);
    expect(await queue().lease('worker-2', LOCK_MS)).toBeUndefined();
  });

  it('delivers the oldest job first', async () => {
    for (const itemId of ['item-1', 'item-2', 'item-3']) await queue().enqueue(payload(itemId));
    const order = [];
    for (let index = 0; index < 3; index += 1) order.push((await queue().lease('worker-1', LOCK_MS))?.payload.itemId);
    expect(order).toEqual(['item-1', 'item-2', 'item-3']);
  });

  it('does not deliver a scheduled job before its time', async () => {
    await queue().enqueue(payload('item-1'), { runAt: new Date(clock().now().getTime() + 60_000) });
    clock().advance(59_999);
    expect(await queue().lease('worker-1', LOCK_MS)).toBeUndefined();
    clock().advance(1);
    expect((await queue().lease('worker-1', LOCK_MS))?.payload.itemId).toBe('item-1');
  });

  it('leases at most groupLimit jobs of one group at a time, and a completion frees a slot', async () => {
    for (let index = 1; index <= 5; index += 1) {
      await queue().enqueue(payload(`item-${index}`), { group: 'project-1', groupLimit: 2 });
    }
    await queue().enqueue(payload('other', { projectId: 'project-2' }), { group: 'project-2', groupLimit: 2 });
    const first = await queue().lease('worker-1', LOCK_MS);
    const second = await queue().lease('worker-2', LOCK_MS);
    const third = await queue().lease('worker-3', LOCK_MS);
    expect([first?.payload.itemId, second?.payload.itemId]).toEqual(['item-1', 'item-2']);
    expect(third?.payload.itemId).toBe('other');
    expect(await queue().lease('worker-4', LOCK_MS)).toBeUndefined();
    await queue().complete(first!);
    expect((await queue().lease('worker-4', LOCK_MS))?.payload.itemId).toBe('item-3');
    expect(await queue().lease('worker-5', LOCK_MS)).toBeUndefined();
  });

  it('frees a group slot when a lease in the group expires', async () => {
    await queue().enqueue(payload('item-1'), { group: 'project-1', groupLimit: 1 });
    await queue().enqueue(payload('item-2'), { group: 'project-1', groupLimit: 1 });
    await queue().lease('worker-1', LOCK_MS);
    expect(await queue().lease('worker-2', LOCK_MS)).toBeUndefined();
    clock().advance(LOCK_MS + 1);
    await queue().reapExpired();
    expect(await queue().lease('worker-2', LOCK_MS)).toBeDefined();
  });

  it('keeps a renewed lease past its first expiry', async () => {
    await queue().enqueue(payload('item-1'));
    const job = (await queue().lease('worker-1', LOCK_MS))!;
    clock().advance(LOCK_MS - 5_000);
    expect(await queue().renew(job, LOCK_MS)).toBe(true);
    expect(job.lockedUntil.getTime()).toBe(clock().now().getTime() + LOCK_MS);
    clock().advance(LOCK_MS - 5_000);
    await queue().reapExpired();
    expect(await queue().lease('worker-2', LOCK_MS)).toBeUndefined();
  });

  it('refuses to renew a lease that expired and went to another worker', async () => {
    await queue().enqueue(payload('item-1'));
    const stale = (await queue().lease('worker-1', LOCK_MS))!;
    clock().advance(LOCK_MS + 1);
    await queue().reapExpired();
    const current = (await queue().lease('worker-2', LOCK_MS))!;
    expect(current.id).toBe(stale.id);
    expect(await queue().renew(stale, LOCK_MS)).toBe(false);
    expect(await queue().renew(current, LOCK_MS)).toBe(true);
  });

  it('refuses to renew an expired lease even when nobody took the job', async () => {
    await queue().enqueue(payload('item-1'));
    const job = (await queue().lease('worker-1', LOCK_MS))!;
    clock().advance(LOCK_MS + 1);
    expect(await queue().renew(job, LOCK_MS)).toBe(false);
  });

  it('forgets a completed job, and refuses a completion from a lost lease', async () => {
    await queue().enqueue(payload('item-1'));
    const stale = (await queue().lease('worker-1', LOCK_MS))!;
    clock().advance(LOCK_MS + 1);
    await queue().reapExpired();
    const current = (await queue().lease('worker-2', LOCK_MS))!;
    await expect(queue().complete(stale)).rejects.toBeInstanceOf(ConflictError);
    expect(await queue().depth()).toBe(1);
    await queue().complete(current);
    expect(await queue().depth()).toBe(0);
    clock().advance(LOCK_MS * 10);
    expect(await queue().lease('worker-3', LOCK_MS)).toBeUndefined();
  });

  it('ignores a second enqueue with the id of a job that is waiting or running', async () => {
    const first = await queue().enqueue(payload('item-1'), { jobId: 'pass-1:item-1' });
    const again = await queue().enqueue(payload('item-1', { projectId: 'changed' }), { jobId: 'pass-1:item-1' });
    expect([first, again]).toEqual(['pass-1:item-1', 'pass-1:item-1']);
    expect(await queue().depth()).toBe(1);
    const job = (await queue().lease('worker-1', LOCK_MS))!;
    expect(job.payload.projectId).toBe('project-1');
    await queue().enqueue(payload('item-1'), { jobId: 'pass-1:item-1' });
    expect(await queue().depth()).toBe(1);
  });

  itReenqueues('accepts the id of a finished job again', async () => {
    await queue().enqueue(payload('item-1'), { jobId: 'pass-1:item-1' });
    await queue().complete((await queue().lease('worker-1', LOCK_MS))!);
    await queue().enqueue(payload('item-1'), { jobId: 'pass-1:item-1' });
    expect((await queue().lease('worker-1', LOCK_MS))?.id).toBe('pass-1:item-1');
  });

  itCancelsEnqueued("cancels the waiting jobs of one tenant's pass and returns them, leaving running ones", async () => {
    await queue().enqueue(payload('running'));
    const running = (await queue().lease('worker-1', LOCK_MS))!;
    await queue().enqueue(payload('item-1'));
    await queue().enqueue(payload('item-2'), { runAt: new Date(clock().now().getTime() + 60_000) });
    await queue().enqueue(payload('item-3', { passId: 'pass-2' }));
    await queue().enqueue(payload('item-4', { tenantId: TENANT_B }));
    const cancelled = await queue().cancel({ tenantId: payload('x').tenantId, passId: 'pass-1' });
    expect(cancelled.map((job) => job.itemId).sort()).toEqual(['item-1', 'item-2']);
    expect(cancelled[0]).toEqual(payload(cancelled[0]!.itemId));
    expect(await queue().depth()).toBe(3);
    expect(await queue().renew(running, LOCK_MS)).toBe(true);
  });

  it("cancels the scheduled jobs of one tenant's pass and returns them, leaving running ones", async () => {
    await queue().enqueue(payload('running'));
    const running = (await queue().lease('worker-1', LOCK_MS))!;
    const later = new Date(clock().now().getTime() + 60_000);
    await queue().enqueue(payload('item-1'), { runAt: later });
    await queue().enqueue(payload('item-2'), { runAt: later });
    await queue().enqueue(payload('item-3', { passId: 'pass-2' }), { runAt: later });
    await queue().enqueue(payload('item-4', { tenantId: TENANT_B }), { runAt: later });
    const cancelled = await queue().cancel({ tenantId: payload('x').tenantId, passId: 'pass-1' });
    expect(cancelled.map((job) => job.itemId).sort()).toEqual(['item-1', 'item-2']);
    expect(cancelled[0]).toEqual(payload(cancelled[0]!.itemId));
    expect(await queue().depth()).toBe(3);
    expect(await queue().renew(running, LOCK_MS)).toBe(true);
    await queue().complete(running);
    clock().advance(60_000);
    const next = [await queue().lease('worker-2', LOCK_MS), await queue().lease('worker-3', LOCK_MS)];
    expect(next.map((job) => job?.payload.itemId).sort()).toEqual(['item-3', 'item-4']);
    expect(await queue().lease('worker-4', LOCK_MS)).toBeUndefined();
  });

  it('takes a released job back without counting the attempt', async () => {
    await queue().enqueue(payload('item-1'));
    await queue().release((await queue().lease('worker-1', LOCK_MS))!);
    const again = await queue().lease('worker-2', LOCK_MS);
    expect(again).toMatchObject({ attempt: 1, payload: payload('item-1') });
  });

  it('holds a job released with a later runAt until then', async () => {
    await queue().enqueue(payload('item-1'));
    const job = (await queue().lease('worker-1', LOCK_MS))!;
    await queue().release(job, new Date(clock().now().getTime() + 300_000));
    clock().advance(299_999);
    expect(await queue().lease('worker-1', LOCK_MS)).toBeUndefined();
    clock().advance(1);
    expect(await queue().lease('worker-1', LOCK_MS)).toMatchObject({ attempt: 1 });
  });

  it('counts waiting and leased jobs in its depth', async () => {
    await queue().enqueue(payload('item-1'));
    await queue().enqueue(payload('item-2'));
    await queue().enqueue(payload('item-3'), { runAt: new Date(clock().now().getTime() + 60_000) });
    await queue().lease('worker-1', LOCK_MS);
    expect(await queue().depth()).toBe(3);
  });
}
