/**
 * How a job rides out faults (retry.ts, run-leased-job.ts): a short throttle is slept for exactly
 * what the server asked, then the copy goes on; a long one gives the job back to the queue until
 * then; a fault that outlasts the reconnects goes to the queue's back-off; a refusal is not retried.
 * The clock moves by itself by each wait asked of it, so what was waited is what is asserted.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withRetries } from '../../../api/core/engine/retry.js';
import { ConnectionError, ThrottledError, ValidationError } from '../../../api/core/errors.js';
import type { Item, Project } from '../../../api/core/model.js';
import { contents, inMemoryApp, message, TENANT, UNIT_RETRY_POLICY, type InMemoryApp } from '../../support/in-memory-app.js';
import type { InMemoryMailbox } from '../../support/in-memory-mailbox.js';
import { TestClock } from '../../support/test-clock.js';

const RETRY_AFTER_MS = 7_000;
const LONG_RETRY_AFTER_MS = 5 * 60_000;

describe('a job meeting faults', () => {
  let t: InMemoryApp;
  let project: Project;
  let item: Item;
  let source: InMemoryMailbox;
  let dest: InMemoryMailbox;

  beforeEach(async () => {
    t = inMemoryApp();
    t.clock.autoAdvance = true;
    project = await t.project();
    item = await t.addItem(project, 'cy');
    source = t.connector.mailbox('cy@src.test');
    dest = t.connector.mailbox('cy@dst.test');
    for (let n = 1; n <= 5; n++) source.add('INBOX', message(n), { internalDate: n });
  });
  afterEach(() => t.close());

  /** The source refuses reads of message `n` with `error`, `times` times. */
  function failReads(n: number, error: () => Error, times = Number.POSITIVE_INFINITY): void {
    let left = times;
    source.faults.read = (ref) => (ref.uid === n && left-- > 0 ? error() : undefined);
  }

  it('retries a throttled read after exactly the Retry-After the server asked for, and copies everything once', async () => {
    failReads(3, () => new ThrottledError('Server busy.', RETRY_AFTER_MS), 1);
    await t.startPass(project, 'full', [item]);
    expect(await t.runQueue()).toEqual(['finished']);

    expect(t.clock.slept).toEqual([RETRY_AFTER_MS]);
    expect(contents(dest)).toEqual(contents(source));
    expect((await t.item(item)).lastRun).toMatchObject({ status: 'Completed', copied: 5, failed: 0 });
    expect(t.log).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Retrying folder after: Server busy.',
        fields: expect.objectContaining({ waitMs: RETRY_AFTER_MS }),
      }),
    );
  });

  it('gives the job back to the queue, without sleeping, when the server asks for longer than the inline ceiling, and runs it once that time has come', async () => {
    failReads(2, () => new ThrottledError('Server busy for a while.', LONG_RETRY_AFTER_MS), 1);
    t.clock.autoAdvance = false;
    await t.startPass(project, 'full', [item]);
    expect(await t.runQueue()).toEqual(['retry']);
    expect(t.clock.slept).toEqual([]);
    expect(await t.item(item)).toMatchObject({ status: 'Queued', lastRun: { reason: 'Will retry: Server busy for a while.' } });

    t.clock.advance(LONG_RETRY_AFTER_MS - 1);
    expect(await t.runQueue()).toEqual([]); // not yet
    t.clock.advance(1);
    const job = await t.queue.lease('unit-worker', 60_000);
    // A server's back-off is not the job's fault: no attempt was spent on it.
    expect(job?.attempt).toBe(1);
    await t.queue.release(job!);
    expect(await t.runQueue()).toEqual(['finished']);
    expect(contents(dest)).toEqual(contents(source));
  });

  it("reconnects with growing waits, then leaves the job to the queue's back-off when the fault outlasts the reconnects", async () => {
    failReads(1, () => new ConnectionError('Connection reset by peer.'));
    await t.startPass(project, 'full', [item]);
    expect(await t.runQueue()).toEqual(['retry']);

    expect(t.clock.slept).toHaveLength(UNIT_RETRY_POLICY.maxReconnects);
    t.clock.slept.forEach((ms, i) => {
      const step = UNIT_RETRY_POLICY.reconnectBaseMs * 2 ** i;
      expect(ms).toBeGreaterThanOrEqual(step * 0.8);
      expect(ms).toBeLessThanOrEqual(step * 1.2);
    });
    expect(t.connector.opened).toBe(2 * (1 + UNIT_RETRY_POLICY.maxReconnects));
    expect(await t.item(item)).toMatchObject({ status: 'Queued', lastRun: { reason: 'Will retry: Connection reset by peer.' } });

    source.faults.read = undefined;
    t.clock.advance(60 * 60_000); // past the queue's back-off
    expect(await t.runQueue()).toEqual(['finished']);
    expect(contents(dest)).toEqual(contents(source));
  });

  it('does not retry a fault that is not retryable: the item fails with its reason', async () => {
    failReads(1, () => new ValidationError('The source returned a message Mailferry cannot read.'));
    await t.startPass(project, 'full', [item]);
    expect(await t.runQueue()).toEqual(['finished']);
    expect(t.clock.slept).toEqual([]);
    expect(await t.item(item)).toMatchObject({
      status: 'Failed',
      lastRun: { reason: 'The source returned a message Mailferry cannot read.' },
    });
    expect(await t.store.ledger.countDone(TENANT, item.id)).toBe(0);
  });
});

describe('withRetries', () => {
  const policy = { maxInlineWaitMs: 10_000, maxReconnects: 2, reconnectBaseMs: 100 };

  it('counts consecutive failures only: an attempt that moved work forward restarts the count', async () => {
    const clock = new TestClock();
    clock.autoAdvance = true;
    let round = 0;
    const result = await withRetries(
      policy,
      clock,
      async () => {
        round++;
        if (round <= 5) throw new ConnectionError(`drop ${round}`);
        return 'done';
      },
      { madeProgress: () => true },
    );
    expect(result).toBe('done');
    expect(clock.slept).toHaveLength(5);
  });

  it('throws the last error once the consecutive failures pass maxReconnects', async () => {
    const clock = new TestClock();
    clock.autoAdvance = true;
    let round = 0;
    const failing = withRetries(policy, clock, async () => {
      round++;
      throw new ConnectionError(`drop ${round}`);
    });
    await expect(failing).rejects.toThrow('drop 3');
    expect(clock.slept).toHaveLength(policy.maxReconnects);
  });

  it('ends a wait when its signal is aborted, and retries no more', async () => {
    const clock = new TestClock(); // never advanced: only the abort can end the wait
    const abort = new AbortController();
    let attempts = 0;
    const failing = withRetries(
      policy,
      clock,
      async () => {
        attempts++;
        throw new ThrottledError('busy', 5_000);
      },
      {
        signal: abort.signal,
        // Aborted just after the wait began (the sleep is asked for right after this hook returns).
        onRetry: () => queueMicrotask(() => abort.abort()),
      },
    );
    await expect(failing).rejects.toThrow('busy');
    expect(clock.slept).toEqual([5_000]);
    expect(attempts).toBe(2);
    expect(clock.pendingSleeps).toBe(0);
  });
});
