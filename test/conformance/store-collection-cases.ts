/**
 * Collection behaviour every Store adapter must show, run once per collection.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../api/core/errors.js';
import type { Doc, ItemStatus } from '../../api/core/model.js';
import type { Collection, Store } from '../../api/core/ports.js';
import { COLLECTION_SPECS, endpointSpec, itemSpec, passSpec, TENANT_A, TENANT_B, type CollectionSpec } from './store-fixtures.js';

async function listAll<T extends Doc>(collection: Collection<T>, tenantId: string, limit: number): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await collection.list(tenantId, { limit, cursor });
    pages.push(page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return pages;
}

export function describeCollectionCases(store: () => Store): void {
  for (const spec of COLLECTION_SPECS) {
    describe(`the ${spec.name} collection`, () => collectionCases(spec, store));
  }
}

function collectionCases(spec: CollectionSpec<Doc>, store: () => Store): void {
  let collection: Collection<Doc>;
  const text = spec.textField as keyof Doc;
  beforeEach(() => {
    collection = spec.of(store());
  });

  it('stores an inserted record at version 1 and returns it unchanged from get', async () => {
    const inserted = await collection.insert(spec.make(TENANT_A, 'r1'));
    expect(inserted.version).toBe(1);
    expect(await collection.get(TENANT_A, 'r1')).toEqual({ ...spec.make(TENANT_A, 'r1'), version: 1 });
  });

  it('refuses a second insert with the same id and keeps the first record', async () => {
    await collection.insert(spec.make(TENANT_A, 'r1', 'first'));
    await expect(collection.insert(spec.make(TENANT_A, 'r1', 'second'))).rejects.toBeInstanceOf(ConflictError);
    expect((await collection.get(TENANT_A, 'r1'))?.[text]).toBe('first');
  });

  it('keeps records of two tenants with the same id apart', async () => {
    await collection.insert(spec.make(TENANT_A, 'shared', 'of A'));
    await collection.insert(spec.make(TENANT_B, 'shared', 'of B'));
    expect((await collection.get(TENANT_A, 'shared'))?.[text]).toBe('of A');
    expect((await collection.get(TENANT_B, 'shared'))?.[text]).toBe('of B');
  });

  it('never returns a record through another tenant', async () => {
    await collection.insert(spec.make(TENANT_A, 'r1'));
    expect(await collection.get(TENANT_B, 'r1')).toBeUndefined();
    expect((await collection.list(TENANT_B)).items).toEqual([]);
    expect(await collection.count(TENANT_B)).toBe(0);
    expect((await collection.list(TENANT_B, { search: { text: 'r1', fields: [spec.textField] } })).items).toEqual([]);
  });

  it('bumps the version on replace and keeps the change', async () => {
    const inserted = await collection.insert(spec.make(TENANT_A, 'r1'));
    const replaced = await collection.replace({ ...inserted, [text]: 'changed' });
    expect(replaced.version).toBe(2);
    expect(await collection.get(TENANT_A, 'r1')).toEqual({ ...inserted, [text]: 'changed', version: 2 });
  });

  it('rejects a replace made from a stale version with ConflictError', async () => {
    const inserted = await collection.insert(spec.make(TENANT_A, 'r1'));
    await collection.replace({ ...inserted, [text]: 'first writer' });
    await expect(collection.replace({ ...inserted, [text]: 'second writer' })).rejects.toBeInstanceOf(ConflictError);
    expect((await collection.get(TENANT_A, 'r1'))?.[text]).toBe('first writer');
  });

  it('rejects a replace of a record that does not exist with NotFoundError', async () => {
    await expect(collection.replace({ ...spec.make(TENANT_A, 'ghost'), version: 1 })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("cannot replace another tenant's record", async () => {
    const inserted = await collection.insert(spec.make(TENANT_A, 'r1', 'original'));
    await expect(collection.replace({ ...inserted, tenantId: TENANT_B, [text]: 'hijacked' })).rejects.toBeInstanceOf(NotFoundError);
    expect(await collection.get(TENANT_A, 'r1')).toEqual(inserted);
  });

  it("deletes a record once, and never another tenant's", async () => {
    await collection.insert(spec.make(TENANT_A, 'r1'));
    expect(await collection.delete(TENANT_B, 'r1')).toBe(false);
    expect(await collection.get(TENANT_A, 'r1')).toBeDefined();
    expect(await collection.delete(TENANT_A, 'r1')).toBe(true);
    expect(await collection.delete(TENANT_A, 'r1')).toBe(false);
    expect(await collection.get(TENANT_A, 'r1')).toBeUndefined();
  });

  it('inserts a batch as a whole', async () => {
    const inserted = await collection.insertMany([spec.make(TENANT_A, 'b1'), spec.make(TENANT_A, 'b2')]);
    expect(inserted.map((doc) => doc.version)).toEqual([1, 1]);
    expect(await collection.count(TENANT_A)).toBe(2);
  });

  it('inserts nothing of a batch that repeats an id', async () => {
    const batch = [spec.make(TENANT_A, 'b1'), spec.make(TENANT_A, 'b2'), spec.make(TENANT_A, 'b1')];
    await expect(collection.insertMany(batch)).rejects.toBeInstanceOf(ConflictError);
    expect(await collection.count(TENANT_A)).toBe(0);
  });

  it('inserts nothing of a batch that collides with a stored record', async () => {
    await collection.insert(spec.make(TENANT_A, 'b3'));
    const batch = [spec.make(TENANT_A, 'b1'), spec.make(TENANT_A, 'b2'), spec.make(TENANT_A, 'b3')];
    await expect(collection.insertMany(batch)).rejects.toBeInstanceOf(ConflictError);
    expect(await collection.count(TENANT_A)).toBe(1);
  });

  it('lists in creation order, not id order, in pages that cover every record once', async () => {
    const ids = ['e', 'c', 'a', 'd', 'b'];
    for (const id of ids) await collection.insert(spec.make(TENANT_A, id));
    await collection.insert(spec.make(TENANT_B, 'other-tenant'));
    const pages = await listAll(collection, TENANT_A, 2);
    expect(pages.map((page) => page.map((doc) => doc.id))).toEqual([['e', 'c'], ['a', 'd'], ['b']]);
  });

  it('keeps a record replaced between pages in its creation position', async () => {
    for (const id of ['a', 'b', 'c']) await collection.insert(spec.make(TENANT_A, id));
    const first = await collection.list(TENANT_A, { limit: 2 });
    const a = await collection.get(TENANT_A, 'a');
    await collection.replace({ ...a!, [text]: 'touched' });
    const second = await collection.list(TENANT_A, { limit: 2, cursor: first.cursor });
    expect(second.items.map((doc) => doc.id)).toEqual(['c']);
  });

  it('searches named fields case-insensitively, page by page', async () => {
    const texts = ['ACME one', 'other', 'the acme two', 'nothing', 'AcMe three', 'acme four'];
    for (const [index, value] of texts.entries()) await collection.insert(spec.make(TENANT_A, `s${index}`, value));
    const search = { text: 'aCmE', fields: [spec.textField] };
    const first = await collection.list(TENANT_A, { search, limit: 2 });
    const second = await collection.list(TENANT_A, { search, limit: 2, cursor: first.cursor });
    expect(first.items.map((doc) => doc[text])).toEqual(['ACME one', 'the acme two']);
    expect(second.items.map((doc) => doc[text])).toEqual(['AcMe three', 'acme four']);
    expect(second.cursor).toBeUndefined();
  });

  it('counts only the calling tenant', async () => {
    await collection.insertMany([spec.make(TENANT_A, 'a1'), spec.make(TENANT_A, 'a2')]);
    await collection.insert(spec.make(TENANT_B, 'b1'));
    expect(await collection.count(TENANT_A)).toBe(2);
    expect(await collection.count(TENANT_B)).toBe(1);
  });
}

/** Equality filters on the indexed fields (`projectId`, `status`, `kind`). */
export function describeWhereCases(store: () => Store): void {
  describe('filters on indexed fields', () => {
    const item = (tenantId: string, id: string, projectId: string, status: ItemStatus) => ({
      ...itemSpec.make(tenantId, id),
      projectId,
      status,
    });

    beforeEach(async () => {
      await store().items.insertMany([
        item(TENANT_A, 'i1', 'p1', 'Not Started'),
        item(TENANT_A, 'i2', 'p1', 'Completed'),
        item(TENANT_A, 'i3', 'p2', 'Completed'),
        item(TENANT_A, 'i4', 'p1', 'Completed'),
      ]);
      await store().items.insert(item(TENANT_B, 'i5', 'p1', 'Completed'));
    });

    it('lists and counts items of one project and status, in creation order', async () => {
      const where = { projectId: 'p1', status: 'Completed' };
      expect((await store().items.list(TENANT_A, { where })).items.map((doc) => doc.id)).toEqual(['i2', 'i4']);
      expect(await store().items.count(TENANT_A, where)).toBe(2);
      expect(await store().items.count(TENANT_A, { projectId: 'p1' })).toBe(3);
    });

    it('pages through a filtered list', async () => {
      const first = await store().items.list(TENANT_A, { where: { projectId: 'p1' }, limit: 2 });
      const second = await store().items.list(TENANT_A, { where: { projectId: 'p1' }, limit: 2, cursor: first.cursor });
      expect([...first.items, ...second.items].map((doc) => doc.id)).toEqual(['i1', 'i2', 'i4']);
      expect(second.cursor).toBeUndefined();
    });

    it('follows a replace that changes a filtered field', async () => {
      const i1 = await store().items.get(TENANT_A, 'i1');
      await store().items.replace({ ...i1!, status: 'Completed' });
      expect(await store().items.count(TENANT_A, { status: 'Completed' })).toBe(4);
      expect(await store().items.count(TENANT_A, { status: 'Not Started' })).toBe(0);
    });

    it("never counts another tenant's records under the same filter", async () => {
      expect(await store().items.count(TENANT_B, { projectId: 'p1' })).toBe(1);
      expect((await store().items.list(TENANT_B, { where: { status: 'Completed' } })).items.map((doc) => doc.id)).toEqual(['i5']);
    });

    it('filters endpoints by kind and passes by project and kind', async () => {
      const endpoint = endpointSpec.make(TENANT_A, 'e1');
      await store().endpoints.insertMany([endpoint, { ...endpoint, id: 'e2', kind: 'm365' }]);
      const pass = passSpec.make(TENANT_A, 'ps1');
      await store().passes.insertMany([pass, { ...pass, id: 'ps2', kind: 'verify' }, { ...pass, id: 'ps3', projectId: 'p9' }]);
      expect((await store().endpoints.list(TENANT_A, { where: { kind: 'm365' } })).items.map((doc) => doc.id)).toEqual(['e2']);
      expect(await store().passes.count(TENANT_A, { projectId: 'project-1', kind: 'full' })).toBe(1);
    });
  });
}
