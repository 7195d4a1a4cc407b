/**
 * Inbox rules and automatic replies over Microsoft Graph through the real engine and connector
 * and the Graph test server (CSDL-checked messageRule and mailboxSettings bodies): Exchange
 * Online → Exchange Online copies them, a rule's folder re-pointed to the folder's copy, a rule
 * changed since updated in place; calendar permissions go through calendarPermissions (CSDL-checked,
 * Calendars.ReadWrite), a user the destination does not know an error row naming it; permissions of
 * other folders, which Graph does not carry, and rules read over EWS from Exchange on premises,
 * are error rows naming them; a second pass with nothing changed writes nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { sampleMessage } from '../support/dovecot.js';
import { seedMessage as seedEwsMessage } from '../support/ews/items.js';
import { LEVELS } from '../support/ews/permissions.js';
import { folderAt } from '../support/ews-migration-fixture.js';
import { createGraphMigrationFixture, type GraphMigrationFixture } from '../support/graph-migration-fixture.js';
import { ALL_APP_PERMISSIONS, PERMISSION } from '../support/graph/index.js';
import { settingsOf } from '../support/graph/routes-settings.js';
import { calendarPermissionsOf } from '../support/graph/routes-calendars.js';

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
      {
        id: 'r1',
        displayName: 'Invoices',
        sequence: 1,
        isEnabled: true,
        hasError: false,
        isReadOnly: false,
        conditions: { subjectContains: ['Invoice'] },
        actions: { moveToFolder: invoices, stopProcessingRules: true },
      },
      {
        id: 'r2',
        displayName: 'Newsletters read',
        sequence: 2,
        isEnabled: false,
        hasError: false,
        isReadOnly: false,
        conditions: { senderContains: ['news@'] },
        actions: { markAsRead: true },
      },
    );
    source.automaticRepliesSetting = {
      status: 'alwaysEnabled',
      externalAudience: 'contactsOnly',
      internalReplyMessage: 'Away until Monday',
      externalReplyMessage: 'Away',
    };

    const itemId = await fx.addItem('rita');
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'calendar', 'rules', 'permissions'] });
    // The message, two rules, the replies and the calendar's two fixed entries (already as at the source: nothing written).
    expect(pass.summary).toMatchObject({ copied: 1 + 3 + 2, failed: 1 });
    const dst = settingsOf(fx.graph.store.mailbox(fx.destinationOf('rita')));
    const copiedInvoices = fx.graph.read.folder(fx.destinationOf('rita'), 'Inbox/Invoices')!.id;
    expect(copiedInvoices).not.toBe(invoices);
    expect(dst.rules.map(({ id: _id, ...rule }) => rule)).toEqual([
      {
        displayName: 'Invoices',
        sequence: 1,
        isEnabled: true,
        conditions: { subjectContains: ['Invoice'] },
        actions: { moveToFolder: copiedInvoices, stopProcessingRules: true },
        hasError: false,
        isReadOnly: false,
      },
      {
        displayName: 'Newsletters read',
        sequence: 2,
        isEnabled: false,
        conditions: { senderContains: ['news@'] },
        actions: { markAsRead: true },
        hasError: false,
        isReadOnly: false,
      },
    ]);
    expect(dst.automaticRepliesSetting).toEqual(source.automaticRepliesSetting);
    const errors = (await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId)).items;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ folder: SETTINGS_FOLDER, subject: 'Permissions of mail, contacts and tasks folders' });
    expect(errors[0]!.reason).toMatch(/Microsoft Graph has permissions for calendars only/);

    const again = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'calendar', 'rules', 'permissions'] });
    expect(again.summary).toMatchObject({ copied: 0, failed: 1 });
    expect(dst.rules).toHaveLength(2);
  }, 120_000);

  it('a rule changed (and renamed) at the source since the last pass updates its copy in place; a rule already at the destination under its name is updated, not added; a pass with nothing changed writes nothing', async () => {
    const fx = await createGraphMigrationFixture({ source: 'graph', mailboxes: ['ruth'] });
    fixtures.push(fx);
    const src = fx.sourceOf('ruth');
    fx.graph.seed.message(src, 'inbox', sampleMessage(1));
    const source = settingsOf(fx.graph.store.mailbox(src));
    source.rules.push(
      {
        id: 'r1',
        displayName: 'Invoices',
        sequence: 1,
        isEnabled: true,
        hasError: false,
        isReadOnly: false,
        conditions: { subjectContains: ['Invoice'] },
        actions: { markAsRead: true },
      },
      {
        id: 'r2',
        displayName: 'Newsletters',
        sequence: 2,
        isEnabled: true,
        hasError: false,
        isReadOnly: false,
        conditions: { senderContains: ['news@'] },
        actions: { delete: true },
      },
    );
    const dst = settingsOf(fx.graph.store.mailbox(fx.destinationOf('ruth')));
    // Made by hand at the destination (or copied by a Mailferry that kept no rule ids): matched by its name.
    dst.rules.push({
      id: 'by-hand',
      displayName: 'Newsletters',
      sequence: 5,
      isEnabled: false,
      hasError: false,
      isReadOnly: false,
      conditions: { senderContains: ['old@'] },
      actions: { markAsRead: true },
    });
    const ruleWrites = () => fx.graph.requestLog.filter((r) => r.route.includes('messageRules') && r.method !== 'GET').map((r) => r.method);

    const itemId = await fx.addItem('ruth');
    const first = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'rules'] });
    expect(first.summary).toMatchObject({ failed: 0 });
    expect(ruleWrites().sort()).toEqual(['PATCH', 'POST']);
    expect(dst.rules).toHaveLength(2);
    const invoicesCopy = dst.rules.find((r) => r['displayName'] === 'Invoices')!;
    expect(dst.rules.find((r) => r['displayName'] === 'Newsletters')).toMatchObject({
      id: 'by-hand',
      sequence: 2,
      isEnabled: true,
      conditions: { senderContains: ['news@'] },
      actions: { delete: true },
    });

    source.rules[0] = {
      ...source.rules[0]!,
      displayName: 'Invoices and receipts',
      conditions: { subjectContains: ['Invoice', 'Receipt'] },
    };
    fx.graph.requestLog.length = 0;
    const second = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'rules'] });
    expect(second.summary).toMatchObject({ failed: 0 });
    expect(ruleWrites()).toEqual(['PATCH']);
    expect(dst.rules).toHaveLength(2);
    expect(dst.rules.find((r) => r['id'] === invoicesCopy['id'])).toMatchObject({
      displayName: 'Invoices and receipts',
      conditions: { subjectContains: ['Invoice', 'Receipt'] },
    });

    fx.graph.requestLog.length = 0;
    const third = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'rules'] });
    expect(third.summary).toMatchObject({ copied: 0, failed: 0 });
    expect(ruleWrites()).toEqual([]);
    expect(dst.rules).toHaveLength(2);
  }, 120_000);

  it('copies calendar permissions with calendarPermissions: users shared with or updated, My Organization updated not created, an unknown user an error row naming it; nothing written again', async () => {
    const fx = await createGraphMigrationFixture({ source: 'graph', mailboxes: ['cleo'] });
    fixtures.push(fx);
    for (const user of ['bob@contoso.com', 'carol@contoso.com']) fx.graph.store.addMailbox(user, 'user');
    const src = fx.sourceOf('cleo');
    const team = fx.graph.seed.folder(src, { parent: 'calendar', displayName: 'Team', type: 'IPF.Appointment' });
    fx.graph.seed.item(src, 'calendar', { type: 'IPM.Appointment', subject: 'Standup' });
    fx.graph.seed.item(src, team, { type: 'IPM.Appointment', subject: 'Offsite' });
    const srcMbx = fx.graph.store.mailbox(src);
    const share = (calendarId: string, address: string, role: string) =>
      calendarPermissionsOf(srcMbx, calendarId).push({
        id: `${calendarId}-${address}`,
        emailAddress: { name: address, address },
        isInsideOrganization: true,
        isRemovable: true,
        role,
        allowedRoles: ['none', 'freeBusyRead', 'limitedRead', 'read', 'write'],
      });
    const calendar = fx.graph.read.folder(src, 'Calendar')!.id;
    share(calendar, 'bob@contoso.com', 'read');
    share(calendar, 'carol@contoso.com', 'delegateWithPrivateEventAccess');
    share(calendar, 'ghost@contoso.com', 'write');
    share(team, 'bob@contoso.com', 'write');
    calendarPermissionsOf(srcMbx, calendar)[0]!.role = 'limitedRead'; // My Organization
    const dstMbx = fx.graph.store.mailbox(fx.destinationOf('cleo'));
    const dstCalendar = fx.graph.read.folder(fx.destinationOf('cleo'), 'Calendar')!.id;
    // Shared before the migration with a weaker role: updated, not shared twice.
    calendarPermissionsOf(dstMbx, dstCalendar).push({
      id: 'carol-before',
      emailAddress: { name: 'Carol', address: 'carol@contoso.com' },
      isInsideOrganization: true,
      isRemovable: true,
      role: 'read',
      allowedRoles: ['read'],
    });
    calendarPermissionsOf(dstMbx, dstCalendar).at(-1)!.allowedRoles = [
      'none',
      'freeBusyRead',
      'limitedRead',
      'read',
      'write',
      'delegateWithoutPrivateEventAccess',
      'delegateWithPrivateEventAccess',
    ];

    const itemId = await fx.addItem('cleo');
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['calendar', 'permissions'] });
    const roles = (folder: string) =>
      Object.fromEntries(
        calendarPermissionsOf(dstMbx, fx.graph.read.folder(fx.destinationOf('cleo'), folder)!.id).map((p) => [
          p.emailAddress.address ?? p.emailAddress.name,
          p.role,
        ]),
      );
    expect(roles('Calendar')).toEqual({
      'My Organization': 'limitedRead',
      Anonymous: 'none',
      'bob@contoso.com': 'read',
      'carol@contoso.com': 'delegateWithPrivateEventAccess',
    });
    expect(
      calendarPermissionsOf(dstMbx, dstCalendar)
        .filter((p) => p.emailAddress.address === 'carol@contoso.com')
        .map((p) => p.id),
    ).toEqual(['carol-before']);
    expect(roles('Calendar/Team')).toEqual({ 'My Organization': 'freeBusyRead', Anonymous: 'none', 'bob@contoso.com': 'write' });
    const errors = (await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId)).items.filter((e) => e.folder === SETTINGS_FOLDER);
    expect(errors.map((e) => e.subject ?? '').sort()).toEqual([
      'Permissions of Calendar for ghost@contoso.com',
      'Permissions of mail, contacts and tasks folders',
    ]);
    expect(errors.find((e) => e.subject?.includes('ghost'))!.reason).toMatch(
      /the destination cannot resolve the user ghost@contoso\.com; add a RecipientMapping or create that user first/,
    );
    expect(pass.summary).toMatchObject({ failed: 2 });
    expect(fx.graph.validation.requestFailures).toEqual([]);

    fx.graph.requestLog.length = 0;
    const again = await fx.runPass('full', [itemId], { itemTypes: ['calendar', 'permissions'] });
    // Only the entry that failed is tried again; its calendar's other entries are read, found right, not written.
    expect(fx.graph.requestLog.filter((r) => r.route.includes('calendarPermissions') && r.method !== 'GET').map((r) => r.method)).toEqual([
      'POST',
    ]);
    expect(again.summary).toMatchObject({ copied: 0, failed: 2 });
  }, 120_000);

  it('calendar permissions need Calendars.Read at the source: without it the source cannot read them, and one error row says which permission to grant while the rest of the item is copied', async () => {
    const fx = await createGraphMigrationFixture({
      source: 'graph',
      mailboxes: ['cody'],
      server: { permissions: ALL_APP_PERMISSIONS.filter((p) => p !== PERMISSION.calendarsReadWrite && p !== PERMISSION.calendarsRead) },
    });
    fixtures.push(fx);
    fx.graph.store.addMailbox('bob@contoso.com', 'user');
    fx.graph.seed.item(fx.sourceOf('cody'), 'calendar', { type: 'IPM.Appointment', subject: 'Standup' });
    const itemId = await fx.addItem('cody');
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['calendar', 'permissions'] });
    expect(pass.summary).toMatchObject({ copied: 1, failed: 1 });
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item.lastRun?.status).not.toBe('Failed');
    expect(fx.graph.read.items(fx.destinationOf('cody'), 'calendar').map((i) => i.subject)).toEqual(['Standup']);
    const errors = (await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId)).items;
    expect(errors.map((e) => [e.folder, e.subject, e.reason])).toEqual([
      [
        SETTINGS_FOLDER,
        'Calendar permissions',
        expect.stringMatching(
          /^Reading the calendar permissions of cody-src@contoso\.com: .*HTTP 403.*Grant the app \S+ the Microsoft Graph application permission Calendars\.Read \(or Calendars\.ReadWrite\)/,
        ),
      ],
    ]);
  }, 120_000);

  it('calendar permissions read over EWS from Exchange on premises are translated to Graph roles; a level Graph has no role for, and a mail folder shared, are error rows naming them', async () => {
    const fx = await createGraphMigrationFixture({ source: 'ews', mailboxes: ['eve'] });
    fixtures.push(fx);
    fx.graph.store.addMailbox('bob@contoso.com', 'user');
    fx.graph.store.addMailbox('carol@contoso.com', 'user');
    const src = fx.sourceOf('eve');
    seedEwsMessage(fx.ews!.store, src, 'inbox', sampleMessage(1));
    const user = (smtp: string, level: keyof typeof LEVELS) => ({
      user: { smtp, displayName: smtp.split('@')[0]! },
      ...LEVELS[level]!,
      level,
    });
    folderAt(fx.ews!, src, 'Calendar')!.permissions = [
      { user: { distinguished: 'Default' }, ...LEVELS['Reviewer']!, level: 'Reviewer' },
      { user: { distinguished: 'Anonymous' }, ...LEVELS['None']!, level: 'None' },
      user('bob@contoso.com', 'Editor'),
      user('carol@contoso.com', 'Author'),
    ];
    folderAt(fx.ews!, src, 'Inbox')!.permissions = [
      { user: { distinguished: 'Default' }, ...LEVELS['None']!, level: 'None' },
      { user: { distinguished: 'Anonymous' }, ...LEVELS['None']!, level: 'None' },
      user('bob@contoso.com', 'Reviewer'),
    ];
    const itemId = await fx.addItem('eve');
    await fx.runPass('full', [itemId], { itemTypes: ['mail', 'calendar', 'permissions'] });
    const dstMbx = fx.graph.store.mailbox(fx.destinationOf('eve'));
    const calendar = fx.graph.read.folder(fx.destinationOf('eve'), 'Calendar')!.id;
    expect(
      Object.fromEntries(calendarPermissionsOf(dstMbx, calendar).map((p) => [p.emailAddress.address ?? p.emailAddress.name, p.role])),
    ).toEqual({ 'My Organization': 'read', Anonymous: 'none', 'bob@contoso.com': 'write' });
    const errors = (await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId)).items.filter((e) => e.folder === SETTINGS_FOLDER);
    expect(Object.fromEntries(errors.map((e) => [e.subject, e.reason]))).toEqual({
      'Permissions of Calendar for carol@contoso.com': expect.stringMatching(
        /the permission level Author has no Microsoft Graph calendar role .* Add-MailboxFolderPermission -AccessRights Author/,
      ),
      'Permissions of Inbox for bob@contoso.com': expect.stringMatching(/Microsoft Graph has permissions for calendars only/),
    });
  }, 120_000);

  it('an inbox rule read over EWS from Exchange on premises is an error row naming it', async () => {
    const fx = await createGraphMigrationFixture({ source: 'ews', mailboxes: ['sam'] });
    fixtures.push(fx);
    const src = fx.sourceOf('sam');
    seedEwsMessage(fx.ews!.store, src, 'inbox', sampleMessage(1));
    fx.ews!.store.mailbox(src)!.rules = [
      {
        id: 'rule-1',
        displayName: 'Newsletters read',
        priority: 1,
        isEnabled: true,
        conditionsXml: '<t:Conditions><t:ContainsSubjectStrings><t:String>News</t:String></t:ContainsSubjectStrings></t:Conditions>',
        actionsXml: '<t:Actions><t:MarkAsRead>true</t:MarkAsRead></t:Actions>',
      },
    ];
    const itemId = await fx.addItem('sam');
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['mail', 'rules'] });
    expect(pass.summary).toMatchObject({ copied: 1 });
    const errors = (await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId)).items;
    const rule = errors.find((e) => e.subject === 'Inbox rule "Newsletters read"');
    expect(rule?.reason).toMatch(/read over EWS, whose format Mailferry does not translate to Microsoft Graph/);
    expect(settingsOf(fx.graph.store.mailbox(fx.destinationOf('sam'))).rules).toHaveLength(0);
  }, 120_000);
});
