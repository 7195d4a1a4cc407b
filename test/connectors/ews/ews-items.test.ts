/**
 * The EWS test server's item operations against the real client (ews-javascript-api 0.15.3).
 * Every request and response is schema-checked by the server; afterAll proves none of its
 * responses failed (close() rejects otherwise).
 *
 * Client limits worked around here, as the connector must:
 *  - element text and attribute values go out unescaped: strings are escaped with `esc` first;
 *  - ExportItems / UploadItems do not exist in ews-javascript-api 0.15.3 (BulkTransfer.js is a
 *    stub): those are hand-built SOAP requests through fetch (`soap()`), schema-checked all the
 *    same;
 *  - versions newer than Exchange2016 are rejected by the schema, so clients use Exchange2016
 *    (Exchange2013 where noted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AffectedTaskOccurrence,
  Appointment,
  AppointmentType,
  Attendee,
  BasePropertySet,
  BodyType,
  ChangeType,
  ConflictResolutionMode,
  Contact,
  DateTime,
  DayOfTheWeek,
  DayOfTheWeekIndex,
  DefaultExtendedPropertySet,
  DeleteMode,
  EmailAddress,
  EmailAddressKey,
  EmailMessage,
  ExchangeService,
  ExchangeVersion,
  ExtendedPropertyDefinition,
  Flag,
  Folder,
  FolderId,
  Guid,
  Importance,
  Item,
  ItemFlagStatus,
  ItemId,
  ItemSchema,
  ItemView,
  LogicalOperator,
  MapiPropertyType,
  MeetingResponseType,
  MessageBody,
  MessageDisposition,
  MimeContent,
  Month,
  PhoneNumberKey,
  PostItem,
  PropertySet,
  Recurrence,
  SearchFilter,
  type SendCancellationsMode,
  SendInvitationsMode,
  ServiceError,
  ServiceResult,
  StringList,
  SyncFolderItemsScope,
  Task,
  TaskStatus,
  Uri,
  WebCredentials,
  WellKnownFolderName,
} from 'ews-javascript-api';
import { startEwsServer, type EwsTestServer } from '../../support/ews/ews-server.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  addException,
  deleteOccurrence,
  encodeItemId,
  itemStorage,
  seedItem,
  seedMessage,
  setMaxMessageBytes,
  storedItem,
} from '../../support/ews/items.js';
import { NS, type XmlElement, child, childrenNamed, parseXml } from '../../support/ews/xml.js';

const ALICE = { smtp: 'alice@contoso.test', password: 'alice-pw' };
const BOB = { smtp: 'bob@contoso.test', password: 'bob-pw' };
const CAROL = { smtp: 'carol@contoso.test', password: 'carol-pw' };

/** The connector's own marker: a named property in its own property set (crash recovery finds its writes by it). */
const MARKER_SET = 'c7a1f2d4-6a0e-4f43-9b2f-3c1d2e5f7a90';
const MARKER = new ExtendedPropertyDefinition(new Guid(MARKER_SET), 'MailferrySourceKey', MapiPropertyType.String);
const PR_MESSAGE_DELIVERY_TIME = new ExtendedPropertyDefinition(0x0e06, MapiPropertyType.SystemTime);
const PR_CLIENT_SUBMIT_TIME = new ExtendedPropertyDefinition(0x0039, MapiPropertyType.SystemTime);
const PR_MESSAGE_FLAGS = new ExtendedPropertyDefinition(0x0e07, MapiPropertyType.Integer);
const PR_FLAG_STATUS = new ExtendedPropertyDefinition(0x1090, MapiPropertyType.Integer);
/** Tagged and named properties of several types, for the round trip. */
const TAG_STRING = new ExtendedPropertyDefinition(0x3a4d, MapiPropertyType.String);
const NAMED_BY_ID = new ExtendedPropertyDefinition(DefaultExtendedPropertySet.Common, 0x8580, MapiPropertyType.Integer);
const NAMED_ARRAY = new ExtendedPropertyDefinition(DefaultExtendedPropertySet.PublicStrings, 'Keywords', MapiPropertyType.StringArray);
const NAMED_BOOL = new ExtendedPropertyDefinition(new Guid(MARKER_SET), 'Migrated', MapiPropertyType.Boolean);

const BULK_COUNT = 1205;
const BULK_BATCH = 100;
const FIND_COUNT_LIMIT = 1000;
const BULK_BASE = Date.UTC(2025, 0, 1);
const MINUTE = 60_000;

/** Escapes what ews-javascript-api 0.15.3 writes unescaped (text and attribute values). */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function client(account: { smtp: string; password: string }, url: string, version = ExchangeVersion.Exchange2016): ExchangeService {
  const svc = new ExchangeService(version);
  svc.Credentials = new WebCredentials(account.smtp, account.password);
  svc.Url = new Uri(url);
  return svc;
}

/** `Item` has a public constructor at runtime that the typings leave out (notes, journal entries). */
function newItem(svc: ExchangeService): Item {
  return new (Item as unknown as new (s: ExchangeService) => Item)(svc);
}

function ext<T>(item: Item, def: ExtendedPropertyDefinition): T | undefined {
  const out: { outValue: T | null } = { outValue: null };
  return item.TryGetProperty<T>(def, out as never) ? (out.outValue ?? undefined) : undefined;
}

function iso(d: DateTime | undefined | null): string | undefined {
  return d ? new Date(d.TotalMilliSeconds).toISOString() : undefined;
}

async function rejectionOf(p: Promise<unknown>): Promise<Error & { ErrorCode?: number }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { ErrorCode?: number };
  }
  throw new Error('expected the call to fail');
}

/** A hand-built SOAP request (for what the client cannot express), parsed response Body child. */
async function soap(url: string, account: { smtp: string; password: string }, version: string, body: string): Promise<XmlElement> {
  const envelope =
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${NS.soap}" xmlns:t="${NS.types}" xmlns:m="${NS.messages}">` +
    `<soap:Header><t:RequestServerVersion Version="${version}"/></soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'text/xml; charset=utf-8',
      Authorization: `Basic ${Buffer.from(`${account.smtp}:${account.password}`).toString('base64')}`,
    },
    body: envelope,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 500)}`);
  return child(parseXml(text), NS.soap, 'Body')!.children[0]!;
}

function responseMessages(resp: XmlElement): XmlElement[] {
  return child(resp, NS.messages, 'ResponseMessages')!.children;
}

function code(msg: XmlElement): string {
  return child(msg, NS.messages, 'ResponseCode')!.text;
}

/** Every ItemId of one mailbox's items is removed from the XML before comparing two mailboxes. */
function withoutIds(xml: string): string {
  return xml.replace(/<t:(ItemId|ParentFolderId)\b[^>]*\/>/g, '<t:$1/>').replace(/ (Id|ChangeKey)="[^"]*"/g, '');
}

