/**
 * The Store conformance suite: every Store adapter (SQLite today, Cosmos DB next) runs it.
 * `makeStore` returns a fresh, empty store for each test and a `cleanup` that disposes of it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../api/core/ports.js';
import { describeCollectionCases, describeWhereCases } from './store-collection-cases.js';
import { describeSyncCursorCases } from './store-cursor-cases.js';
import { describeErrorLogCases, describeLedgerCases } from './store-ledger-cases.js';
import { projectSpec, TENANT_A, TENANT_B } from './store-fixtures.js';

export interface StoreUnderTest {
  store: Store;
  cleanup(): Promise<void>;
}

export function describeStoreConformance(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`${name} conforms to the Store port`, () => {
    let current: StoreUnderTest | undefined;
    const store = (): Store => {
      if (!current) throw new Error('The store is used outside a test.');
      return current.store;
    };

    beforeEach(async () => {
      current = await makeStore();
    });
    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    describeCollectionCases(store);
    describeWhereCases(store);
    describeLedgerCases(store);
    describeErrorLogCases(store);
    describeSyncCursorCases(store);

    it('names each tenant that has projects once, for timer work', async () => {
      expect(await store().tenantIds()).toEqual([]);
      await store().projects.insert(projectSpec.make(TENANT_B, 'p1'));
      await store().projects.insert(projectSpec.make(TENANT_A, 'p2'));
      await store().projects.insert(projectSpec.make(TENANT_A, 'p3'));
      expect((await store().tenantIds()).sort()).toEqual([TENANT_A, TENANT_B].sort());
    });
  });
}
