/**
 * Inbox rules and automatic replies over Microsoft Graph through the real engine and connector
 * and the Graph test server (CSDL-checked messageRule and mailboxSettings bodies): Exchange
 * Online → Exchange Online copies them, a rule's folder re-pointed to the folder's copy; folder
 * permissions, which Graph's mailbox API does not carry, and settings read over EWS from Exchange
 * on premises, are error rows naming them; a second pass writes nothing twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { sampleMessage } from '../support/dovecot.js';
import { seedMessage as seedEwsMessage } from '../support/ews/items.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';
import { settingsOf } from '../support/graph/routes-settings.js';

const SETTINGS_FOLDER = '(mailbox settings)';

describe('mailbox settings over Microsoft Graph', () => {
  const fixtures: GraphMigrationFixture[] = [];
  afterAll(async () => {
    for (const fx of fixtures) await fx.close();
  });

  it('copies inbox rules (re-pointing their folder) and automatic replies between Exchange Online mailboxes; permissions are an error row; a second pass writes nothing twice', async () => {
    const fx = await createGraphMigrationFixture({ source: 'graph', mailboxes: ['rita'] });
    fixtures.push(fx);
    const src = fx.sourceOf('rita');
    const invoices = fx.graph.seed.folder(src, { parent: 'inbox', displayName: 'Invoices' });
    fx.graph.seed.message(src, invoices, sampleMessage(1));
    const source = settingsOf(fx.graph.store.mailbox(src));
    source.rules.push(
      { id: 'r1', displayName: 'Invoices', sequence: 1, isEnabled: true, hasError: false, isReadOnly: false,
        conditions: { subjectContains: ['Invoice'] }, actions: { moveToFolder: invoices, stopProcessingRules: true } },
      { id: 'r2', displayName: 'Newsletters read', sequence: 2, isEnabled: false, hasError: false, isReadOnly: false,
        conditions: { senderContains: ['news@'] }, actions: { markAsRead: true } },
    );
    source.automaticRepliesSetting = { status: 'alwaysEnabled', externalAudience: 'contactsOnly', internalReplyMessage: 'Away until Monday', externalReplyMessage: 'Away' };

    const itemId = await fx.addItem('rita');
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'rules', 'permissions'] });
    expect(pass.summary).toMatchObject({ copied: 1 + 3, failed: 1 });
    const dst = settingsOf(fx.graph.store.mailbox(fx.destinationOf('rita')));
    const copiedInvoices = fx.graph.read.folder(fx.destinationOf('rita'), 'Inbox/Invoices')!.id;
    expect(copiedInvoices).not.toBe(invoices);
    expect(dst.rules.map(({ id: _id, ...rule }) => rule)).toEqual([
      { displayName: 'Invoices', sequence: 1, isEnabled: true, conditions: { subjectContains: ['Invoice'] }, actions: { moveToFolder: copiedInvoices, stopProcessingRules: true }, hasError: false, isReadOnly: false },
      { displayName: 'Newsletters read', sequence: 2, isEnabled: false, conditions: { senderContains: ['news@'] }, actions: { markAsRead: true }, hasError: false, isReadOnly: false },
    ]);
    expect(dst.automaticRepliesSetting).toEqual(source.automaticRepliesSetting);
    const errors = (await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId)).items;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ folder: SETTINGS_FOLDER, subject: 'Folder permissions' });
    expect(errors[0]!.reason).toMatch(/Graph's mailbox import\/export API has no folder permissions/);

    const again = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'rules', 'permissions'] });
    expect(again.summary).toMatchObject({ copied: 0, failed: 1 });
    expect(dst.rules).toHaveLength(2);
  }, 120_000);

  it('an inbox rule read over EWS from Exchange on premises is an error row naming it', async () => {
    const fx = await createGraphMigrationFixture({ source: 'ews', mailboxes: ['sam'] });
    fixtures.push(fx);
    const src = fx.sourceOf('sam');
    seedEwsMessage(fx.ews!.store, src, 'inbox', sampleMessage(1));
    fx.ews!.store.mailbox(src)!.rules = [{
      id: 'rule-1', displayName: 'Newsletters read', priority: 1, isEnabled: true,
      conditionsXml: '<t:Conditions><t:ContainsSubjectStrings><t:String>News</t:String></t:ContainsSubjectStrings></t:Conditions>',
      actionsXml: '<t:Actions><t:MarkAsRead>true</t:MarkAsRead></t:Actions>',
    }];
    const itemId = await fx.addItem('sam');
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'rules'] });
    expect(pass.summary).toMatchObject({ copied: 1 });
    const errors = (await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId)).items;
    const rule = errors.find((e) => e.subject === 'Inbox rule "Newsletters read"');
    expect(rule?.reason).toMatch(/read over EWS, whose format Mailferry does not translate to Microsoft Graph/);
    expect(settingsOf(fx.graph.store.mailbox(fx.destinationOf('sam'))).rules).toHaveLength(0);
  }, 120_000);
});
