/**
 * Exchange → Exchange through the real engine (EmbeddedRuntime, passes, worker pool), the real
 * EWS connector and two schema-checked EWS test servers: every item type compared field by field,
 * mailbox settings (rules, automatic replies, folder permissions), RecipientMapping on typed
 * items, and impersonation refused with what to grant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorRow } from '../../api/core/model.js';
import { SETTINGS_FOLDER } from '../../api/core/engine/run-migration-job.js';
import { LOCAL_TENANT } from '../../api/local/embedded-runtime.js';
import { addException, deleteOccurrence, seedItem, seedMessage, type StoredItem } from '../support/ews/items.js';
import { LEVELS } from '../support/ews/permissions.js';
import {
  comparable,
  createEwsMigrationFixture,
  folderAt,
  folderCounts,
  itemsAt,
  markerOf,
  type EwsMigrationFixture,
} from '../support/ews-migration-fixture.js';

const ALL_TYPES = ['mail', 'contacts', 'calendar', 'tasks', 'notes', 'journal', 'rules', 'permissions'];
/** A user both organisations know (resolvable at the destination), and one only the source knows. */
const PARTNER = { smtp: 'partner@fabrikam.test', password: 'pw' };
const GHOST = { smtp: 'ghost@src.test', password: 'pw' };

function mime(subject: string, extra = '', body = `Body of ${subject}\r\n`): string {
  return (
    `From: Fabrikam Billing <billing@fabrikam.test>\r\nTo: Alice <alice@src.test>\r\nCc: Bob <bob@src.test>\r\n${extra}` +
    `Subject: ${subject}\r\nDate: Tue, 2 Jan 2024 09:30:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@fabrikam.test>\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`
  );
}

