/** Shared pieces of the JobQueue conformance suite. */
import type { JobPayload } from '../../api/core/ports.js';

export const LOCK_MS = 30_000;
export const TENANT_A = 'tenant-a';
export const TENANT_B = 'tenant-b';

export function payload(itemId: string, overrides: Partial<JobPayload> = {}): JobPayload {
  return { tenantId: TENANT_A, projectId: 'project-1', itemId, passId: 'pass-1', ...overrides };
}
