/**
 * Sample records for the Store conformance suite: one builder per collection, so the same
 * collection cases run over projects, endpoints, items and passes.
 */
import type { Doc, Endpoint, ErrorRow, GroupSlots, Item, LedgerEntry, Pass, Project, Workgroup } from '../../api/core/model.js';
import type { Collection, Store, SyncCursor } from '../../api/core/ports.js';

export const TENANT_A = 'tenant-a';
export const TENANT_B = 'tenant-b';

const CREATED_AT = '2026-03-02T09:00:00.000Z';

export interface CollectionSpec<T extends Doc> {
  name: 'projects' | 'endpoints' | 'items' | 'passes' | 'workgroups' | 'groupSlots';
  of(store: Store): Collection<T>;
  make(tenantId: string, id: string, text?: string): Omit<T, 'version'>;
  /** A top-level string field that search looks in and that replace may change. */
  textField: keyof T & string;
}

export const projectSpec: CollectionSpec<Project> = {
  name: 'projects',
  of: (store) => store.projects,
  make: (tenantId, id, text = `Project ${id}`) => ({
    tenantId,
    id,
    name: text,
    sourceEndpointId: 'ep-src',
    destinationEndpointId: 'ep-dst',
    options: ['FolderFilter=^(?!Junk$)'],
    maxConcurrentMigrations: 2,
    createdAt: CREATED_AT,
  }),
  textField: 'name',
};

export const endpointSpec: CollectionSpec<Endpoint> = {
  name: 'endpoints',
  of: (store) => store.endpoints,
  make: (tenantId, id, text = `Endpoint ${id}`) => ({
    tenantId,
    id,
    name: text,
    kind: 'imap',
    host: 'imap.example.org',
    port: 993,
    security: 'tls',
    adminMode: 'none',
    createdAt: CREATED_AT,
  }),
  textField: 'name',
};

export const itemSpec: CollectionSpec<Item> = {
  name: 'items',
  of: (store) => store.items,
  make: (tenantId, id, text = `${id}@src.example`) => ({
    tenantId,
    id,
    projectId: 'project-1',
    sourceAddress: text,
    destinationAddress: `${id}@dst.example`,
    options: [],
    status: 'Not Started',
    statistics: { copied: 0, skipped: 0, failed: 0, bytes: 0, passes: 0, folders: 0, durationMs: 0 },
    createdAt: CREATED_AT,
  }),
  textField: 'sourceAddress',
};

export const passSpec: CollectionSpec<Pass> = {
  name: 'passes',
  of: (store) => store.passes,
  make: (tenantId, id, text = `Pass ${id}`) => ({
    tenantId,
    id,
    projectId: 'project-1',
    kind: 'full',
    itemIds: ['item-1', 'item-2'],
    options: { itemTypes: ['mail'] },
    startAt: text,
    status: 'scheduled',
    createdAt: CREATED_AT,
  }),
  // Passes have no name; `startAt` is a plain top-level string that search can read.
  textField: 'startAt',
};

export const workgroupSpec: CollectionSpec<Workgroup> = {
  name: 'workgroups',
  of: (store) => store.workgroups,
  make: (tenantId, id, text = `Workgroup ${id}`) => ({
    tenantId,
    id,
    name: text,
    members: [{ userId: 'user-1', role: 'Owner' }],
    createdAt: CREATED_AT,
  }),
  textField: 'name',
};

export const groupSlotsSpec: CollectionSpec<GroupSlots> = {
  name: 'groupSlots',
  of: (store) => store.groupSlots,
  make: (tenantId, id, text = `group-${id}`) => ({ tenantId, id, group: text, holders: { 'lock-1': Date.UTC(2026, 2, 2) } }),
  textField: 'group',
};

export const COLLECTION_SPECS = [
  projectSpec,
  endpointSpec,
  itemSpec,
  passSpec,
  workgroupSpec,
  groupSlotsSpec,
] as unknown as CollectionSpec<Doc>[];

export function ledgerEntry(overrides: Partial<LedgerEntry> & { sourceKey: string }): LedgerEntry {
  return {
    tenantId: TENANT_A,
    itemId: 'item-1',
    folder: 'INBOX',
    destFolder: 'Inbox',
    destId: `7:${overrides.sourceKey}`,
    size: 2048,
    internalDate: Date.UTC(2025, 0, 15),
    state: 'done',
    ...overrides,
  };
}

export function errorRow(overrides: Partial<ErrorRow> & { sourceKey: string }): ErrorRow {
  return {
    tenantId: TENANT_A,
    itemId: 'item-1',
    passId: 'pass-1',
    folder: 'INBOX',
    code: 'too-large',
    reason: 'The message is larger than the destination accepts.',
    at: CREATED_AT,
    ...overrides,
  };
}

export function syncCursor(overrides: Partial<SyncCursor> = {}): SyncCursor {
  return {
    tenantId: TENANT_A,
    itemId: 'item-1',
    side: 'source',
    folder: 'Inbox/Projects 2026',
    folderIdentity: 'AAMkAGfolder-1',
    cursor: "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/MBX:1/folders('AAMkAGfolder-1')/items/delta?$deltatoken=abc",
    savedAt: '2026-12-04T10:00:00.000Z',
    ...overrides,
  };
}
