import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConnector } from '../../api/connectors/imap/imap-connector.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage, type FillMessage } from '../support/dovecot.js';
import { FlakyConnector } from '../support/flaky-connector.js';
import { countsOf, expectIdentical, snapshotMailbox } from '../support/mailbox-snapshot.js';
import { COPY_GATE_ENV, CopyGate } from '../support/copy-gate.js';
import { startWorker, stopWorker, workerAtGate } from '../support/worker-child.js';
import { createMigrationFixture, waitForPass, type MigrationFixture } from '../support/migration-fixture.js';

const bulk = (prefix: string, count: number, size = 1_500): FillMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    raw: sampleMessage(i, size, `${prefix} ${i}`),
    flags: i % 2 ? ['\\Seen'] : [],
    internalDate: new Date(Date.UTC(2024, 0, 1 + (i % 28))),
  }));

describe('a pass survives crashes, restarts and refusals without losing or duplicating a message', () => {
  let fx: MigrationFixture;
  const flaky = new FlakyConnector(new ImapConnector(), (ref) => ref.uid % 4 === 0);

  beforeAll(async () => {
    fx = await createMigrationFixture({ mailboxes: ['crash', 'restart', 'retry', 'big', 'stop', 'limits'] });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('finishes with exact per-folder counts after the worker process is SIGKILLed mid-pass and restarted', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('crash');
    await fillMailbox(fx.source, sourceUser, 'INBOX', bulk('inbox', 1500));
    await fillMailbox(fx.source, sourceUser, 'Work/Reports', bulk('reports', 800));
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, {
      kind: 'full',
      itemIds: [itemId],
      itemTypes: ['mail'],
    });

    // Killed at a known point: the destination confirmed GATE writes, the last of them not yet in the ledger.
    const GATE = 300;
    const first = startWorker(fx.dataDir, { [COPY_GATE_ENV]: String(GATE) });
    expect(await workerAtGate(first)).toBe(GATE);
    await stopWorker(first, 'SIGKILL');
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBeLessThan(GATE);
    const atDestination = Object.values(countsOf(await snapshotMailbox(fx.destination, destUser))).reduce((a, b) => a + b, 0);
    expect(atDestination).toBeGreaterThanOrEqual(GATE);

    const second = startWorker(fx.dataDir);
    try {
      const ended = await waitForPass(fx.runtime, pass.id);
      expect(ended.summary?.completed).toBe(1);
    } finally {
      second.kill('SIGTERM');
    }
    expect(countsOf(await snapshotMailbox(fx.destination, destUser))).toMatchObject({ INBOX: 1500, 'Work.Reports': 800 });
    await expectIdentical(fx, sourceUser, destUser, { INBOX: 'INBOX', 'Work/Reports': 'Work.Reports' });
  });

  it('reconnects and resumes when the destination server restarts mid-pass', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('restart');
    await fillMailbox(fx.source, sourceUser, 'INBOX', bulk('restart', 2000));
    // The restart happens while the worker holds at a known point: 200 writes confirmed, more in flight.
    const gate = new CopyGate(200);
    await fx.reopen({ imap: gate.wrap(new ImapConnector()) });
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, {
      kind: 'full',
      itemIds: [itemId],
      itemTypes: ['mail'],
    });
    fx.runtime.startWorkers();
    expect(await gate.reached).toBe(200);
    await fx.destination.restart();
    gate.release();
    const ended = await waitForPass(fx.runtime, pass.id);
    expect(ended.summary).toMatchObject({ completed: 1, copied: 2000, failed: 0 });
    await expectIdentical(fx, sourceUser, destUser, { INBOX: 'INBOX' });
  });

  it('records refused messages in the error log, and retry-errors copies exactly those and clears the log', async () => {
    await fx.reopen({ imap: flaky });
    const { itemId, sourceUser, destUser } = await fx.addMailbox('retry');
    await fillMailbox(fx.source, sourceUser, 'INBOX', bulk('retry', 20));
    const full = await fx.runPass('full', [itemId]);
    expect(full.summary).toMatchObject({ completedWithErrors: 1, copied: 15, failed: 5 });
    expect((await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId)).statistics).toMatchObject({
      messagesAtDestination: 15,
      currentErrors: 5,
    });
    const log = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    expect(log.items).toHaveLength(5);
    expect(log.items[0]).toMatchObject({ folder: 'INBOX', code: 'rejected', reason: expect.stringContaining('Injected failure') });

    flaky.failing = false;
    const retry = await fx.runPass('retry-errors', [itemId]);
    expect(retry.summary).toMatchObject({ completed: 1, copied: 5, failed: 0 });
    expect((await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId)).items).toHaveLength(0);
    await expectIdentical(fx, sourceUser, destUser, { INBOX: 'INBOX' });
    // What the grid shows: now, not added up over passes (issue 14 #5).
    const now = (await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId)).statistics;
    expect(now).toMatchObject({ failed: 5, messagesAtDestination: 20, currentErrors: 0 });

    await expect(
      fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, { kind: 'retry-errors', itemIds: [itemId], itemTypes: ['mail'] }),
    ).rejects.toThrow(/Retry Errors needs the item's last pass to have completed with at least one error/);
    await fx.reopen();
  });

  it('copies a 40 MB message byte for byte', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('big');
    await fillMailbox(fx.source, sourceUser, 'INBOX', [
      { raw: sampleMessage(1, 40 * 1024 * 1024, 'forty megabytes'), internalDate: new Date(Date.UTC(2023, 5, 1)) },
    ]);
    const pass = await fx.runPass('full', [itemId]);
    expect(pass.summary).toMatchObject({ completed: 1, copied: 1 });
    expect(pass.summary!.bytes).toBeGreaterThan(40 * 1024 * 1024);
    await expectIdentical(fx, sourceUser, destUser, { INBOX: 'INBOX' });
    await fx.reopen();
  });

  it('stops a running pass on request, and the next full pass copies the rest without duplicates', async () => {
    // The stop arrives while the worker holds after 100 writes: the pass is surely still running.
    const gate = new CopyGate(100);
    await fx.reopen({ imap: gate.wrap(new ImapConnector()) });
    const { itemId, sourceUser, destUser } = await fx.addMailbox('stop');
    await fillMailbox(fx.source, sourceUser, 'INBOX', bulk('stop', 3000));
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, {
      kind: 'full',
      itemIds: [itemId],
      itemTypes: ['mail'],
    });
    fx.runtime.startWorkers();
    await gate.reached;
    await fx.runtime.services.passes.stopPass(LOCAL_TENANT, pass.id);
    gate.release();
    const stopped = await waitForPass(fx.runtime, pass.id);
    expect(stopped.status).toBe('stopped');
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item.status).toBe('Stopped');
    expect(item.lastRun!.copied).toBeLessThan(3000);

    await fx.reopen();
    const rest = await fx.runPass('full', [itemId]);
    expect(rest.summary!.copied + item.lastRun!.copied).toBeGreaterThanOrEqual(3000);
    await expectIdentical(fx, sourceUser, destUser, { INBOX: 'INBOX' });
  });

  it('turns oversize messages into error rows and fails the item once MaxErrors is exceeded', async () => {
    const { itemId, sourceUser } = await fx.addMailbox('limits');
    await fillMailbox(fx.source, sourceUser, 'INBOX', [...bulk('small', 3, 1_000), ...bulk('large', 4, 50_000)]);
    await fx.runtime.services.items.updateItem(LOCAL_TENANT, itemId, { options: ['MaxItemSizeBytes=20000', 'MaxErrors=2'] });
    await fx.runPass('full', [itemId]);
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item.status).toBe('Failed');
    expect(item.lastRun?.reason).toMatch(/More than MaxErrors=2 items failed/);
    const log = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    expect(log.items.length).toBeGreaterThanOrEqual(3);
    expect(log.items[0]).toMatchObject({ code: 'too-large', reason: expect.stringMatching(/over MaxItemSizeBytes=20000/) });
  });
});
