/**
 * The JobQueue conformance suite: the SQLite queue runs it today, Service Bus next. Time is a
 * TestClock the adapter must read for every decision (lease expiry, schedules, back-off), so
 * the suite runs in milliseconds. `makeQueue` returns a fresh, empty queue per test.
 * `capabilities` names what a backend cannot do at all; those cases are skipped with the reason.
 */
import { afterEach, beforeEach, describe } from 'vitest';
import type { JobQueue } from '../../api/core/ports.js';
import { TestClock } from '../support/test-clock.js';
import { deliveryCases } from './job-queue-delivery-cases.js';
import { ALL_CAPABILITIES, type JobQueueCapabilities } from './job-queue-fixtures.js';
import { retryCases } from './job-queue-retry-cases.js';

export interface JobQueueUnderTest {
  queue: JobQueue;
  cleanup(): Promise<void>;
}

export function describeJobQueueConformance(
  name: string,
  makeQueue: (clock: TestClock) => Promise<JobQueueUnderTest>,
  capabilities: JobQueueCapabilities = ALL_CAPABILITIES,
): void {
  describe(`${name} conforms to the JobQueue port`, () => {
    let clock: TestClock;
    let current: JobQueueUnderTest | undefined;
    const queue = (): JobQueue => {
      if (!current) throw new Error('The queue is used outside a test.');
      return current.queue;
    };

    beforeEach(async () => {
      clock = new TestClock();
      current = await makeQueue(clock);
    });
    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    describe('delivery', () => deliveryCases(queue, () => clock, capabilities));
    describe('failures and retries', () => retryCases(queue, () => clock));
  });
}