const ALL_EXTENDED = [
  MARKER,
  PR_MESSAGE_DELIVERY_TIME,
  PR_CLIENT_SUBMIT_TIME,
  PR_MESSAGE_FLAGS,
  PR_FLAG_STATUS,
  TAG_STRING,
  NAMED_BY_ID,
  NAMED_ARRAY,
  NAMED_BOOL,
];
const EXTENDED_PATHS_XML =
  `<t:ExtendedFieldURI PropertySetId="${MARKER_SET}" PropertyName="MailferrySourceKey" PropertyType="String"/>` +
  '<t:ExtendedFieldURI PropertyTag="0x0e06" PropertyType="SystemTime"/><t:ExtendedFieldURI PropertyTag="0x0039" PropertyType="SystemTime"/>' +
  '<t:ExtendedFieldURI PropertyTag="0x0e07" PropertyType="Integer"/><t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/>' +
  '<t:ExtendedFieldURI PropertyTag="0x3a4d" PropertyType="String"/>' +
  '<t:ExtendedFieldURI DistinguishedPropertySetId="Common" PropertyId="34176" PropertyType="Integer"/>' +
  '<t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="Keywords" PropertyType="StringArray"/>' +
  `<t:ExtendedFieldURI PropertySetId="${MARKER_SET}" PropertyName="Migrated" PropertyType="Boolean"/>`;

