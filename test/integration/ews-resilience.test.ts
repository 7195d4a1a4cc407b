/**
 * Throttling storms and crashes with an EWS side, through the real engine: the EWS test servers
 * live in this process; in the crash test the runtime's worker runs in a child process that is
 * SIGKILLed mid-pass and restarted (like imap-resilience.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { fillMailbox, sampleMessage, type FillMessage } from '../support/dovecot.js';
import {
  createEwsMigrationFixture,
  expectExactlyOnce,
  folderCounts,
  itemsAt,
  markerOf,
  seedMail,
  type EwsMigrationFixture,
} from '../support/ews-migration-fixture.js';
import { COPY_GATE_ENV } from '../support/copy-gate.js';
import { startWorker, stopWorker, workerAtGate } from '../support/worker-child.js';
import { waitForPass } from '../support/migration-fixture.js';

/** The first worker is killed once the destination confirmed this many writes. */
const GATE = 250;

describe('Exchange to Exchange in a throttling storm', () => {
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({ source: { ews: {} }, destination: { ews: {} } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('completes with nothing lost and nothing duplicated while every third call on both sides is ErrorServerBusy', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('storm');
    const inbox = seedMail(fx, sourceUser, 'inbox', 240, 'storm inbox');
    const sent = seedMail(fx, sourceUser, 'sentitems', 60, 'storm sent');
    const src = fx.source.ews!.throttle;
    const dst = fx.destination.ews!.throttle;
    // The source answers "busy" with SOAP faults, the destination inside HTTP 200 response
    // messages (UploadItems, and UpdateItem whose error messages carry the m:Items the schema wants).
    src.serverBusyEvery(3, 15, 'fault');
    dst.serverBusyEvery(3, 15, 'message');
    try {
      const pass = await fx.runPass('full', [itemId]);
      expect(pass.summary).toMatchObject({ completed: 1, copied: 300, failed: 0 });
    } finally {
      src.reset();
      dst.reset();
    }
    // The storm happened on both sides, as faults and as per-item response messages.
    expect(src.counters.serverBusy).toBeGreaterThan(3);
    expect(dst.counters.serverBusy).toBeGreaterThan(3);
    expect(src.counters.serverBusy).toBe(Math.floor(src.counters.calls / 3));
    const dstServer = fx.destination.ews!;
    expectExactlyOnce(
      itemsAt(dstServer, destUser, 'Inbox'),
      inbox.map((i) => i.id),
    );
    expectExactlyOnce(
      itemsAt(dstServer, destUser, 'Sent Items'),
      sent.map((i) => i.id),
    );
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item.status).toBe('Completed');
    expect((await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId)).items).toHaveLength(0);
  });
});

describe('a worker killed mid-pass with an EWS destination', () => {
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({ source: { dovecot: {} }, destination: { ews: {} } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('IMAP → EWS: resumes after SIGKILL with exact counts and every marker once', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('crash');
    const bulk = (prefix: string, count: number): FillMessage[] =>
      Array.from({ length: count }, (_, i) => ({
        raw: sampleMessage(i, 1_500, `${prefix} ${i}`),
        flags: i % 2 ? ['\\Seen'] : [],
        internalDate: new Date(Date.UTC(2024, 0, 1 + (i % 28), 0, i % 60)),
      }));
    await fillMailbox(fx.source.dovecot!, sourceUser, 'INBOX', bulk('inbox', 1200));
    await fillMailbox(fx.source.dovecot!, sourceUser, 'Work', bulk('work', 400));
    const server = fx.destination.ews!;
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, {
      kind: 'full',
      itemIds: [itemId],
      itemTypes: ['mail'],
    });

    // Killed at a known point: the destination confirmed GATE writes, the last of them not yet in the ledger.
    const first = startWorker(fx.dataDir, { [COPY_GATE_ENV]: String(GATE) });
    expect(await workerAtGate(first)).toBe(GATE);
    await stopWorker(first, 'SIGKILL');
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBeLessThan(GATE);
    expect(Object.values(folderCounts(server, destUser)).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(GATE);

    const second = startWorker(fx.dataDir);
    try {
      const ended = await waitForPass(fx.runtime, pass.id, 120_000);
      expect(ended.summary).toMatchObject({ completed: 1, failed: 0 });
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    expect(folderCounts(server, destUser)).toMatchObject({ Inbox: 1200, Work: 400 });
    const inbox = itemsAt(server, destUser, 'Inbox');
    const work = itemsAt(server, destUser, 'Work');
    for (const copies of [inbox, work]) {
      const markers = copies.map(markerOf);
      expect(markers.filter((m) => m === undefined)).toHaveLength(0);
      expect(new Set(markers).size).toBe(copies.length);
    }
    // Source keys are UIDVALIDITY:UID; every source UID appears exactly once.
    expect(new Set(inbox.map((i) => Number(markerOf(i)!.split(':')[1]))).size).toBe(1200);
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBe(1600);
  });
});

describe('a worker killed mid-pass between two Exchange servers', () => {
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({ source: { ews: {} }, destination: { ews: {} } });
  });
  afterAll(async () => {
    await fx?.close();
  });

  // UploadItems cannot carry the MailferrySourceKey marker, so it follows in an UpdateItem; the
  // uploads in flight when the worker is killed are stored unmarked. Recovery lists the folder's
  // unmarked items too, pairs them with pending rows by size and received date, and marks them,
  // so every copy ends up marked exactly once.
  it('EWS → EWS (ExportItems/UploadItems): resumes after SIGKILL with every source item exactly once', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('crash2');
    const inbox = seedMail(fx, sourceUser, 'inbox', 1500, 'crash inbox');
    const server = fx.destination.ews!;
    const { pass } = await fx.runtime.services.passes.startPass(LOCAL_TENANT, fx.projectId, {
      kind: 'full',
      itemIds: [itemId],
      itemTypes: ['mail'],
    });
    const first = startWorker(fx.dataDir, { [COPY_GATE_ENV]: String(GATE) });
    expect(await workerAtGate(first)).toBe(GATE);
    await stopWorker(first, 'SIGKILL');
    expect(await fx.runtime.store.ledger.countDone(LOCAL_TENANT, itemId)).toBeLessThan(GATE);
    const second = startWorker(fx.dataDir);
    try {
      const ended = await waitForPass(fx.runtime, pass.id, 120_000);
      expect(ended.summary).toMatchObject({ completed: 1, failed: 0 });
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    expectExactlyOnce(
      itemsAt(server, destUser, 'Inbox'),
      inbox.map((i) => i.id),
    );
  });
});
