import type { Workgroup } from '../model.js';
import type { Store } from '../ports.js';
import { listAll } from '../list-all.js';

export const DEFAULT_WORKGROUP = 'Default';

/**
 * The workgroup an endpoint (or project) belongs to. Records stored before endpoints had one
 * belong to their tenant's Default workgroup (its oldest workgroup of that name): resolved when
 * read, so SQLite and Cosmos documents need no rewrite. The embedded host's tenant has no
 * workgroups, so there everything resolves to none and its local admin sees all of it.
 */
export async function workgroupOf(store: Store, record: { tenantId: string; workgroupId?: string }): Promise<string | undefined> {
  return record.workgroupId ?? defaultWorkgroupId(store, record.tenantId);
}

export async function defaultWorkgroupId(store: Store, tenantId: string): Promise<string | undefined> {
  const all = await listAll((cursor) => store.workgroups.list(tenantId, { cursor }));
  const defaults = all.filter((w: Workgroup) => w.name === DEFAULT_WORKGROUP).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return defaults[0]?.id;
}
