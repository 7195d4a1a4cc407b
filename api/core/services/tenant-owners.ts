import { ValidationError } from '../errors.js';
import type { TenantOwners } from './context.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Parses MAILFERRY_TENANT_OWNERS: comma-separated `tenant-id:user-object-id` pairs, both GUIDs
 * (a tenant may be listed several times for several Owners). Object ids, not UPNs: a UPN or
 * `preferred_username` can be renamed or reassigned to someone else, an object id cannot.
 */
export function parseTenantOwners(value: string | undefined, setting = 'MAILFERRY_TENANT_OWNERS'): TenantOwners {
  const owners = new Map<string, string[]>();
  for (const entry of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [tenantId, userId, ...rest] = entry.split(':').map((s) => s.trim().toLowerCase());
    if (!tenantId || !userId || rest.length || !GUID.test(tenantId) || !GUID.test(userId)) {
      throw new ValidationError(
        `${setting}: "${entry}" is not "tenant-id:user-object-id" (two GUIDs, e.g. the directory id and the user's object id from Entra ID → Users).`,
        { field: setting },
      );
    }
    owners.set(tenantId, [...(owners.get(tenantId) ?? []), userId]);
  }
  return owners;
}
