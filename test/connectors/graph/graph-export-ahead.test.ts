/**
 * readMessages for a Graph source asks for the next exportItems batch only once what is left of
 * the current one, not yet taken by the engine, is EXPORT_AHEAD_BYTES or less: a consumer that
 * stops taking (a throttled destination, a spent budget window) makes no export happen meanwhile.
 * A stub transport answers exportItems; nothing here waits on time.
 */
import { describe, expect, it } from 'vitest';
import type { GraphContext } from '../../../api/connectors/graph/context.js';
import { EXPORT_AHEAD_BYTES, exportBatches, readMessages } from '../../../api/connectors/graph/export-items.js';
import type { MessageRef } from '../../../api/core/connector.js';

function ref(i: number, size = 0): MessageRef {
  return { key: `id-${i}`, uid: i, size, internalDate: 0, flags: [], itemType: 'mail' };
}

/** A context whose transport answers exportItems with `bytesPerItem` of base64 per item and counts the requests. */
function stubContext(bytesPerItem: (id: string) => number) {
  const asked: string[][] = [];
  const ctx = {
    mailbox: 'a@contoso.com',
    mailboxId: 'MBX:a',
    limits: { exportBatch: 4, exportBatchBytes: 1024 * 1024 * 1024, pageSize: 1000, sessionMarginMs: 0 },
    now: () => 0,
    transport: {
      send: async (request: { json: { ItemIds: string[] } }) => {
        const ids = request.json.ItemIds;
        asked.push(ids);
        const value = ids.map((id) => ({ itemId: id, changeKey: 'ck', data: 'QUJD'.repeat(bytesPerItem(id) / 4) }));
        return { status: 200, headers: {}, body: Buffer.from(JSON.stringify({ value })) };
      },
    },
  } as unknown as GraphContext;
  return { ctx, asked };
}

describe('Graph export read-ahead', () => {
  it('asks for the next batch only when the rest of the current one is small, and hands back every item in order', async () => {
    const big = EXPORT_AHEAD_BYTES / 2; // each item half the bound: two left of a batch are at the bound
    const { ctx, asked } = stubContext(() => big);
    const refs = Array.from({ length: 10 }, (_, i) => ref(i));
    const reader = readMessages(ctx, refs, { formats: ['graph-export'] });
    const first = await reader.next();
    expect(first.value).toMatchObject({ ref: { key: 'id-0' }, format: 'graph-export' });
    // Three items of the first batch (1.5× the bound) are left while the engine takes nothing more: no second export.
    expect(asked).toHaveLength(1);
    await reader.next(); // id-1 is handed out with two left, at the bound: the second batch asked for
    expect(asked.map((ids) => ids.length)).toEqual([4, 4]);
    const keys = ['id-0', 'id-1'];
    for await (const item of reader) {
      expect('content' in item && item.content).toBeInstanceOf(Buffer);
      keys.push(item.ref.key);
    }
    expect(keys).toEqual(refs.map((r) => r.key));
    expect(asked.map((ids) => ids.length)).toEqual([4, 4, 2]);
  });

  it('keeps one batch ahead when batches are small', async () => {
    const { ctx, asked } = stubContext(() => 1024);
    const refs = Array.from({ length: 9 }, (_, i) => ref(i));
    const reader = readMessages(ctx, refs, { formats: ['graph-export'] });
    await reader.next();
    expect(asked).toHaveLength(2);
    const keys = [];
    for await (const item of reader) keys.push(item.ref.key);
    expect(keys).toHaveLength(8);
    expect(asked.map((ids) => ids.length)).toEqual([4, 4, 1]);
  });
});

describe('Graph export batches', () => {
  const MB = 1024 * 1024;
  const sizesOf = (batches: MessageRef[][]) => batches.map((b) => b.map((r) => r.size));

  it('hold at most 20 items and 4 MB of them by listed size, in order; an item larger than that goes alone', () => {
    const limits = { exportBatch: 20, exportBatchBytes: 4 * MB };
    const small = Array.from({ length: 45 }, (_, i) => ref(i, 10_000));
    expect(exportBatches(small, limits).map((b) => b.length)).toEqual([20, 20, 5]);
    const mixed = [ref(0, MB), ref(1, MB), ref(2, MB), ref(3, MB), ref(4, 1), ref(5, 9 * MB), ref(6, 3 * MB), ref(7, 2 * MB)];
    const batches = exportBatches(mixed, limits);
    expect(sizesOf(batches)).toEqual([[MB, MB, MB, MB], [1], [9 * MB], [3 * MB], [2 * MB]]);
    expect(batches.flat()).toEqual(mixed);
    expect(exportBatches([], limits)).toEqual([]);
  });
});