/** Seeds one of every item type into `smtp` at the source; returns the seeded items by folder path. */
function seedEverything(fx: EwsMigrationFixture, smtp: string): Map<string, StoredItem[]> {
  const server = fx.source.ews!;
  const store = server.store;
  const mbx = store.mailbox(smtp)!;
  const top = mbx.byDistinguished.get('msgfolderroot')!;
  const seeded = new Map<string, StoredItem[]>();
  const add = (path: string, item: StoredItem) => seeded.set(path, [...(seeded.get(path) ?? []), item]);

  // Mail: read state, follow-up flag, importance, categories, received and sent dates, BCC.
  add(
    'Inbox',
    seedMessage(store, smtp, 'inbox', mime('Invoice 2024-001', 'Importance: High\r\n'), {
      received: '2024-01-02T09:31:15Z',
      isRead: false,
      flag: 'Flagged',
      categories: ['Finance', 'Red category'],
    }),
  );
  add(
    'Inbox',
    seedMessage(store, smtp, 'inbox', mime('Newsletter', 'X-Priority: 5\r\n'), {
      received: '2024-01-03T07:00:00Z',
      isRead: true,
      flag: 'Complete',
    }),
  );
  add(
    'Inbox',
    seedMessage(store, smtp, 'inbox', mime('Grüße & <Tags>', '', 'Ünïcödé body 日本語\r\n'), {
      received: '2024-02-10T12:00:00Z',
      isRead: false,
    }),
  );
  add(
    'Sent Items',
    seedItem(
      store,
      smtp,
      'sentitems',
      '<t:Message><t:Subject>Quarterly plan</t:Subject><t:Body BodyType="HTML">&lt;p&gt;Plan&lt;/p&gt;</t:Body><t:Importance>Low</t:Importance>' +
        '<t:Categories><t:String>Planning</t:String></t:Categories>' +
        '<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x0e06" PropertyType="SystemTime"/><t:Value>2024-03-04T10:00:05Z</t:Value></t:ExtendedProperty>' +
        '<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x0039" PropertyType="SystemTime"/><t:Value>2024-03-04T10:00:00Z</t:Value></t:ExtendedProperty>' +
        '<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x0e07" PropertyType="Integer"/><t:Value>1</t:Value></t:ExtendedProperty>' +
        '<t:ToRecipients><t:Mailbox><t:Name>Partner</t:Name><t:EmailAddress>partner@fabrikam.test</t:EmailAddress></t:Mailbox></t:ToRecipients>' +
        '<t:BccRecipients><t:Mailbox><t:Name>Secret Watcher</t:Name><t:EmailAddress>watcher@src.test</t:EmailAddress></t:Mailbox></t:BccRecipients>' +
        '<t:From><t:Mailbox><t:Name>Alice</t:Name><t:EmailAddress>alice@src.test</t:EmailAddress></t:Mailbox></t:From></t:Message>',
    ),
  );

  // A post in a mail folder of its own, and a nested folder with an awkward name.
  const discussions = store.insert(mbx, top, 'Discussions', 'Folder', 'IPF.Note');
  add(
    'Discussions',
    seedItem(
      store,
      smtp,
      discussions.id,
      '<t:PostItem><t:Subject>Welcome thread</t:Subject><t:Body BodyType="Text">First post</t:Body>' +
        '<t:From><t:Mailbox><t:Name>Alice</t:Name><t:EmailAddress>alice@src.test</t:EmailAddress></t:Mailbox></t:From></t:PostItem>',
    ),
  );
  const nested = store.insert(mbx, discussions.id, 'R&D "2024" 日本語', 'Folder', 'IPF.Note');
  add('Discussions/R&D "2024" 日本語', seedMessage(store, smtp, nested.id, mime('Nested'), { received: '2024-04-01T08:00:00Z' }));

  // Contacts.
  add(
    'Contacts',
    seedItem(
      store,
      smtp,
      'contacts',
      '<t:Contact><t:FileAs>Doe, Jane</t:FileAs><t:DisplayName>Jane Doe</t:DisplayName><t:GivenName>Jane</t:GivenName><t:Surname>Doe</t:Surname>' +
        '<t:CompanyName>Fabrikam</t:CompanyName><t:JobTitle>CFO</t:JobTitle>' +
        '<t:EmailAddresses><t:Entry Key="EmailAddress1">jane@fabrikam.test</t:Entry><t:Entry Key="EmailAddress2">jane.doe@home.test</t:Entry></t:EmailAddresses>' +
        '<t:PhoneNumbers><t:Entry Key="BusinessPhone">+1 555 0100</t:Entry><t:Entry Key="MobilePhone">+1 555 0199</t:Entry></t:PhoneNumbers>' +
        '<t:PhysicalAddresses><t:Entry Key="Business"><t:Street>1 Main St</t:Street><t:City>Springfield</t:City><t:CountryOrRegion>US</t:CountryOrRegion></t:Entry></t:PhysicalAddresses>' +
        '<t:Categories><t:String>Customers</t:String></t:Categories></t:Contact>',
    ),
  );

  // Calendar: a single meeting with attendees and their responses, and a weekly series with an exception and a deleted occurrence.
  add(
    'Calendar',
    seedItem(
      store,
      smtp,
      'calendar',
      '<t:CalendarItem><t:Subject>Budget review</t:Subject><t:Body BodyType="Text">Agenda</t:Body><t:Start>2024-05-06T13:00:00Z</t:Start><t:End>2024-05-06T14:00:00Z</t:End>' +
        '<t:Location>Room 1</t:Location>' +
        '<t:Organizer><t:Mailbox><t:Name>Fabrikam CFO</t:Name><t:EmailAddress>jane@fabrikam.test</t:EmailAddress></t:Mailbox></t:Organizer>' +
        '<t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>Alice</t:Name><t:EmailAddress>alice@src.test</t:EmailAddress></t:Mailbox><t:ResponseType>Accept</t:ResponseType></t:Attendee>' +
        '<t:Attendee><t:Mailbox><t:Name>Bob</t:Name><t:EmailAddress>bob@src.test</t:EmailAddress></t:Mailbox><t:ResponseType>Decline</t:ResponseType></t:Attendee></t:RequiredAttendees>' +
        '<t:OptionalAttendees><t:Attendee><t:Mailbox><t:Name>Partner</t:Name><t:EmailAddress>partner@fabrikam.test</t:EmailAddress></t:Mailbox><t:ResponseType>Tentative</t:ResponseType></t:Attendee></t:OptionalAttendees>' +
        '</t:CalendarItem>',
    ),
  );
  const series = seedItem(
    store,
    smtp,
    'calendar',
    '<t:CalendarItem><t:Subject>Weekly sync</t:Subject><t:Start>2024-01-08T09:00:00Z</t:Start><t:End>2024-01-08T09:30:00Z</t:End><t:Location>Teams</t:Location>' +
      '<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek></t:WeeklyRecurrence>' +
      '<t:NumberedRecurrence><t:StartDate>2024-01-08</t:StartDate><t:NumberOfOccurrences>10</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>' +
      '<t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>Bob</t:Name><t:EmailAddress>bob@src.test</t:EmailAddress></t:Mailbox><t:ResponseType>Accept</t:ResponseType></t:Attendee></t:RequiredAttendees>' +
      '</t:CalendarItem>',
  );
  addException(store, mbx, series, {
    originalStart: '2024-01-15T09:00:00Z',
    start: '2024-01-16T15:00:00Z',
    end: '2024-01-16T15:30:00Z',
    fieldsXml: '<t:Subject>Weekly sync (moved)</t:Subject><t:Location>Room 2</t:Location>',
  });
  deleteOccurrence(store, mbx, series, '2024-01-22T09:00:00Z');
  add('Calendar', series);

  // Tasks, notes, journal.
  add(
    'Tasks',
    seedItem(
      store,
      smtp,
      'tasks',
      '<t:Task><t:Subject>File taxes</t:Subject><t:Body BodyType="Text">Before April</t:Body><t:Importance>High</t:Importance>' +
        '<t:DueDate>2024-04-15T00:00:00Z</t:DueDate><t:StartDate>2024-03-01T00:00:00Z</t:StartDate><t:Status>InProgress</t:Status><t:PercentComplete>40</t:PercentComplete></t:Task>',
    ),
  );
  add(
    'Notes',
    seedItem(
      store,
      smtp,
      'notes',
      '<t:Item><t:ItemClass>IPM.StickyNote</t:ItemClass><t:Subject>Wi-Fi code</t:Subject><t:Body BodyType="Text">Wi-Fi code 1234</t:Body></t:Item>',
    ),
  );
  add(
    'Journal',
    seedItem(
      store,
      smtp,
      'journal',
      '<t:Item><t:ItemClass>IPM.Activity</t:ItemClass><t:Subject>Call with Jane</t:Subject><t:Body BodyType="Text">Discussed the budget</t:Body></t:Item>',
    ),
  );
  return seeded;
}

