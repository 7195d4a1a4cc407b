/**
 * Sync cursors (where each folder's delta listing left off) go with their item: deleting the
 * item or its project deletes them, so an item added again later starts with a full listing
 * instead of following a delta link that a deleted ledger no longer backs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncCursor } from '../../../api/core/ports.js';
import { EmbeddedRuntime, LOCAL_TENANT } from '../../../api/local/embedded-runtime.js';
import { makeTempDir, type TempDir } from '../../adapters/temp-dir.js';
import { silentLog } from '../../support/migration-fixture.js';

describe('sync cursors follow their item', () => {
  let dir: TempDir;
  let runtime: EmbeddedRuntime;

  beforeEach(async () => {
    dir = makeTempDir();
    runtime = await EmbeddedRuntime.open({ dataDir: dir.path, log: silentLog });
  });
  afterEach(async () => {
    await runtime.close();
    dir.remove();
  });

  async function projectWithItems(count: number) {
    const s = runtime.services;
    const endpoint = (name: string) =>
      s.projects.createEndpoint(LOCAL_TENANT, {
        name,
        kind: 'imap',
        host: 'imap.example.test',
        port: 993,
        security: 'tls',
        allowSelfSigned: false,
        adminMode: 'none',
        authMechanism: 'password',
        domains: [],
      } as Parameters<typeof s.projects.createEndpoint>[1]);
    const [src, dst] = [await endpoint('src'), await endpoint('dst')];
    const project = await s.projects.createProject(LOCAL_TENANT, {
      name: 'Cursors',
      sourceEndpointId: src.id,
      destinationEndpointId: dst.id,
      options: [],
      maxConcurrentMigrations: 2,
    });
    const items = [];
    for (let n = 0; n < count; n++) {
      items.push(
        await s.items.addItem(LOCAL_TENANT, project.id, {
          sourceAddress: `u${n}@src.test`,
          destinationAddress: `u${n}@dst.test`,
          endUserCredentials: false,
          options: [],
        }),
      );
    }
    for (const item of items) await runtime.store.cursors.put(cursorOf(item.id, 'Inbox'));
    return { project, items };
  }

  const cursorOf = (itemId: string, folder: string): SyncCursor => ({
    tenantId: LOCAL_TENANT,
    itemId,
    side: 'source',
    folder,
    folderIdentity: 'AAMk1',
    cursor: 'https://graph.microsoft.com/delta?$deltatoken=1',
    savedAt: new Date().toISOString(),
  });
  const cursorLeft = (itemId: string) => runtime.store.cursors.get(LOCAL_TENANT, itemId, 'source', 'Inbox');

  it('deletes an item’s cursors with the item, and leaves the other items’ cursors', async () => {
    const {
      items: [first, second],
    } = await projectWithItems(2);
    await runtime.services.items.deleteItem(LOCAL_TENANT, first!.id);
    expect(await cursorLeft(first!.id)).toBeUndefined();
    expect(await cursorLeft(second!.id)).toBeDefined();
  });

  it('deletes every item’s cursors with the project', async () => {
    const { project, items } = await projectWithItems(2);
    await runtime.services.projects.deleteProject(LOCAL_TENANT, project.id);
    for (const item of items) expect(await cursorLeft(item.id)).toBeUndefined();
  });
});
