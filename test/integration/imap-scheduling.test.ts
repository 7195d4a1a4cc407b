import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapConnector } from '../../api/connectors/imap/imap-connector.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage, type FillMessage } from '../support/dovecot.js';
import { CopyGate } from '../support/copy-gate.js';
import { FlakyConnector } from '../support/flaky-connector.js';
import { countsOf, snapshotMailbox } from '../support/mailbox-snapshot.js';
import { createMigrationFixture, waitForPass, type MigrationFixture } from '../support/migration-fixture.js';

const bulk = (prefix: string, count: number): FillMessage[] =>
  Array.from({ length: count }, (_, i) => ({
    raw: sampleMessage(i, 1_200, `${prefix} ${i}`),
    internalDate: new Date(Date.UTC(2025, 2, 1 + (i % 28))),
  }));

describe('scheduling, shutdown and throttling', () => {
  let fx: MigrationFixture;

  beforeAll(async () => {
    fx = await createMigrationFixture({ mailboxes: ['later', 'shutdown', 'storm'] });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('holds a pass scheduled with "start at" as Submitted until its time, then runs it', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('later');
    await fillMailbox(fx.source, sourceUser, 'INBOX', bulk('later', 5));
    const startAt = new Date(Date.now() + 5_000);
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, {
      kind: 'full',
      itemIds: [itemId],
      itemTypes: ['mail'],
      startAt: startAt.toISOString(),
    });
    fx.runtime.startWorkers();
    await fx.runtime.tick(); // a scheduler round before the start time leaves it waiting
    expect((await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId)).status).toBe('Submitted');
    expect(countsOf(await snapshotMailbox(fx.destination, destUser)).INBOX ?? 0).toBe(0);
    const ended = await waitForPass(fx.runtime, pass.id);
    expect(ended.summary?.copied).toBe(5);
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(Date.parse(item.lastRun!.startedAt!)).toBeGreaterThanOrEqual(startAt.getTime());
  });

  it('releases a running job on shutdown (Ctrl-C) and finishes it exactly after the next start', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('shutdown');
    await fillMailbox(fx.source, sourceUser, 'INBOX', bulk('shutdown', 2500));
    // Ctrl-C arrives while the worker holds after 200 writes: the job is surely mid-copy.
    const gate = new CopyGate(200);
    await fx.reopen({ imap: gate.wrap(new ImapConnector()) });
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, {
      kind: 'full',
      itemIds: [itemId],
      itemTypes: ['mail'],
    });
    fx.runtime.startWorkers();
    await gate.reached;
    const restarted = fx.reopen(); // aborts the running job, then waits for it
    gate.release();
    await restarted;
    const paused = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(paused.status).toBe('Queued');
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBeLessThan(2500);

    fx.runtime.startWorkers();
    const ended = await waitForPass(fx.runtime, pass.id);
    expect(ended.summary).toMatchObject({ completed: 1, failed: 0 });
    const source = await snapshotMailbox(fx.source, sourceUser);
    expect((await snapshotMailbox(fx.destination, destUser)).get('INBOX')).toEqual(source.get('INBOX'));
  });

  it('rides out a throttling storm (every third write refused with a back-off) and loses nothing', async () => {
    const storm = new FlakyConnector(new ImapConnector(), (_ref, attempt) => attempt % 3 === 0, 'throttle', 20);
    await fx.reopen({ imap: storm });
    const { itemId, sourceUser, destUser } = await fx.addMailbox('storm');
    await fillMailbox(fx.source, sourceUser, 'INBOX', bulk('storm', 30));
    await fillMailbox(fx.source, sourceUser, 'Projects', bulk('storm-projects', 12));
    const pass = await fx.runPass('full', [itemId]);
    expect(storm.throttled).toBeGreaterThan(10);
    expect(pass.summary).toMatchObject({ completed: 1, copied: 42, failed: 0 });
    const source = await snapshotMailbox(fx.source, sourceUser);
    const dest = await snapshotMailbox(fx.destination, destUser);
    expect(dest.get('INBOX')).toEqual(source.get('INBOX'));
    expect(dest.get('Projects')).toEqual(source.get('Projects'));
    await fx.reopen();
  });
});