/** Rules (one moving to a copied folder), automatic replies and folder permissions at the source. */
function seedSettings(fx: EwsMigrationFixture, smtp: string): void {
  const server = fx.source.ews!;
  const mbx = server.store.mailbox(smtp)!;
  const discussions = folderAt(server, smtp, 'Discussions')!;
  mbx.rules = [
    {
      id: 'rule-1',
      displayName: 'Invoices to Discussions',
      priority: 1,
      isEnabled: true,
      conditionsXml: '<t:Conditions><t:ContainsSubjectStrings><t:String>Invoice</t:String></t:ContainsSubjectStrings></t:Conditions>',
      actionsXml: `<t:Actions><t:MoveToFolder><t:FolderId Id="${discussions.id}"/></t:MoveToFolder><t:StopProcessingRules>true</t:StopProcessingRules></t:Actions>`,
    },
    {
      id: 'rule-2',
      displayName: 'Newsletters read',
      priority: 2,
      isEnabled: false,
      conditionsXml: '<t:Conditions><t:ContainsSenderStrings><t:String>newsletter</t:String></t:ContainsSenderStrings></t:Conditions>',
      actionsXml: '<t:Actions><t:MarkAsRead>true</t:MarkAsRead></t:Actions>',
    },
  ];
  mbx.oof = {
    state: 'Scheduled',
    externalAudience: 'Known',
    duration: { start: '2024-06-01T00:00:00Z', end: '2024-06-15T00:00:00Z' },
    internalReply: { message: 'Away & back on Monday' },
    externalReply: { message: 'Out of office' },
  };
  const user = (smtp: string, level: keyof typeof LEVELS) => ({
    user: { smtp, displayName: smtp.split('@')[0]! },
    ...LEVELS[level]!,
    level,
  });
  discussions.permissions = [
    { user: { distinguished: 'Default' }, ...LEVELS['Reviewer']!, level: 'Reviewer' },
    { user: { distinguished: 'Anonymous' }, ...LEVELS['None']!, level: 'None' },
    user(PARTNER.smtp, 'Editor'),
    user(GHOST.smtp, 'Author'),
  ];
}

