/** Shared pieces of the JobQueue conformance suite. */
import { it } from 'vitest';
import type { JobPayload } from '../../api/core/ports.js';

export const LOCK_MS = 30_000;
export const TENANT_A = 'tenant-a';
export const TENANT_B = 'tenant-b';

export function payload(itemId: string, overrides: Partial<JobPayload> = {}): JobPayload {
  return { tenantId: TENANT_A, projectId: 'project-1', itemId, passId: 'pass-1', ...overrides };
}

/**
 * What an adapter's backend can do at all. Every adapter runs every case it is capable of; a
 * case it cannot meet is skipped by name with the reason, never weakened. SQLite has them all.
 */
export interface JobQueueCapabilities {
  /**
   * The id of a finished job can be enqueued again at once. Service Bus cannot: duplicate
   * detection remembers a MessageId for its whole window (20 s to 7 days, 10 min by default),
   * completed or not, and drops the second send.
   */
  reenqueueFinishedJobId: boolean;
  /**
   * cancel() also removes jobs already waiting in the queue, not only scheduled ones. Service
   * Bus cannot remove active messages selectively (only scheduled ones, by sequence number);
   * the engine tolerates the leftovers: they find their pass stopping and end as Stopped.
   */
  cancelEnqueued: boolean;
}

export const ALL_CAPABILITIES: JobQueueCapabilities = { reenqueueFinishedJobId: true, cancelEnqueued: true };

/** `it` when the adapter has the capability; otherwise a skipped case whose name says why. */
export function itWhen(capable: boolean, reason: string): (name: string, test: () => Promise<void>) => void {
  return capable ? (name, test) => it(name, test) : (name, test) => it.skip(`${name} [skipped: ${reason}]`, test);
}
