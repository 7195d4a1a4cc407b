/**
 * Exchange Online over Graph → IMAP (a real Dovecot) through the real engine: each mail item is
 * read as MIME (`messages/{id}/$value`) and lands byte for byte in the mapped folder, with the
 * time it was delivered at the source as its internal date (not its Date header); calendar
 * items, which IMAP cannot hold, become error rows saying so; a second full pass copies nothing.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { sampleMessage } from '../support/dovecot.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';
import { snapshotMailbox } from '../support/mailbox-snapshot.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** When the Sent message reached the source mailbox; its Date header says 2024-01-01T10:00:00Z. */
const SENT_RECEIVED = '2024-01-05T06:07:08.000Z';

describe('Exchange Online over Graph → IMAP', () => {
  let fx: GraphMigrationFixture;
  const inbox = [sampleMessage(1), sampleMessage(2, 50_000), sampleMessage(3, 0, 'Déjà vu & <co>')];
  const sent = [sampleMessage(10)];
  beforeAll(async () => {
    fx = await createGraphMigrationFixture({ source: 'graph', destination: 'dovecot', mailboxes: ['gina'] });
    const src = fx.sourceOf('gina');
    for (const m of inbox) fx.graph.seed.message(src, 'inbox', m);
    for (const m of sent) fx.graph.seed.message(src, 'sentitems', m, { receivedDateTime: SENT_RECEIVED });
    fx.graph.seed.item(src, 'calendar', { type: 'IPM.Appointment', subject: 'Weekly' });
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  });

  it('copies mail as MIME byte for byte, reports calendar items, and copies nothing the second time', async () => {
    const itemId = await fx.addItem('gina');
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'calendar'] });
    expect(pass.summary).toMatchObject({ copied: 4, failed: 1 });
    const snapshot = await snapshotMailbox(fx.dovecot!, fx.destinationOf('gina'));
    expect(
      snapshot
        .get('INBOX')!
        .map((m) => m.sha256)
        .sort(),
    ).toEqual(inbox.map(sha).sort());
    const sentCopies = [...snapshot.entries()].find(([path]) => /sent/i.test(path))?.[1];
    expect(sentCopies?.map((m) => m.sha256)).toEqual(sent.map(sha));
    expect(sentCopies?.map((m) => new Date(m.internalDate).toISOString())).toEqual([SENT_RECEIVED]);
    const errors = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    expect(errors.items.map((e) => [e.folder, e.reason])).toEqual([
      ['Calendar', expect.stringMatching(/IMAP destination holds only mail/)],
    ]);
    const again = await fx.runPass('full', [itemId], { itemTypes: ['mail'] });
    expect(again.summary).toMatchObject({ copied: 0, failed: 0 });
  }, 120_000);
});
