/**
 * A worker SIGKILLed in the middle of an Exchange Online → Exchange Online pass over Graph, then
 * restarted (the worker runs in a child process, as in imap-resilience and ews-resilience): the
 * destination ends with every source item exactly once, byte for byte, and the ledger counts them
 * all. Graph import carries no marker, so the Graph destination commits each write at once and
 * recovery pairs the writes that were in flight by size among the items created since the folder
 * was opened (docs/endpoints.md: "Crash safety over Graph"). Sizes here repeat in threes (base64 grows in
 * steps of 4 bytes), which mispaired in-flight items until two of one size were kept from flight together.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';
import { waitForPass } from '../support/migration-fixture.js';
import { COPY_GATE_ENV } from '../support/copy-gate.js';
import { startWorker as startWorkerIn, stopWorker, workerAtGate } from '../support/worker-child.js';

const ITEMS = 400;
/** The first worker is killed once the destination confirmed this many writes. */
const GATE = 80;

describe('Exchange Online → Exchange Online over Graph: SIGKILL and resume', () => {
  let fx: GraphMigrationFixture;
  beforeAll(async () => {
    fx = await createGraphMigrationFixture({ source: 'graph', mailboxes: ['crash'] });
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

  it('leaves every item exactly once, byte for byte, after a worker is killed mid-pass', async () => {
    const src = fx.sourceOf('crash');
    const folder = fx.graph.seed.folder(src, { displayName: 'Archive', parent: 'inbox' });
    for (let n = 0; n < ITEMS; n++)
      fx.graph.seed.message(src, folder, Buffer.from(`Subject: Crash ${n}\r\nMessage-ID: <c${n}@contoso.com>\r\n\r\n${'x'.repeat(n)}\r\n`));
    const itemId = await fx.addItem('crash');
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, {
      kind: 'full',
      itemIds: [itemId],
      itemTypes: ['mail'],
    });

    const first = startWorker({ [COPY_GATE_ENV]: String(GATE) });
    expect(await workerAtGate(first)).toBe(GATE);
    await stopWorker(first, 'SIGKILL');
    // The Graph destination commits each write: every confirmed write but the one held at the gate is in the ledger.
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBe(GATE - 1);
    expect(fx.graph.read.items(fx.destinationOf('crash'), 'Inbox/Archive').length).toBeGreaterThanOrEqual(GATE);

    const second = startWorker();
    try {
      const ended = await waitForPass(fx.runtime, pass.id, 120_000);
      expect(ended.summary).toMatchObject({ completed: 1, failedItems: 0, failed: 0 });
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    const copies = fx.graph.read.items(fx.destinationOf('crash'), 'Inbox/Archive').map((i) => i.data.toString('base64'));
    const originals = fx.graph.read.items(src, 'Inbox/Archive').map((i) => i.data.toString('base64'));
    expect(copies).toHaveLength(ITEMS);
    expect(new Set(copies).size).toBe(ITEMS);
    expect(copies.sort()).toEqual(originals.sort());
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBe(ITEMS);
  }, 180_000);
});