describe('Exchange to Exchange through the engine', () => {
  let fx: EwsMigrationFixture;

  beforeAll(async () => {
    fx = await createEwsMigrationFixture({
      source: { ews: { users: [PARTNER, GHOST] } },
      destination: { ews: { users: [PARTNER] } },
    });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('copies every item type field by field, with rules, automatic replies and permissions; a second full pass copies nothing', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('alice');
    const seeded = seedEverything(fx, sourceUser);
    seedSettings(fx, sourceUser);
    const src = fx.source.ews!;
    const dst = fx.destination.ews!;

    const first = await fx.runPass('full', [itemId], { itemTypes: ALL_TYPES });
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    const log = await fx.runtime.services.items.errorLog(LOCAL_TENANT, itemId);
    // Exactly one refusal: the permission for a user the destination does not know.
    expect(log.items.map((r: ErrorRow) => [r.folder, r.reason])).toEqual([[SETTINGS_FOLDER, expect.stringMatching(/ghost@src\.test/)]]);
    expect(log.items[0]!.reason).toMatch(/cannot resolve the user ghost@src\.test/);
    expect(item.status).toBe('Completed With Errors');
    expect(first.summary).toMatchObject({ failed: 1 });

    // Every seeded item is at the destination once, found by its marker, identical field by field.
    const itemCount = [...seeded.values()].reduce((n, list) => n + list.length, 0);
    let compared = 0;
    for (const [path, sources] of seeded) {
      const copies = itemsAt(dst, destUser, path);
      expect(copies.map(markerOf).sort(), `markers in ${path}`).toEqual(sources.map((s) => s.id).sort());
      for (const source of sources) {
        const copy = copies.find((c) => markerOf(c) === source.id)!;
        expect(comparable(dst, copy), `${path}: ${source.fields.get('Subject')?.t}`).toEqual(comparable(src, source));
        compared++;
      }
    }
    expect(compared).toBe(itemCount);
    const perFolder = Object.fromEntries((item.progress?.folders ?? []).map((f) => [f.path, f.copied]));
    for (const [path, sources] of seeded) expect(perFolder[path], path).toBe(sources.length);
    // Spot checks of what the comparison covers, so a broken seed cannot make it vacuous.
    const invoice = itemsAt(dst, destUser, 'Inbox').find((i) => i.fields.get('Subject')?.t === 'Invoice 2024-001')!;
    expect(invoice).toMatchObject({ isRead: false, received: '2024-01-02T09:31:15Z', flag: { status: 'Flagged' } });
    expect(invoice.fields.get('Importance')?.t).toBe('High');
    const sent = itemsAt(dst, destUser, 'Sent Items')[0]!;
    expect(JSON.stringify(sent.fields.get('BccRecipients'))).toContain('watcher@src.test');
    expect(sent.sent).toBe('2024-03-04T10:00:00Z');
    const weekly = itemsAt(dst, destUser, 'Calendar').find((i) => i.fields.get('Subject')?.t === 'Weekly sync')!;
    expect(weekly.exceptionIds).toHaveLength(1);
    expect(weekly.deletedOccurrences).toEqual(['2024-01-22T09:00:00Z']);

    // Settings: rules with the move target re-pointed at the destination's folder, OOF, permissions.
    const dstMbx = dst.store.mailbox(destUser)!;
    const dstDiscussions = folderAt(dst, destUser, 'Discussions')!;
    expect(dstMbx.rules?.map((r) => [r.displayName, r.priority, r.isEnabled])).toEqual([
      ['Invoices to Discussions', 1, true],
      ['Newsletters read', 2, false],
    ]);
    expect(dstMbx.rules![0]!.actionsXml).toContain(dstDiscussions.id);
    expect(dstMbx.rules![0]!.conditionsXml).toBe(src.store.mailbox(sourceUser)!.rules![0]!.conditionsXml);
    expect(dstMbx.oof).toEqual(src.store.mailbox(sourceUser)!.oof);
    expect(dstDiscussions.permissions?.map((p) => [p.user.smtp ?? p.user.distinguished, p.level])).toEqual([
      ['Default', 'Reviewer'],
      ['Anonymous', 'None'],
      [PARTNER.smtp, 'Editor'],
    ]);

    // The delta: nothing new, nothing copied again, nothing duplicated.
    const countsAfterFirst = folderCounts(dst, destUser);
    const second = await fx.runPass('full', [itemId], { itemTypes: ALL_TYPES });
    const again = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    const copiedItems = (again.progress?.folders ?? []).filter((f) => f.path !== SETTINGS_FOLDER).reduce((n, f) => n + f.copied, 0);
    expect(copiedItems).toBe(0);
    expect(second.summary?.copied).toBe(0);
    expect(folderCounts(dst, destUser)).toEqual(countsAfterFirst);
    expect(dstMbx.rules).toHaveLength(2);

    // A changed rule and changed automatic replies are applied again, replacing (not adding to) the earlier copies.
    const srcMbx = src.store.mailbox(sourceUser)!;
    srcMbx.rules![1]!.isEnabled = true;
    srcMbx.oof = { ...srcMbx.oof!, internalReply: { message: 'Back on Tuesday' } };
    const third = await fx.runPass('full', [itemId], { itemTypes: ALL_TYPES });
    expect(third.summary).toMatchObject({ copied: 2, failed: 1 });
    expect(dstMbx.rules?.map((r) => [r.displayName, r.isEnabled])).toEqual([
      ['Invoices to Discussions', true],
      ['Newsletters read', true],
    ]);
    expect(dstMbx.oof?.internalReply.message).toBe('Back on Tuesday');
    expect(folderCounts(dst, destUser)).toEqual(countsAfterFirst);
  });
});

describe('RecipientMapping on calendar items between Exchange mailboxes', () => {
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({
      source: { ews: {} },
      destination: { ews: {} },
      projectOptions: ['RecipientMapping="@src.test->@dst.test"'],
    });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('rewrites attendees at the destination and keeps their responses', async () => {
    const { itemId, sourceUser, destUser } = await fx.addMailbox('mapped');
    seedItem(
      fx.source.ews!.store,
      sourceUser,
      'calendar',
      '<t:CalendarItem><t:Subject>Planning</t:Subject><t:Start>2024-05-06T13:00:00Z</t:Start><t:End>2024-05-06T14:00:00Z</t:End>' +
        '<t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>Bob</t:Name><t:EmailAddress>bob@src.test</t:EmailAddress></t:Mailbox><t:ResponseType>Accept</t:ResponseType></t:Attendee>' +
        '<t:Attendee><t:Mailbox><t:Name>Partner</t:Name><t:EmailAddress>partner@fabrikam.test</t:EmailAddress></t:Mailbox><t:ResponseType>Decline</t:ResponseType></t:Attendee></t:RequiredAttendees>' +
        '<t:OptionalAttendees><t:Attendee><t:Mailbox><t:Name>Carol</t:Name><t:EmailAddress>Carol@SRC.test</t:EmailAddress></t:Mailbox><t:ResponseType>Tentative</t:ResponseType></t:Attendee></t:OptionalAttendees>' +
        '</t:CalendarItem>',
    );
    const pass = await fx.runPass('full', [itemId], { itemTypes: ['calendar'] });
    expect(pass.summary).toMatchObject({ completed: 1, copied: 1, failed: 0 });
    const [copy] = itemsAt(fx.destination.ews!, destUser, 'Calendar');
    const attendees = (field: string) =>
      (copy!.fields.get(field)?.c ?? []).map((a) => {
        const mailbox = a.c?.find((c) => c.n === 'Mailbox');
        return [mailbox?.c?.find((c) => c.n === 'EmailAddress')?.t, a.c?.find((c) => c.n === 'ResponseType')?.t];
      });
    expect(attendees('RequiredAttendees')).toEqual([
      ['bob@dst.test', 'Accept'],
      ['partner@fabrikam.test', 'Decline'],
    ]);
    expect(attendees('OptionalAttendees')).toEqual([['Carol@dst.test', 'Tentative']]);
  });
});

describe('impersonation without the right', () => {
  const NO_RIGHT = { smtp: 'helpdesk@dst.test', password: 'helpdesk-pw' };
  let fx: EwsMigrationFixture;
  beforeAll(async () => {
    fx = await createEwsMigrationFixture({
      source: { ews: {} },
      destination: { ews: { users: [NO_RIGHT] }, endpoint: { adminMode: 'impersonation', adminLogin: NO_RIGHT } },
    });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('fails a verify pass with a reason that says which right to grant', async () => {
    const { itemId } = await fx.addMailbox('denied');
    const pass = await fx.runPass('verify', [itemId]);
    expect(pass.summary?.failedItems).toBe(1);
    const item = await fx.runtime.services.items.getItem(LOCAL_TENANT, itemId);
    expect(item.status).toBe('Failed');
    expect(item.lastRun?.reason).toMatch(/ApplicationImpersonation/);
    expect(item.lastRun?.reason).toMatch(/RBAC for Applications/);
    expect(item.lastRun?.reason).toMatch(/denied@dst\.test|helpdesk@dst\.test/);
  });
});
