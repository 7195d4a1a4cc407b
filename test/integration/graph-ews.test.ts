/**
 * Exchange on premises (the EWS test server, schema-checked) → Exchange Online over Graph (the
 * Graph test server, CSDL-checked) through the real engine: mail goes in as MIME through
 * importMime, byte for byte and not as drafts; contacts and calendar items, which MIME cannot
 * carry, become error rows that say so (whether Exchange Online imports an on-premises EWS export
 * stream is not confirmed by Microsoft, so it is off by default).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { sampleMessage } from '../support/dovecot.js';
import { seedItem, seedMessage } from '../support/ews/items.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';

describe('Exchange (EWS) → Exchange Online over Graph', () => {
  let fx: GraphMigrationFixture;
  const mails = [sampleMessage(1), sampleMessage(2, 20_000), sampleMessage(3, 0, 'Fish & Chips <à la carte>')];
  beforeAll(async () => {
    fx = await createGraphMigrationFixture({ source: 'ews', mailboxes: ['frank'] });
    const src = fx.sourceOf('frank');
    for (const m of mails) seedMessage(fx.ews!.store, src, 'inbox', m, { isRead: true });
    seedItem(fx.ews!.store, src, 'contacts', '<t:Contact><t:GivenName>Bob</t:GivenName></t:Contact>');
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
  });

  it('imports mail as received MIME byte for byte and reports what MIME cannot carry', async () => {
    const itemId = await fx.addItem('frank');
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'contacts'] });
    expect(pass.summary).toMatchObject({ copied: 3, failed: 1 });
    const inbox = fx.graph.read.items(fx.destinationOf('frank'), 'Inbox');
    expect(inbox.map((i) => i.mime!.toString('base64')).sort()).toEqual(mails.map((m) => m.toString('base64')).sort());
    for (const i of inbox) expect(i).toMatchObject({ origin: 'importMime', isDraft: false });
    const errors = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    expect(errors.items).toHaveLength(1);
    expect(errors.items[0]).toMatchObject({ folder: 'Contacts' });
    expect(errors.items[0]!.reason).toMatch(/as MIME only .* contacts items cannot be copied this way/);

    const again = await fx.runPass('full', [itemId], { itemTypes: ['mail'] });
    expect(again.summary).toMatchObject({ copied: 0 });
  }, 120_000);
});
