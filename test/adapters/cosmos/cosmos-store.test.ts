import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../../api/core/errors.js';
import { CosmosStore } from '../../../api/adapters/cosmos/cosmos-store.js';
import { MAX_BATCH_OPERATIONS } from '../../../api/adapters/cosmos/cosmos-batch.js';
import { describeStoreConformance } from '../../conformance/store-conformance.js';
import {
  endpointSpec,
  errorRow,
  itemSpec,
  ledgerEntry,
  projectSpec,
  TENANT_A,
  TENANT_B,
  workgroupSpec,
} from '../../conformance/store-fixtures.js';
import {
  EMULATOR_KEY,
  emulatorClientOptions,
  startCosmosEmulator,
  type BeforeRequest,
  type CosmosEmulator,
  type RecordedRequest,
} from './cosmos-emulator.js';

let emulator: CosmosEmulator;
let databaseCount = 0;

beforeAll(async () => {
  emulator = await startCosmosEmulator();
});
afterAll(async () => {
  await emulator.stop();
});

/** A fresh database per test: the suite assumes an empty store, and one costs ~30 ms here. */
async function openFreshStore(log?: RecordedRequest[], before?: BeforeRequest, databaseId = `mailferry-${++databaseCount}`) {
  return CosmosStore.open({
    endpoint: emulator.endpoint,
    key: EMULATOR_KEY,
    databaseId,
    clientOptions: emulatorClientOptions(log, before),
  });
}

async function dispose(store: CosmosStore): Promise<void> {
  await store.database.delete();
  await store.close();
}

describeStoreConformance('CosmosStore', async () => {
  const store = await openFreshStore();
  return { store, cleanup: () => dispose(store) };
});

