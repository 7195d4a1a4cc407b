/**
 * A worker SIGKILLed while it copies what a delta link reported, then restarted (the worker runs
 * in a child process, as in graph-crash): the folder's cursor has not moved, so the restarted
 * worker follows the same delta link again, the ledger skips what was copied before the kill,
 * and the destination ends with every item exactly once. Then a full pass asks only deltas.
 * A cursor saved as soon as the delta was listed (before the copy) would lose every item the
 * killed worker had not copied yet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';
import { waitForPass } from '../support/migration-fixture.js';
import { COPY_GATE_ENV } from '../support/copy-gate.js';
import { startWorker as startWorkerIn, stopWorker, workerAtGate } from '../support/worker-child.js';

const FIRST = 40;
const NEW = 300;
/** The second pass's worker is killed once the destination confirmed this many of the new messages. */
const GATE = 60;
const FOLDER = 'Inbox/Archive';

describe('Exchange Online → Exchange Online over Graph: SIGKILL while copying a delta', () => {
  let fx: GraphMigrationFixture;
  beforeAll(async () => {
    fx = await createGraphMigrationFixture({ source: 'graph', mailboxes: ['delta'] });
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  });

  const startWorker = (env: NodeJS.ProcessEnv = {}) =>
    startWorkerIn(fx.dataDir, {
      NODE_EXTRA_CA_CERTS: fx.graph.tokenEndpoint.caFile,
      MAILFERRY_TEST_GRAPH_AUTHORITY_HOST: `https://${fx.graph.tokenEndpoint.host}`,
      ...env,
    });
  const startPass = async (itemId: string) =>
    (await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, { kind: 'full', itemIds: [itemId], itemTypes: ['mail'] })).pass;
  async function passInWorker(itemId: string) {
    const pass = await startPass(itemId);
    const worker = startWorker();
    try {
      return await waitForPass(fx.runtime, pass.id, 120_000);
    } finally {
      await stopWorker(worker);
    }
  }
  const cursorOf = async (itemId: string) => (await fx.runtime.store.cursors.get(LOCAL_TENANT, itemId, 'source', FOLDER))?.cursor;

  it('loses nothing and copies nothing twice when the worker dies between the copy and the cursor save', async () => {
    const src = fx.sourceOf('delta');
    const folder = fx.graph.seed.folder(src, { displayName: 'Archive', parent: 'inbox' });
    const message = (n: number) =>
      fx.graph.seed.message(src, folder, Buffer.from(`Subject: Delta ${n}\r\nMessage-ID: <d${n}@contoso.com>\r\n\r\n${'y'.repeat(n)}\r\n`));
    for (let n = 0; n < FIRST; n++) message(n);
    const itemId = await fx.addItem('delta');
    expect((await passInWorker(itemId)).summary).toMatchObject({ copied: FIRST, failed: 0 });
    const cursorBefore = await cursorOf(itemId);
    expect(cursorBefore).toBeDefined();

    for (let n = FIRST; n < FIRST + NEW; n++) message(n);
    const pass = await startPass(itemId);
    // Killed once this pass's worker has written GATE of the new messages (the Graph destination commits each write).
    const first = startWorker({ [COPY_GATE_ENV]: String(GATE) });
    expect(await workerAtGate(first)).toBe(GATE);
    await stopWorker(first, 'SIGKILL');
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBe(FIRST + GATE - 1);
    expect(await cursorOf(itemId)).toBe(cursorBefore); // not moved before everything it reported was copied

    const second = startWorker();
    try {
      const ended = await waitForPass(fx.runtime, pass.id, 120_000);
      expect(ended.summary).toMatchObject({ completed: 1, failedItems: 0, failed: 0 });
    } finally {
      await stopWorker(second);
    }
    const copies = fx.graph.read.items(fx.destinationOf('delta'), FOLDER).map((i) => i.data.toString('base64'));
    const originals = fx.graph.read.items(src, FOLDER).map((i) => i.data.toString('base64'));
    expect(copies).toHaveLength(FIRST + NEW);
    expect(new Set(copies).size).toBe(FIRST + NEW);
    expect(copies.sort()).toEqual(originals.sort());
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBe(FIRST + NEW);
    expect(await cursorOf(itemId)).not.toBe(cursorBefore);

    const mark = fx.graph.requestLog.length;
    expect((await passInWorker(itemId)).summary).toMatchObject({ copied: 0, failed: 0 });
    const reads = fx.graph.requestLog.slice(mark).filter((r) => r.route.endsWith('/items/delta') || r.route.endsWith('/items'));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((r) => r.mailbox === src && r.query.includes('$deltatoken'))).toBe(true);
  }, 240_000);
});
