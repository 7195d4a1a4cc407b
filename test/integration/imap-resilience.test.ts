import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConnector } from '../../api/connectors/imap/imap-connector.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage, type FillMessage } from '../support/dovecot.js';
import { FlakyConnector } from '../support/flaky-connector.js';
import { countsOf, expectIdentical, snapshotMailbox } from '../support/mailbox-snapshot.js';
import { startWorker } from '../support/worker-child.js';
import { waitUntil } from '../support/wait-until.js';
import { createMigrationFixture, waitForPass, type MigrationFixture } from '../support/migration-fixture.js';

const bulk = (prefix: string, count: number, size = 1_500): FillMessage[] =>
  Array.from({ length: count }, (_, i) => ({ raw: sampleMessage(i, size, `${prefix} ${i}`), flags: i % 2 ? ['\\Seen'] : [], internalDate: new Date(Date.UTC(2024, 0, 1 + (i % 28))) }));

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
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, { kind: 'full', itemIds: [itemId], itemTypes: ['mail'] });

    const first = startWorker(fx.dataDir);
    await waitUntil('the worker to copy more than 300 messages', async () => (await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)) > 300);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const copiedBeforeCrash = await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId);
    expect(copiedBeforeCrash).toBeLessThan(2300);

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
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, { kind: 'full', itemIds: [itemId], itemTypes: ['mail'] });
    fx.runtime.startWorkers();
    await waitUntil('the worker to copy more than 200 messages', async () => (await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)) > 200);
    await fx.destination.restart();
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
    expect((await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId)).statistics).toMatchObject({ messagesAtDestination: 15, currentErrors: 5 });
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

    await expect(fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, { kind: 'retry-errors', itemIds: [itemId], itemTypes: ['mail'] }))
      .rejects.toThrow(/Retry Errors needs the item's last pass to have completed with at least one error/);
    await fx.reopen();
  });

  it('copies a 40 MB message byte for byte', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('big');
    await fillMailbox(fx.source, sourceUser, 'INBOX', [{ raw: sampleMessage(1, 40 * 1024 * 1024, 'forty megabytes'), internalDate: new Date(Date.UTC(2023, 5, 1)) }]);
    const pass = await fx.runPass('full', [itemId]);
    expect(pass.summary).toMatchObject({ completed: 1, copied: 1 });
    expect(pass.summary!.bytes).toBeGreaterThan(40 * 1024 * 1024);
    await expectIdentical(fx, sourceUser, destUser, { INBOX: 'INBOX' });
  });

  it('stops a running pass on request, and the next full pass copies the rest without duplicates', async () => {
    // Writes slowed to ~3 ms each so the pass is surely still running when the stop arrives.
    await fx.reopen({ imap: new FlakyConnector(new ImapConnector(), () => false, 'reject', 0, 3) });
    const { itemId, sourceUser, destUser } = await fx.addMailbox('stop');
    await fillMailbox(fx.source, sourceUser, 'INBOX', bulk('stop', 3000));
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, { kind: 'full', itemIds: [itemId], itemTypes: ['mail'] });
    fx.runtime.startWorkers();
    await waitUntil('the worker to copy more than 100 messages', async () => (await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)) > 100);
    await fx.runtime.services.passes.stopPass(LOCAL_TENANT, pass.id);
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