describe('CosmosStore', () => {
  let store: CosmosStore;
  let requests: RecordedRequest[];
  let beforeRequest: BeforeRequest | undefined;

  beforeEach(async () => {
    requests = [];
    beforeRequest = undefined;
    store = await openFreshStore(requests, (request) => beforeRequest?.(request) ?? Promise.resolve());
    requests.length = 0;
  });
  afterEach(async () => {
    await dispose(store);
  });

  it('turns a 412 from a write that slipped in between read and replace into ConflictError', async () => {
    const inserted = await store.projects.insert(projectSpec.make(TENANT_A, 'p1', 'original'));
    beforeRequest = async (request) => {
      if (request.operationType !== 'replace') return;
      beforeRequest = undefined;
      // Same version as ours, so the version check passes: only the ETag can catch this writer.
      await store.projects.replace({ ...inserted, name: 'the other writer' });
    };
    await expect(store.projects.replace({ ...inserted, name: 'ours' })).rejects.toBeInstanceOf(ConflictError);
    // Ours is recorded first (the hook runs before it goes out) and is answered last.
    expect(requests.filter((request) => request.operationType === 'replace').map((request) => request.status)).toEqual([412, 200]);
    expect(await store.projects.get(TENANT_A, 'p1')).toMatchObject({ name: 'the other writer', version: 2 });
  });

  it('writes 1,000 ledger entries in batches of 100, and a repeated put changes nothing', async () => {
    const entries = Array.from({ length: 1000 }, (_, index) => ledgerEntry({ sourceKey: `1:${index}`, folder: 'INBOX/2025 Q1' }));
    const batches = () => requests.filter((request) => request.operationType === 'batch').length;
    await store.ledger.put(entries);
    expect(batches()).toBe(entries.length / MAX_BATCH_OPERATIONS);
    await store.ledger.put(entries);
    expect(batches()).toBe((2 * entries.length) / MAX_BATCH_OPERATIONS);
    expect(await store.ledger.folderEntries(TENANT_A, 'item-1', 'INBOX/2025 Q1')).toHaveLength(1000);
    expect(await store.ledger.countDone(TENANT_A, 'item-1')).toBe(1000);
  });

  it("reads a folder's ledger with a query inside the mailbox's own partition", async () => {
    await store.ledger.put([ledgerEntry({ sourceKey: '1:1' }), ledgerEntry({ sourceKey: '1:2', itemId: 'item-2' })]);
    requests.length = 0;
    expect(await store.ledger.folderEntries(TENANT_A, 'item-1', 'INBOX')).toHaveLength(1);
    const queries = requests.filter((request) => request.operationType === 'query');
    expect(queries).toHaveLength(1);
    // The SDK sets the cross-partition header on every query; the partition key header is what
    // scopes it to one logical partition. (Its other request is a query-plan lookup, no documents.)
    expect(queries[0]).toMatchObject({ partitionKey: JSON.stringify([`${TENANT_A}|item-1`]) });
  });

  it('gets a record with one point read in its tenant partition, not a query', async () => {
    await store.items.insert(itemSpec.make(TENANT_A, 'i1'));
    requests.length = 0;
    expect(await store.items.get(TENANT_A, 'i1')).toBeDefined();
    expect(requests).toEqual([expect.objectContaining({ method: 'GET', operationType: 'read', partitionKey: JSON.stringify([TENANT_A]) })]);
  });

  it('inserts more than one transactional batch as a whole, and undoes earlier batches when a later one collides', async () => {
    const docs = (prefix: string) => Array.from({ length: 250 }, (_, index) => itemSpec.make(TENANT_A, `${prefix}${index}`));
    await store.items.insertMany(docs('ok-'));
    expect(await store.items.count(TENANT_A)).toBe(250);
    await store.items.insert(itemSpec.make(TENANT_A, 'late-230'));
    const colliding = docs('late-');
    await expect(store.items.insertMany(colliding)).rejects.toBeInstanceOf(ConflictError);
    expect(await store.items.count(TENANT_A)).toBe(251);
    expect((await store.items.get(TENANT_A, 'late-230'))?.version).toBe(1);
  });

  it('inserts a batch that spans two tenants into each tenant', async () => {
    await store.items.insertMany([itemSpec.make(TENANT_A, 'i1'), itemSpec.make(TENANT_B, 'i1')]);
    expect(await store.items.count(TENANT_A)).toBe(1);
    expect(await store.items.count(TENANT_B)).toBe(1);
  });

  it('finds records again through a second store opened on the same database', async () => {
    await store.projects.insert(projectSpec.make(TENANT_A, 'p1', 'Kept'));
    await store.ledger.put([ledgerEntry({ sourceKey: '1:1' })]);
    const reopened = await openFreshStore(undefined, undefined, store.database.id);
    try {
      expect((await reopened.projects.get(TENANT_A, 'p1'))?.name).toBe('Kept');
      expect(await reopened.ledger.countDone(TENANT_A, 'item-1')).toBe(1);
    } finally {
      await reopened.close();
    }
  });

  it('lists 30 records in creation order across pages of 7, whatever their ids', async () => {
    const ids = Array.from({ length: 30 }, (_, index) => `r${String(index).padStart(2, '0')}`).reverse();
    for (const id of ids) await store.workgroups.insert(workgroupSpec.make(TENANT_A, id));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.workgroups.list(TENANT_A, { limit: 7, cursor });
      seen.push(...page.items.map((doc) => doc.id));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(ids);
  });

  it('matches search text case-insensitively beyond ASCII, and % and _ as plain characters', async () => {
    await store.endpoints.insert(endpointSpec.make(TENANT_A, 'e1', 'Ærø Müller Mail'));
    await store.endpoints.insert(endpointSpec.make(TENANT_A, 'e2', 'first_last'));
    await store.endpoints.insert(endpointSpec.make(TENANT_A, 'e3', 'firstXlast'));
    const search = (text: string) => store.endpoints.list(TENANT_A, { search: { text, fields: ['name', 'host'] } });
    expect((await search('ærØ MÜLLER')).items.map((doc) => doc.id)).toEqual(['e1']);
    expect((await search('t_l')).items.map((doc) => doc.id)).toEqual(['e2']);
  });

  it('rejects a filter on a field that is not indexed, a search field that is not a plain name, and a foreign cursor', async () => {
    await expect(store.items.list(TENANT_A, { where: { sourceAddress: 'x' } })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.items.list(TENANT_A, { search: { text: 'x', fields: ['name"] OR true OR c["x'] } })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(store.items.list(TENANT_A, { cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('refuses an id that Cosmos cannot store, and finds nothing under one', async () => {
    await expect(store.items.insert(itemSpec.make(TENANT_A, 'a/b'))).rejects.toBeInstanceOf(ValidationError);
    expect(await store.items.get(TENANT_A, 'a/b')).toBeUndefined();
    expect(await store.items.delete(TENANT_A, 'a?b')).toBe(false);
  });

  it('keeps folder names with slashes and long source keys apart in the ledger and the error log', async () => {
    const longKey = 'k'.repeat(400);
    await store.ledger.put([ledgerEntry({ sourceKey: longKey, folder: 'A/B' }), ledgerEntry({ sourceKey: longKey, folder: 'A' })]);
    expect(await store.ledger.folderEntries(TENANT_A, 'item-1', 'A/B')).toHaveLength(1);
    expect(await store.ledger.countDone(TENANT_A, 'item-1')).toBe(2);
    await store.errors.put([errorRow({ sourceKey: longKey, folder: 'A/B' }), errorRow({ sourceKey: longKey, folder: 'A' })]);
    expect((await store.errors.list(TENANT_A, 'item-1', { folder: 'A/B' })).items).toHaveLength(1);
    await store.errors.remove(TENANT_A, 'item-1', 'A/B', [longKey]);
    expect((await store.errors.list(TENANT_A, 'item-1')).items.map((row) => row.folder)).toEqual(['A']);
  });

  it('keeps a pending ledger entry that was confirmed between the query and the delete', async () => {
    await store.ledger.put([ledgerEntry({ sourceKey: 'p1', state: 'pending' }), ledgerEntry({ sourceKey: 'p2', state: 'pending' })]);
    beforeRequest = async (request) => {
      if (request.operationType !== 'batch') return;
      beforeRequest = undefined;
      await store.ledger.put([ledgerEntry({ sourceKey: 'p1', state: 'done', destId: '7:99' })]);
    };
    await store.ledger.deletePending(TENANT_A, 'item-1', 'INBOX', ['p1', 'p2']);
    expect(await store.ledger.folderEntries(TENANT_A, 'item-1', 'INBOX')).toEqual([
      ledgerEntry({ sourceKey: 'p1', state: 'done', destId: '7:99' }),
    ]);
  });
});