/** GetItem AllProperties + MIME + every extended property above, as raw XML of the item. */
async function rawItem(url: string, account: { smtp: string; password: string }, id: string): Promise<string> {
  const resp = await soap(
    url,
    account,
    'Exchange2016',
    `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent>` +
      `<t:AdditionalProperties>${EXTENDED_PATHS_XML}</t:AdditionalProperties></m:ItemShape>` +
      `<m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
  );
  const msg = responseMessages(resp)[0]!;
  expect(code(msg)).toBe('NoError');
  return await fetchRawItemXml(msg);
}

async function fetchRawItemXml(msg: XmlElement): Promise<string> {
  // Re-serialize the one item element canonically (namespace-free names, attributes, text).
  const ser = (e: XmlElement): string =>
    `<t:${e.local}${Object.entries(e.attrs)
      .map(([k, v]) => ` ${k}="${v}"`)
      .join('')}>${e.children.length ? e.children.map(ser).join('') : e.text}</t:${e.local}>`;
  return ser(child(msg, NS.messages, 'Items')!.children[0]!).replace(/<t:(\w+)([^>]*)><\/t:\1>/g, '<t:$1$2/>');
}

describe('EWS test server items with ews-javascript-api', () => {
  let server: EwsTestServer;
  let alice: ExchangeService;
  beforeAll(async () => {
    server = await startEwsServer({ users: [ALICE, BOB, CAROL] });
    alice = client(ALICE, server.url);
  });
  afterAll(async () => {
    const v = server.validation;
    // close() rejects if any response failed the schema check.
    await expect(server.close()).resolves.toBeUndefined();
    console.info(
      `EWS items: ${v.requestsValidated} requests and ${v.responsesValidated} responses schema-validated, ` +
        `${server.validator.msPerMessage.toFixed(1)} ms per message`,
    );
  });

  async function folderNamed(svc: ExchangeService, name: string, parent = WellKnownFolderName.Inbox): Promise<Folder> {
    const f = new Folder(svc);
    f.DisplayName = name;
    await f.Save(parent);
    return f;
  }

  /** `count` unread messages "<prefix> 0…" in one CreateItem. */
  async function createUnread(folderId: FolderId, prefix: string, count: number): Promise<EmailMessage[]> {
    const made = Array.from({ length: count }, (_, n) => {
      const m = new EmailMessage(alice);
      m.Subject = `${prefix} ${n}`;
      m.SetExtendedProperty(PR_MESSAGE_FLAGS, 0);
      return m;
    });
    await alice.CreateItems(made, folderId, MessageDisposition.SaveOnly, null as unknown as SendInvitationsMode);
    return made;
  }

  it('creates a message with typed fields and extended properties and reads it back field by field', async () => {
    const subject = 'Q3 "plan" & budget — Zürich <draft>';
    const m = new EmailMessage(alice);
    m.Subject = esc(subject);
    m.Body = new MessageBody(BodyType.HTML, esc('<p>Hello <b>team</b> & friends</p>'));
    m.ToRecipients.Add(new EmailAddress('Bob Builder', BOB.smtp));
    m.CcRecipients.Add(CAROL.smtp);
    m.Importance = Importance.High;
    m.Categories = new StringList(['Red category', 'Project X']);
    m.IsRead = false;
    m.SetExtendedProperty(MARKER, 'src-001');
    m.SetExtendedProperty(TAG_STRING, esc('tagged & "quoted"'));
    m.SetExtendedProperty(NAMED_BY_ID, 42);
    m.SetExtendedProperty(NAMED_ARRAY, ['alpha', 'beta', 'gamma']);
    m.SetExtendedProperty(NAMED_BOOL, true);
    await m.Save(WellKnownFolderName.Inbox);
    expect(m.Id.UniqueId).toBeTruthy();

    const b = await EmailMessage.Bind(alice, m.Id, new PropertySet(BasePropertySet.FirstClassProperties, ALL_EXTENDED));
    expect(b.Subject).toBe(subject);
    expect(b.Body.BodyType).toBe(BodyType.HTML);
    expect(b.Body.Text).toBe('<p>Hello <b>team</b> & friends</p>');
    expect(b.ToRecipients.GetEnumerator().map((r) => [r.Name, r.Address])).toEqual([['Bob Builder', BOB.smtp]]);
    expect(b.CcRecipients.GetEnumerator().map((r) => r.Address)).toEqual([CAROL.smtp]);
    expect(b.DisplayTo).toBe('Bob Builder');
    expect(b.Importance).toBe(Importance.High);
    expect(b.Categories.GetEnumerator()).toEqual(['Red category', 'Project X']);
    expect(b.IsRead).toBe(false);
    expect(b.IsDraft).toBe(true);
    expect(b.ItemClass).toBe('IPM.Note');
    expect(b.Size).toBeGreaterThan(0);
    expect(b.ParentFolderId.UniqueId).toBe((await Folder.Bind(alice, WellKnownFolderName.Inbox)).Id.UniqueId);
    expect(Math.abs(b.DateTimeReceived.TotalMilliSeconds - Date.now())).toBeLessThan(MINUTE);
    expect(ext(b, MARKER)).toBe('src-001');
    expect(ext(b, TAG_STRING)).toBe('tagged & "quoted"');
    expect(ext(b, NAMED_BY_ID)).toBe(42);
    expect(ext(b, NAMED_ARRAY)).toEqual(['alpha', 'beta', 'gamma']);
    expect(ext(b, NAMED_BOOL)).toBe(true);
    // The mapped MAPI tags read back what Exchange derives: unread draft = MSGFLAG_UNSENT only.
    expect(ext(b, PR_MESSAGE_FLAGS)).toBe(8);
    // AllProperties never carries extended properties unless asked for (as in Exchange).
    const plain = await EmailMessage.Bind(alice, m.Id);
    expect(plain.ExtendedProperties.Count).toBe(0);
  });

  it('creates contacts, tasks, posts, notes, journal entries and meetings and reads them back', async () => {
    const contact = new Contact(alice);
    contact.GivenName = 'Ann';
    contact.Surname = 'Lee';
    contact.FileAs = 'Lee, Ann';
    contact.CompanyName = esc('Lee & Sons');
    contact.JobTitle = 'CEO';
    contact.EmailAddresses._setItem(EmailAddressKey.EmailAddress1, new EmailAddress('ann@lee.test'));
    contact.EmailAddresses._setItem(EmailAddressKey.EmailAddress2, new EmailAddress('ann.private@home.test'));
    contact.PhoneNumbers._setItem(PhoneNumberKey.MobilePhone, '+49 170 1234567');
    await contact.Save(WellKnownFolderName.Contacts);
    const c = await Contact.Bind(alice, contact.Id);
    expect([c.GivenName, c.Surname, c.FileAs, c.CompanyName, c.JobTitle]).toEqual(['Ann', 'Lee', 'Lee, Ann', 'Lee & Sons', 'CEO']);
    expect(c.EmailAddresses._getItem(EmailAddressKey.EmailAddress1).Address).toBe('ann@lee.test');
    expect(c.EmailAddresses._getItem(EmailAddressKey.EmailAddress2).Address).toBe('ann.private@home.test');
    expect(c.PhoneNumbers._getItem(PhoneNumberKey.MobilePhone)).toBe('+49 170 1234567');
    expect(c.ItemClass).toBe('IPM.Contact');

    const task = new Task(alice);
    task.Subject = 'File the report';
    task.Status = TaskStatus.InProgress;
    task.PercentComplete = 50;
    task.StartDate = new DateTime(Date.UTC(2026, 0, 10));
    task.DueDate = new DateTime(Date.UTC(2026, 1, 1));
    await task.Save(WellKnownFolderName.Tasks);
    const t = await Task.Bind(alice, task.Id);
    expect([t.Subject, t.Status, t.PercentComplete, t.IsComplete]).toEqual(['File the report', TaskStatus.InProgress, 50, false]);
    expect(iso(t.StartDate)).toBe('2026-01-10T00:00:00.000Z');
    expect(iso(t.DueDate)).toBe('2026-02-01T00:00:00.000Z');

    const post = new PostItem(alice);
    post.Subject = 'Team post';
    post.Body = new MessageBody(BodyType.Text, 'Posted text');
    await post.Save(WellKnownFolderName.Inbox);
    const p = await PostItem.Bind(alice, post.Id);
    expect([p.Subject, p.ItemClass, p.Body.Text]).toEqual(['Team post', 'IPM.Post', 'Posted text']);

    // Notes (IPM.StickyNote) and journal entries (IPM.Activity) have no EWS type of their own:
    // Exchange answers them as the generic t:Item, so they are created as a t:Item too (an
    // EmailMessage with that ItemClass makes the client throw "The type of the object in the
    // store (Item) does not match that of the local object (Message)" on Save).
    for (const [folder, itemClass, subject] of [
      [WellKnownFolderName.Notes, 'IPM.StickyNote', 'Sticky note'],
      [WellKnownFolderName.Journal, 'IPM.Activity', 'Phone call with Ann'],
    ] as const) {
      const note = newItem(alice);
      note.ItemClass = itemClass;
      note.Subject = subject;
      note.Body = new MessageBody(BodyType.Text, `${subject} body`);
      await note.Save(folder);
      const n = await Item.Bind(alice, note.Id);
      expect(n.constructor.name).toBe('Item');
      expect([n.ItemClass, n.Subject, n.Body.Text]).toEqual([itemClass, subject, `${subject} body`]);
    }

    const meeting = new Appointment(alice);
    meeting.Subject = 'Kick-off';
    meeting.Start = new DateTime(Date.UTC(2026, 2, 2, 9));
    meeting.End = new DateTime(Date.UTC(2026, 2, 2, 10, 30));
    meeting.Location = 'Room 1';
    meeting.RequiredAttendees.Add(new Attendee('Bob Builder', BOB.smtp));
    meeting.OptionalAttendees.Add(new Attendee(CAROL.smtp));
    await meeting.Save(WellKnownFolderName.Calendar, SendInvitationsMode.SendToNone);
    const a = await Appointment.Bind(alice, meeting.Id);
    expect([a.Subject, a.Location, a.IsAllDayEvent, a.AppointmentType]).toEqual(['Kick-off', 'Room 1', false, AppointmentType.Single]);
    expect(iso(a.Start)).toBe('2026-03-02T09:00:00.000Z');
    expect(iso(a.End)).toBe('2026-03-02T10:30:00.000Z');
    expect(a.Organizer.Address).toBe(ALICE.smtp);
    expect(a.MyResponseType).toBe(MeetingResponseType.Organizer);
    expect(a.RequiredAttendees.GetEnumerator().map((x) => [x.Address, x.ResponseType])).toEqual([[BOB.smtp, MeetingResponseType.Unknown]]);
    expect(a.OptionalAttendees.GetEnumerator().map((x) => x.Address)).toEqual([CAROL.smtp]);

    const allDay = new Appointment(alice);
    allDay.Subject = 'Holiday';
    allDay.IsAllDayEvent = true;
    allDay.Start = new DateTime(Date.UTC(2026, 4, 1));
    allDay.End = new DateTime(Date.UTC(2026, 4, 2));
    await allDay.Save(WellKnownFolderName.Calendar, SendInvitationsMode.SendToNone);
    expect((await Appointment.Bind(alice, allDay.Id)).IsAllDayEvent).toBe(true);

    const calendar = await Folder.Bind(alice, WellKnownFolderName.Calendar);
    expect(calendar.TotalCount).toBe(2);
  });

  it('keeps every recurrence pattern and range: Daily/EndDate, Weekly/Numbered, AbsoluteMonthly/NoEnd, RelativeYearly', async () => {
    const start = new DateTime(Date.UTC(2026, 0, 5, 9));
    // The typings declare the pattern classes with no-argument constructors only: set properties.
    type Daily = InstanceType<typeof Recurrence.DailyPattern>;
    type Weekly = InstanceType<typeof Recurrence.WeeklyPattern>;
    type Monthly = InstanceType<typeof Recurrence.MonthlyPattern>;
    type RelYearly = InstanceType<typeof Recurrence.RelativeYearlyPattern>;
    const cases: [string, () => Recurrence, (r: Recurrence) => void][] = [
      [
        'daily',
        () => {
          const r = new Recurrence.DailyPattern();
          r.StartDate = start.Date;
          r.Interval = 2;
          r.EndDate = new DateTime(Date.UTC(2026, 1, 28));
          return r;
        },
        (r) => {
          expect(r).toBeInstanceOf(Recurrence.DailyPattern);
          // The client keeps Interval as the string it read.
          expect(Number((r as Daily).Interval)).toBe(2);
          expect(iso(r.EndDate)?.slice(0, 10)).toBe('2026-02-28');
        },
      ],
      [
        'weekly',
        () => {
          const r = new Recurrence.WeeklyPattern();
          r.StartDate = start.Date;
          r.Interval = 1;
          r.DaysOfTheWeek.AddRange([DayOfTheWeek.Monday, DayOfTheWeek.Wednesday]);
          r.NumberOfOccurrences = 10;
          return r;
        },
        (r) => {
          expect(r).toBeInstanceOf(Recurrence.WeeklyPattern);
          expect((r as Weekly).DaysOfTheWeek.GetEnumerator()).toEqual([DayOfTheWeek.Monday, DayOfTheWeek.Wednesday]);
          expect(Number(r.NumberOfOccurrences)).toBe(10);
        },
      ],
      [
        'monthly',
        () => {
          const r = new Recurrence.MonthlyPattern();
          r.StartDate = start.Date;
          r.Interval = 1;
          r.DayOfMonth = 15;
          r.NeverEnds();
          return r;
        },
        (r) => {
          expect(r).toBeInstanceOf(Recurrence.MonthlyPattern);
          expect(Number((r as Monthly).DayOfMonth)).toBe(15);
          expect(r.HasEnd).toBe(false);
        },
      ],
      [
        'yearly',
        () => {
          const r = new Recurrence.RelativeYearlyPattern();
          r.StartDate = start.Date;
          r.Month = Month.September;
          r.DayOfTheWeek = DayOfTheWeek.Monday;
          r.DayOfTheWeekIndex = DayOfTheWeekIndex.First;
          r.NumberOfOccurrences = 5;
          return r;
        },
        (r) => {
          const y = r as RelYearly;
          expect(r).toBeInstanceOf(Recurrence.RelativeYearlyPattern);
          expect([y.Month, y.DayOfTheWeek, y.DayOfTheWeekIndex, Number(y.NumberOfOccurrences)]).toEqual([
            Month.September,
            DayOfTheWeek.Monday,
            DayOfTheWeekIndex.First,
            5,
          ]);
        },
      ],
    ];
    const folder = await folderNamed(alice, 'Recurring', WellKnownFolderName.Calendar);
    for (const [name, make, check] of cases) {
      const appt = new Appointment(alice);
      appt.Subject = `Series ${name}`;
      appt.Start = start;
      appt.End = new DateTime(start.TotalMilliSeconds + 30 * MINUTE);
      appt.Recurrence = make();
      await appt.Save(folder.Id, SendInvitationsMode.SendToNone);
      const back = await Appointment.Bind(alice, appt.Id);
      expect(back.AppointmentType).toBe(AppointmentType.RecurringMaster);
      check(back.Recurrence);
    }
  });

  it('round-trips MIME byte-exact and derives headers and the mapped MAPI properties like Exchange', async () => {
    const mime = Buffer.from(
      [
        'Received: from mx.fabrikam.test by mx.contoso.test; Tue, 3 Mar 2026 08:15:07 +0100',
        'From: "Zoë Sender" <zoe@fabrikam.test>',
        `To: ${ALICE.smtp}, "Bob B." <${BOB.smtp}>`,
        `Cc: ${CAROL.smtp}`,
        `Subject: =?utf-8?B?${Buffer.from('Grüße aus Köln & mehr').toString('base64')}?=`,
        'Date: Tue, 03 Mar 2026 08:15:00 +0100',
        'Message-ID: <m1@fabrikam.test>',
        'Importance: high',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        'Grüße,',
        'Zoë',
        '',
      ].join('\r\n'),
      'utf8',
    );
    const delivered = Date.UTC(2026, 2, 3, 7, 15, 7);
    const m = new EmailMessage(alice);
    m.MimeContent = new MimeContent('UTF-8', mime.toString('base64'));
    m.SetExtendedProperty(PR_MESSAGE_DELIVERY_TIME, new DateTime(delivered));
    m.SetExtendedProperty(PR_MESSAGE_FLAGS, 1);
    m.SetExtendedProperty(PR_FLAG_STATUS, 2);
    m.SetExtendedProperty(MARKER, 'src-mime-1');
    await m.Save(WellKnownFolderName.Inbox);

    const b = await EmailMessage.Bind(
      alice,
      m.Id,
      new PropertySet(BasePropertySet.FirstClassProperties, [ItemSchema.MimeContent, PR_MESSAGE_FLAGS, MARKER]),
    );
    expect(Buffer.from(b.MimeContent.Content, 'base64').equals(mime)).toBe(true);
    expect(b.MimeContent.CharacterSet).toBe('UTF-8');
    expect(b.Size).toBe(mime.length);
    expect(b.Subject).toBe('Grüße aus Köln & mehr');
    expect([b.From.Name, b.From.Address]).toEqual(['Zoë Sender', 'zoe@fabrikam.test']);
    expect(b.ToRecipients.GetEnumerator().map((r) => r.Address)).toEqual([ALICE.smtp, BOB.smtp]);
    expect(b.CcRecipients.GetEnumerator().map((r) => r.Address)).toEqual([CAROL.smtp]);
    expect(b.InternetMessageId).toBe('<m1@fabrikam.test>');
    expect(b.Importance).toBe(Importance.High);
    expect(iso(b.DateTimeSent)).toBe('2026-03-03T07:15:00.000Z');
    expect(iso(b.DateTimeReceived)).toBe(new Date(delivered).toISOString());
    expect(b.IsRead).toBe(true);
    expect(b.IsDraft).toBe(false);
    expect(b.Flag.FlagStatus).toBe(ItemFlagStatus.Flagged);
    // XML end-of-line handling turns the MIME body's CRLF into LF on the client's side.
    expect(b.Body.Text.replace(/\r?\n/g, '\n').trim()).toBe('Grüße,\nZoë');
    expect(ext(b, PR_MESSAGE_FLAGS)).toBe(1);
    expect(ext(b, MARKER)).toBe('src-mime-1');

    // t:Flag exists from Exchange 2013 on; an Exchange 2010 SP2 client never sees it.
    const old = await EmailMessage.Bind(client(ALICE, server.url, ExchangeVersion.Exchange2010_SP2), m.Id);
    expect(old.Subject).toBe('Grüße aus Köln & mehr');
  });

  describe('a folder of 1,205 messages', () => {
    let bulk: Folder;
    let createMs = 0;
    beforeAll(async () => {
      bulk = await folderNamed(alice, 'Bulk');
      const started = performance.now();
      for (let from = 0; from < BULK_COUNT; from += BULK_BATCH) {
        const batch: EmailMessage[] = [];
        for (let n = from; n < Math.min(from + BULK_BATCH, BULK_COUNT); n++) {
          const m = new EmailMessage(alice);
          m.Subject = `Bulk ${n}`;
          m.SetExtendedProperty(PR_MESSAGE_DELIVERY_TIME, new DateTime(BULK_BASE + n * MINUTE));
          m.SetExtendedProperty(PR_MESSAGE_FLAGS, n % 3 === 0 ? 0 : 1);
          if (n % 100 === 7) m.SetExtendedProperty(MARKER, `bulk-key-${n}`);
          batch.push(m);
        }
        const res = await alice.CreateItems(batch, bulk.Id, MessageDisposition.SaveOnly, null as unknown as SendInvitationsMode);
        expect(res.Responses.every((r) => r.Result === ServiceResult.Success)).toBe(true);
      }
      createMs = performance.now() - started;
      console.info(`created ${BULK_COUNT} messages in batches of ${BULK_BATCH} in ${createMs.toFixed(0)} ms`);
    });

    it('keeps TotalCount and UnreadCount', async () => {
      const f = await Folder.Bind(alice, bulk.Id);
      expect(f.TotalCount).toBe(BULK_COUNT);
      expect(f.UnreadCount).toBe(Math.ceil(BULK_COUNT / 3));
    });

    it('cuts a page at the EWSFindCountLimit of 1000 and pages on from there', async () => {
      const view = new ItemView(1500);
      view.PropertySet = new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Subject, ItemSchema.DateTimeReceived]);
      const first = await alice.FindItems(bulk.Id, view);
      expect(first.Items).toHaveLength(FIND_COUNT_LIMIT);
      expect(first.TotalCount).toBe(BULK_COUNT);
      expect(first.MoreAvailable).toBe(true);
      expect(first.NextPageOffset).toBe(FIND_COUNT_LIMIT);
      // Default order: newest DateTimeReceived first.
      expect(first.Items[0]!.Subject).toBe(`Bulk ${BULK_COUNT - 1}`);

      const second = new ItemView(1500, first.NextPageOffset!);
      second.PropertySet = view.PropertySet;
      const rest = await alice.FindItems(bulk.Id, second);
      expect(rest.Items).toHaveLength(BULK_COUNT - FIND_COUNT_LIMIT);
      expect(rest.MoreAvailable).toBe(false);
      const all = new Set([...first.Items, ...rest.Items].map((i) => i.Subject));
      expect(all.size).toBe(BULK_COUNT);
    });

    it('pages with a smaller page size, oldest first by SortOrder', async () => {
      const pageSize = 500;
      const subjects: string[] = [];
      let offset = 0;
      let pages = 0;
      for (let more = true; more; pages++) {
        const view = new ItemView(pageSize, offset);
        view.PropertySet = new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Subject]);
        view.OrderBy.Add(ItemSchema.DateTimeReceived, 0 /* SortDirection.Ascending */);
        const page = await alice.FindItems(bulk.Id, view);
        subjects.push(...page.Items.map((i) => i.Subject));
        more = page.MoreAvailable;
        offset = page.NextPageOffset ?? offset;
      }
      expect(pages).toBe(3);
      expect(subjects).toEqual(Array.from({ length: BULK_COUNT }, (_, n) => `Bulk ${n}`));
    });

    it('restricts on DateTimeReceived (prestage cutoff and a window)', async () => {
      const view = new ItemView(1000);
      view.PropertySet = new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Subject]);
      const older = await alice.FindItems(
        bulk.Id,
        new SearchFilter.IsLessThan(ItemSchema.DateTimeReceived, new DateTime(BULK_BASE + 300 * MINUTE)),
        view,
      );
      expect(older.TotalCount).toBe(300);
      const window = new SearchFilter.SearchFilterCollection(LogicalOperator.And, [
        new SearchFilter.IsGreaterThanOrEqualTo(ItemSchema.DateTimeReceived, new DateTime(BULK_BASE + 100 * MINUTE)),
        new SearchFilter.IsLessThan(ItemSchema.DateTimeReceived, new DateTime(BULK_BASE + 200 * MINUTE)),
      ]);
      const mid = await alice.FindItems(bulk.Id, window, view);
      expect(mid.TotalCount).toBe(100);
      expect(mid.Items.map((i) => i.Subject)).toContain('Bulk 150');
      expect(mid.Items.map((i) => i.Subject)).not.toContain('Bulk 200');
    });

    it("finds the connector's own writes by a named extended property (Exists, IsEqualTo, Not, Or)", async () => {
      const view = new ItemView(100);
      view.PropertySet = new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Subject, MARKER]);
      const marked = await alice.FindItems(bulk.Id, new SearchFilter.Exists(MARKER), view);
      expect(marked.TotalCount).toBe(Math.ceil((BULK_COUNT - 7) / 100));
      expect(marked.Items.every((i) => String(ext(i, MARKER)).startsWith('bulk-key-'))).toBe(true);
      const one = await alice.FindItems(bulk.Id, new SearchFilter.IsEqualTo(MARKER, 'bulk-key-507'), view);
      expect(one.Items.map((i) => i.Subject)).toEqual(['Bulk 507']);
      const either = await alice.FindItems(
        bulk.Id,
        new SearchFilter.SearchFilterCollection(LogicalOperator.Or, [
          new SearchFilter.IsEqualTo(MARKER, 'bulk-key-7'),
          new SearchFilter.IsEqualTo(MARKER, 'bulk-key-1107'),
        ]),
        view,
      );
      expect(either.Items.map((i) => i.Subject).sort()).toEqual(['Bulk 1107', 'Bulk 7']);
      const unmarked = await alice.FindItems(bulk.Id, new SearchFilter.Not(new SearchFilter.Exists(MARKER)), new ItemView(1));
      expect(unmarked.TotalCount).toBe(BULK_COUNT - marked.TotalCount);
      // The read flag through its MAPI tag, as a restriction.
      const unread = await alice.FindItems(bulk.Id, new SearchFilter.IsEqualTo(PR_MESSAGE_FLAGS, 0), new ItemView(1));
      expect(unread.TotalCount).toBe(Math.ceil(BULK_COUNT / 3));
    });
  });

  it('syncs a folder in chunks, then incrementally after a create, an update, a read-flag change and a delete', async () => {
    const folder = await folderNamed(alice, 'SyncMe');
    const seed = await createUnread(folder.Id, 'Sync', 25);
    const shape = new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Subject]);

    let state: string | null = null;
    const created = new Map<string, string>();
    const chunkSizes: number[] = [];
    for (let more = true; more; ) {
      const changes: Awaited<ReturnType<ExchangeService['SyncFolderItems']>> = await alice.SyncFolderItems(
        folder.Id,
        shape,
        null as unknown as ItemId[],
        10,
        SyncFolderItemsScope.NormalItems,
        state as string,
      );
      chunkSizes.push(changes.Count);
      for (const c of changes.GetEnumerator()) {
        expect(c.ChangeType).toBe(ChangeType.Create);
        created.set(c.ItemId.UniqueId, c.Item.Subject);
      }
      state = changes.SyncState;
      more = changes.MoreChangesAvailable;
    }
    expect(chunkSizes).toEqual([10, 10, 5]);
    expect(created.size).toBe(25);

    // Nothing changed: an empty, complete answer.
    const idle = await alice.SyncFolderItems(
      folder.Id,
      shape,
      null as unknown as ItemId[],
      10,
      SyncFolderItemsScope.NormalItems,
      state as string,
    );
    expect([idle.Count, idle.MoreChangesAvailable]).toEqual([0, false]);

    const fresh = new EmailMessage(alice);
    fresh.Subject = 'Sync new';
    await fresh.Save(folder.Id);
    const [toUpdate, toRead, toDelete] = seed;
    const u = await EmailMessage.Bind(alice, toUpdate!.Id);
    u.Subject = 'Sync 0 (edited)';
    await u.Update(ConflictResolutionMode.AlwaysOverwrite);
    const r = await EmailMessage.Bind(alice, toRead!.Id);
    r.IsRead = true;
    await r.Update(ConflictResolutionMode.AlwaysOverwrite);
    await toDelete!.Delete(DeleteMode.HardDelete);

    const delta = await alice.SyncFolderItems(
      folder.Id,
      shape,
      null as unknown as ItemId[],
      512,
      SyncFolderItemsScope.NormalItems,
      state as string,
    );
    const seen = delta.GetEnumerator().map((c) => [ChangeType[c.ChangeType], c.ItemId.UniqueId]);
    expect(seen).toEqual([
      ['Create', fresh.Id.UniqueId],
      ['Update', toUpdate!.Id.UniqueId],
      ['ReadFlagChange', toRead!.Id.UniqueId],
      ['Delete', toDelete!.Id.UniqueId],
    ]);
    expect(delta._getItem(1).Item.Subject).toBe('Sync 0 (edited)');
    expect(delta._getItem(2).IsRead).toBe(true);
    expect(delta.MoreChangesAvailable).toBe(false);

    // A SyncState is bound to its folder: another folder's is refused.
    const err = await rejectionOf(
      alice.SyncFolderItems(
        new FolderId(WellKnownFolderName.Inbox),
        shape,
        null as unknown as ItemId[],
        10,
        SyncFolderItemsScope.NormalItems,
        delta.SyncState,
      ),
    );
    expect(ServiceError[(err as unknown as { ErrorCode: number }).ErrorCode]).toBe('ErrorInvalidSyncStateData');
  });

  it('syncs the folder hierarchy: everything first, then a create, a rename and a delete', async () => {
    const bob = client(BOB, server.url);
    const first = await bob.SyncFolderHierarchy(PropertySet.FirstClassProperties, null as unknown as string);
    const mbx = server.store.mailbox(BOB.smtp)!;
    expect(first.Count).toBe(mbx.folders.size - 1);
    expect(first.GetEnumerator().every((c) => c.ChangeType === ChangeType.Create)).toBe(true);
    expect(first.GetEnumerator().map((c) => c.Folder.DisplayName)).toEqual(
      expect.arrayContaining(['Inbox', 'Calendar', 'Top of Information Store']),
    );

    const added = await folderNamed(bob, 'Added');
    // Renames and deletes are seeded through the store (the server has no DeleteFolder).
    const inboxId = mbx.byDistinguished.get('junkemail')!;
    mbx.folders.get(inboxId)!.displayName = 'Spam';
    const outbox = mbx.byDistinguished.get('outbox')!;
    mbx.folders.delete(outbox);

    const delta = await bob.SyncFolderHierarchy(PropertySet.FirstClassProperties, first.SyncState);
    const seen = delta.GetEnumerator().map((c) => [ChangeType[c.ChangeType], c.FolderId?.UniqueId ?? c.Folder?.Id.UniqueId]);
    expect(seen.sort()).toEqual([
      ['Create', added.Id.UniqueId],
      ['Delete', outbox],
      ['Update', inboxId],
    ]);
    expect(delta.GetEnumerator().find((c) => c.ChangeType === ChangeType.Update)!.Folder.DisplayName).toBe('Spam');
    const idle = await bob.SyncFolderHierarchy(PropertySet.FirstClassProperties, delta.SyncState);
    expect(idle.Count).toBe(0);
  });

  it('updates IsRead, Flag, Categories and an extended property, deletes three ways, and keeps the folder counts', async () => {
    const folder = await folderNamed(alice, 'Counts');
    const made = await createUnread(folder.Id, 'Count', 4);
    const counts = async (id: FolderId): Promise<[number, number]> => {
      const f = await Folder.Bind(alice, id);
      return [f.TotalCount, f.UnreadCount];
    };
    expect(await counts(folder.Id)).toEqual([4, 4]);

    const m = await EmailMessage.Bind(alice, made[0]!.Id);
    const before = m.Id.ChangeKey;
    m.IsRead = true;
    m.Categories = new StringList(['Done']);
    m.Flag = new Flag();
    m.Flag.FlagStatus = ItemFlagStatus.Flagged;
    m.SetExtendedProperty(MARKER, 'updated-key');
    await m.Update(ConflictResolutionMode.AlwaysOverwrite);
    const back = await EmailMessage.Bind(alice, m.Id, new PropertySet(BasePropertySet.FirstClassProperties, [MARKER, PR_FLAG_STATUS]));
    expect(back.IsRead).toBe(true);
    expect(back.Categories.GetEnumerator()).toEqual(['Done']);
    expect(back.Flag.FlagStatus).toBe(ItemFlagStatus.Flagged);
    expect(ext(back, PR_FLAG_STATUS)).toBe(2);
    expect(ext(back, MARKER)).toBe('updated-key');
    expect(back.Id.ChangeKey).not.toBe(before);
    expect(back.Id.UniqueId).toBe(m.Id.UniqueId);
    expect(await counts(folder.Id)).toEqual([4, 3]);

    const deletedBefore = (await counts(new FolderId(WellKnownFolderName.DeletedItems)))[0];
    await made[1]!.Delete(DeleteMode.MoveToDeletedItems);
    await made[2]!.Delete(DeleteMode.SoftDelete);
    await made[3]!.Delete(DeleteMode.HardDelete);
    expect(await counts(folder.Id)).toEqual([1, 0]);
    expect((await counts(new FolderId(WellKnownFolderName.DeletedItems)))[0]).toBe(deletedBefore + 1);
    // A moved item has a new id: the old one is gone.
    const gone = await rejectionOf(EmailMessage.Bind(alice, made[1]!.Id));
    expect(ServiceError[(gone as unknown as { ErrorCode: number }).ErrorCode]).toBe('ErrorItemNotFound');

    // Calendar items and tasks need their extra DeleteItem attributes, as in Exchange.
    const task = new Task(alice);
    task.Subject = 'to delete';
    await task.Save(WellKnownFolderName.Tasks);
    const noAttr = await alice.DeleteItems(
      [task.Id],
      DeleteMode.HardDelete,
      null as unknown as SendCancellationsMode,
      null as unknown as AffectedTaskOccurrence,
    );
    expect(ServiceError[noAttr.Responses[0]!.ErrorCode]).toBe('ErrorAffectedTaskOccurrencesRequired');
    await alice.DeleteItems(
      [task.Id],
      DeleteMode.HardDelete,
      null as unknown as SendCancellationsMode,
      AffectedTaskOccurrence.AllOccurrences,
    );
    const res = await alice.DeleteItems(
      [task.Id],
      DeleteMode.HardDelete,
      null as unknown as SendCancellationsMode,
      AffectedTaskOccurrence.AllOccurrences,
    );
    expect(ServiceError[res.Responses[0]!.ErrorCode]).toBe('ErrorItemNotFound');
  });

  it('answers GetItem for many ids with one response each: ErrorItemNotFound for the missing one only', async () => {
    const a = new EmailMessage(alice);
    a.Subject = 'present';
    await a.Save(WellKnownFolderName.Drafts);
    const missing = new ItemId(encodeItemId(ALICE.smtp, 'no-such-item'));
    const res = await alice.BindToItems([a.Id, missing, a.Id], new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Subject]));
    expect(res.Responses.map((r) => r.Result)).toEqual([ServiceResult.Success, ServiceResult.Error, ServiceResult.Success]);
    expect(ServiceError[res.Responses[1]!.ErrorCode]).toBe('ErrorItemNotFound');
    expect(res.Responses[2]!.Item.Subject).toBe('present');
    // Another user's item without FullAccess: access denied, not found.
    const err = await rejectionOf(EmailMessage.Bind(client(BOB, server.url), a.Id));
    expect(ServiceError[(err as unknown as { ErrorCode: number }).ErrorCode]).toBe('ErrorAccessDenied');
  });

  it('refuses an item over the size limit with ErrorMessageSizeExceeded, per item in a batch', async () => {
    const limit = 20_000;
    setMaxMessageBytes(server.store, limit);
    try {
      const big = new EmailMessage(alice);
      big.Subject = 'big';
      big.MimeContent = new MimeContent('UTF-8', Buffer.from(`Subject: big\r\n\r\n${'x'.repeat(limit)}\r\n`).toString('base64'));
      const small = new EmailMessage(alice);
      small.Subject = 'small';
      const res = await alice.CreateItems(
        [big, small],
        new FolderId(WellKnownFolderName.Inbox),
        MessageDisposition.SaveOnly,
        null as unknown as SendInvitationsMode,
      );
      expect(res.Responses.map((r) => ServiceError[r.ErrorCode])).toEqual(['ErrorMessageSizeExceeded', 'NoError']);
    } finally {
      setMaxMessageBytes(server.store, DEFAULT_MAX_MESSAGE_BYTES);
    }
  });

  describe('ExportItems → UploadItems (hand-built SOAP: ews-javascript-api 0.15.3 has neither)', () => {
    const ids: Record<string, string> = {};
    let exceptionId = '';
    beforeAll(async () => {
      const carol = client(CAROL, server.url);
      const mime = Buffer.from(
        `From: zoe@fabrikam.test\r\nTo: ${CAROL.smtp}\r\nSubject: exported mime\r\nDate: Mon, 02 Feb 2026 10:00:00 +0000\r\nMessage-ID: <x1@fabrikam.test>\r\n\r\nbody\r\n`,
      );
      const m = new EmailMessage(carol);
      m.MimeContent = new MimeContent('UTF-8', mime.toString('base64'));
      m.SetExtendedProperty(PR_MESSAGE_DELIVERY_TIME, new DateTime(Date.UTC(2026, 1, 2, 10, 0, 5)));
      m.SetExtendedProperty(PR_MESSAGE_FLAGS, 1);
      m.SetExtendedProperty(PR_FLAG_STATUS, 1);
      m.SetExtendedProperty(MARKER, 'exp-1');
      m.SetExtendedProperty(NAMED_ARRAY, ['k1', 'k2']);
      m.SetExtendedProperty(NAMED_BY_ID, 7);
      m.Categories = new StringList(['Blue']);
      await m.Save(WellKnownFolderName.Inbox);
      ids['mime message'] = m.Id.UniqueId;

      const typed = new EmailMessage(carol);
      typed.Subject = esc('typed & "quoted"');
      typed.Body = new MessageBody(BodyType.HTML, esc('<p>hi</p>'));
      typed.ToRecipients.Add(new EmailAddress('Ann', 'ann@lee.test'));
      typed.Importance = Importance.Low;
      typed.SetExtendedProperty(TAG_STRING, 'tag');
      typed.SetExtendedProperty(NAMED_BOOL, false);
      await typed.Save(WellKnownFolderName.Drafts);
      ids['typed message'] = typed.Id.UniqueId;

      const contact = new Contact(carol);
      contact.GivenName = 'Ann';
      contact.Surname = 'Lee';
      contact.EmailAddresses._setItem(EmailAddressKey.EmailAddress1, new EmailAddress('ann@lee.test'));
      contact.PhoneNumbers._setItem(PhoneNumberKey.BusinessPhone, '+1 555 0100');
      await contact.Save(WellKnownFolderName.Contacts);
      ids['contact'] = contact.Id.UniqueId;

      const task = new Task(carol);
      task.Subject = 'exported task';
      task.Status = TaskStatus.Completed;
      task.PercentComplete = 100;
      task.DueDate = new DateTime(Date.UTC(2026, 3, 1));
      await task.Save(WellKnownFolderName.Tasks);
      ids['task'] = task.Id.UniqueId;

      const note = newItem(carol);
      note.ItemClass = 'IPM.StickyNote';
      note.Subject = 'note';
      note.Body = new MessageBody(BodyType.Text, 'yellow');
      await note.Save(WellKnownFolderName.Notes);
      ids['note'] = note.Id.UniqueId;

      const post = new PostItem(carol);
      post.Subject = 'post';
      post.Body = new MessageBody(BodyType.Text, 'posted');
      await post.Save(WellKnownFolderName.Inbox);
      ids['post'] = post.Id.UniqueId;

      const series = new Appointment(carol);
      series.Subject = 'Weekly sync';
      series.Start = new DateTime(Date.UTC(2026, 0, 5, 9));
      series.End = new DateTime(Date.UTC(2026, 0, 5, 9, 30));
      series.Location = 'Room 7';
      series.RequiredAttendees.Add(new Attendee('Bob', BOB.smtp));
      series.OptionalAttendees.Add(new Attendee(ALICE.smtp));
      const weekly = new Recurrence.WeeklyPattern();
      weekly.StartDate = series.Start.Date;
      weekly.Interval = 1;
      weekly.DaysOfTheWeek.Add(DayOfTheWeek.Monday);
      weekly.NumberOfOccurrences = 8;
      series.Recurrence = weekly;
      await series.Save(WellKnownFolderName.Calendar, SendInvitationsMode.SendToNone);
      ids['recurring meeting'] = series.Id.UniqueId;
      // Exceptions are seeded through the store API (the server does not expand occurrences).
      const mbx = server.store.mailbox(CAROL.smtp)!;
      const master = itemStorage(mbx).byId.get(series.Id.UniqueId)!;
      exceptionId = addException(server.store, mbx, master, {
        originalStart: '2026-01-12T09:00:00Z',
        start: '2026-01-13T14:00:00Z',
        end: '2026-01-13T15:00:00Z',
        fieldsXml: '<t:Subject>Weekly sync (moved)</t:Subject><t:Location>Room 9</t:Location>',
      }).id;
      deleteOccurrence(server.store, mbx, master, '2026-01-19T09:00:00Z');
    });

    it('exports every item type and uploads it into another mailbox with identical fields (except ids)', async () => {
      const names = Object.keys(ids);
      const exported = await soap(
        server.url,
        CAROL,
        'Exchange2010_SP1',
        `<m:ExportItems><m:ItemIds>${names.map((n) => `<t:ItemId Id="${ids[n]}"/>`).join('')}</m:ItemIds></m:ExportItems>`,
      );
      const msgs = responseMessages(exported);
      expect(msgs.map(code)).toEqual(names.map(() => 'NoError'));
      expect(msgs.map((m) => child(m, NS.messages, 'ItemId')!.attrs['Id'])).toEqual(names.map((n) => ids[n]));

      const bobMbx = server.store.mailbox(BOB.smtp)!;
      const target = bobMbx.byDistinguished.get('inbox')!;
      const uploaded = await soap(
        server.url,
        BOB,
        'Exchange2013',
        `<m:UploadItems><m:Items>${msgs
          .map(
            (m) =>
              `<t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${target}"/><t:Data>${child(m, NS.messages, 'Data')!.text}</t:Data></t:Item>`,
          )
          .join('')}</m:Items></m:UploadItems>`,
      );
      const ups = responseMessages(uploaded);
      expect(ups.map(code)).toEqual(names.map(() => 'NoError'));
      const newIds = ups.map((u) => child(u, NS.messages, 'ItemId')!.attrs['Id']!);
      expect(new Set([...newIds, ...names.map((n) => ids[n])]).size).toBe(names.length * 2);

      for (const [n, name] of names.entries()) {
        const source = await rawItem(server.url, CAROL, ids[name]!);
        const copy = await rawItem(server.url, BOB, newIds[n]!);
        expect(withoutIds(copy), name).toBe(withoutIds(source));
      }

      // The exception travelled with its master, with its own fields.
      const bob = client(BOB, server.url);
      const master = await Appointment.Bind(bob, new ItemId(newIds[names.indexOf('recurring meeting')]!));
      expect(master.ModifiedOccurrences.GetEnumerator().map((o) => [iso(o.OriginalStart), iso(o.Start)])).toEqual([
        ['2026-01-12T09:00:00.000Z', '2026-01-13T14:00:00.000Z'],
      ]);
      expect(master.DeletedOccurrences.GetEnumerator().map((o) => iso(o.OriginalStart))).toEqual(['2026-01-19T09:00:00.000Z']);
      expect(master.RequiredAttendees.GetEnumerator().map((x) => x.Address)).toEqual([BOB.smtp]);
      const exceptionCopy = master.ModifiedOccurrences._getItem(0).ItemId.UniqueId;
      expect(exceptionCopy).not.toBe(exceptionId);
      expect(withoutIds(await rawItem(server.url, BOB, exceptionCopy))).toBe(withoutIds(await rawItem(server.url, CAROL, exceptionId)));
      const ex = await Appointment.Bind(bob, new ItemId(exceptionCopy));
      expect([ex.Subject, ex.Location, ex.AppointmentType]).toEqual(['Weekly sync (moved)', 'Room 9', AppointmentType.Exception]);
    });

    it('uploads with CreateAction Update and UpdateOrCreate, IsAssociated, and the size limit', async () => {
      const carolMbx = server.store.mailbox(CAROL.smtp)!;
      const inbox = carolMbx.byDistinguished.get('inbox')!;
      const exp = await soap(
        server.url,
        CAROL,
        'Exchange2016',
        `<m:ExportItems><m:ItemIds><t:ItemId Id="${ids['typed message']}"/></m:ItemIds></m:ExportItems>`,
      );
      const data = child(responseMessages(exp)[0]!, NS.messages, 'Data')!.text;
      const post = (items: string): Promise<XmlElement> =>
        soap(server.url, CAROL, 'Exchange2016', `<m:UploadItems><m:Items>${items}</m:Items></m:UploadItems>`);
      const item = (action: string, idXml = '', attrs = ''): string =>
        `<t:Item CreateAction="${action}"${attrs}><t:ParentFolderId Id="${inbox}"/>${idXml}<t:Data>${data}</t:Data></t:Item>`;

      const res = responseMessages(
        await post(
          item('Update', `<t:ItemId Id="${ids['mime message']}"/>`) +
            item('Update', `<t:ItemId Id="${encodeItemId(CAROL.smtp, 'gone')}"/>`) +
            item('UpdateOrCreate', `<t:ItemId Id="${encodeItemId(CAROL.smtp, 'gone')}"/>`) +
            item('CreateNew', '', ' IsAssociated="true"'),
        ),
      );
      expect(res.map(code)).toEqual(['NoError', 'ErrorItemNotFound', 'NoError', 'NoError']);
      expect(child(res[0]!, NS.messages, 'ItemId')!.attrs['Id']).toBe(ids['mime message']);
      const updated = await EmailMessage.Bind(client(CAROL, server.url), new ItemId(ids['mime message']!));
      expect(updated.Subject).toBe('typed & "quoted"');

      const associated = child(res[3]!, NS.messages, 'ItemId')!.attrs['Id']!;
      const carol = client(CAROL, server.url);
      const view = new ItemView(10);
      view.Traversal = 2 /* ItemTraversal.Associated */;
      const fai = await carol.FindItems(WellKnownFolderName.Inbox, view);
      expect(fai.Items.map((i) => i.Id.UniqueId)).toEqual([associated]);

      setMaxMessageBytes(server.store, 100);
      try {
        expect(responseMessages(await post(item('CreateNew'))).map(code)).toEqual(['ErrorMessageSizeExceeded']);
      } finally {
        setMaxMessageBytes(server.store, DEFAULT_MAX_MESSAGE_BYTES);
      }
    });

    it('refuses ExportItems and UploadItems before Exchange2010_SP1', async () => {
      const old = await soap(
        server.url,
        CAROL,
        'Exchange2010',
        `<m:ExportItems><m:ItemIds><t:ItemId Id="${ids['note']}"/></m:ItemIds></m:ExportItems>`,
      );
      expect(responseMessages(old).map(code)).toEqual(['ErrorInvalidServerVersion']);
      const bad = await soap(
        server.url,
        CAROL,
        'Exchange2013',
        `<m:UploadItems><m:Items><t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${server.store.mailbox(CAROL.smtp)!.byDistinguished.get('inbox')}"/><t:Data>${Buffer.from('not ours').toString('base64')}</t:Data></t:Item></m:Items></m:UploadItems>`,
      );
      expect(responseMessages(bad).map(code)).toEqual(['ErrorInvalidRequest']);
      void childrenNamed;
    });
  });

  it('seeds items through the store API (no SOAP), visible to the client like created ones', async () => {
    const dave = { smtp: 'dave@contoso.test', password: 'dave-pw' };
    server.store.addPrincipal({ ...dave, fullAccess: false, impersonation: false });
    const received = Date.UTC(2024, 5, 1, 12);
    const seeded = seedMessage(server.store, dave.smtp, 'inbox', `From: a@b.test\r\nTo: ${dave.smtp}\r\nSubject: seeded\r\n\r\nhello\r\n`, {
      received,
      isRead: false,
      flag: 'Flagged',
      categories: ['Seed'],
      extended: [{ uri: { setId: MARKER_SET, name: 'MailferrySourceKey', type: 'String' }, value: 'seed-1' }],
    });
    seedItem(
      server.store,
      dave.smtp,
      'calendar',
      // Start/End given with an offset come back in UTC; a string that looks like a date stays as it is.
      '<t:CalendarItem><t:Subject>Seeded meeting</t:Subject><t:Start>2026-06-01T10:00:00+02:00</t:Start><t:End>2026-06-01T09:00:00Z</t:End>' +
        '<t:Location>2026-06-01T10:00:00+02:00</t:Location></t:CalendarItem>',
    );
    const svc = client(dave, server.url);
    const found = await svc.FindItems(WellKnownFolderName.Inbox, new SearchFilter.IsEqualTo(MARKER, 'seed-1'), new ItemView(10));
    expect(found.Items.map((i) => i.Id.UniqueId)).toEqual([seeded.id]);
    const m = await EmailMessage.Bind(svc, new ItemId(seeded.id));
    expect([m.Subject, m.IsRead, m.Flag.FlagStatus, iso(m.DateTimeReceived), m.From.Address]).toEqual([
      'seeded',
      false,
      ItemFlagStatus.Flagged,
      new Date(received).toISOString(),
      'a@b.test',
    ]);
    expect(m.Categories.GetEnumerator()).toEqual(['Seed']);
    const inbox = await Folder.Bind(svc, WellKnownFolderName.Inbox);
    expect([inbox.TotalCount, inbox.UnreadCount]).toEqual([1, 1]);
    const cal = await svc.FindItems(WellKnownFolderName.Calendar, new ItemView(10));
    expect(cal.Items.map((i) => i.Subject)).toEqual(['Seeded meeting']);
    const appt = await Appointment.Bind(svc, cal.Items[0]!.Id);
    expect([iso(appt.Start), appt.Location]).toEqual(['2026-06-01T08:00:00.000Z', '2026-06-01T10:00:00+02:00']);
    expect(storedItem(server.store, seeded.id)?.size).toBe(seeded.size);
  });

  it('schema-checked every request and response of this suite', () => {
    const v = server.validation;
    expect(v.requestFailures).toEqual([]);
    expect(v.responseFailures).toEqual([]);
    expect(v.responsesValidated).toBe(v.requestsValidated - v.faults);
    expect(v.requestsValidated).toBeGreaterThan(BULK_COUNT / BULK_BATCH + 50);
  });
});
