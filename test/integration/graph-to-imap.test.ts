/**
 * Exchange Online over Graph → IMAP (a real Dovecot) through the real engine: each mail item is
 * read as MIME (`messages/{id}/$value`) and lands byte for byte in the mapped folder; calendar
 * items, which IMAP cannot hold, become error rows saying so; a second full pass copies nothing.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { sampleMessage } from '../support/dovecot.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';
import { snapshotMailbox } from '../support/mailbox-snapshot.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('Exchange Online over Graph → IMAP', () => {
  let fx: GraphMigrationFixture;
  const inbox = [sampleMessage(1), sampleMessage(2, 50_000), sampleMessage(3, 0, 'Déjà vu & <co>')];
  const sent = [sampleMessage(10)];
  beforeAll(async () => {
    fx = await createGraphMigrationFixture({ source: 'graph', destination: 'dovecot', mailboxes: ['gina'] });
    const src = fx.sourceOf('gina');
    for (const m of inbox) fx.graph.seed.message(src, 'inbox', m);
    for (const m of sent) fx.graph.seed.message(src, 'sentitems', m);
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
    expect(snapshot.get('INBOX')!.map((m) => m.sha256).sort()).toEqual(inbox.map(sha).sort());
    expect([...snapshot.entries()].find(([path]) => /sent/i.test(path))?.[1].map((m) => m.sha256)).toEqual(sent.map(sha));
    const errors = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    expect(errors.items.map((e) => [e.folder, e.reason])).toEqual([['Calendar', expect.stringMatching(/IMAP destination holds only mail/)]]);
    const again = await fx.runPass('full', [itemId], { itemTypes: ['mail'] });
    expect(again.summary).toMatchObject({ copied: 0, failed: 0 });
  }, 120_000);
});
