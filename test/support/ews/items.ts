/**
 * The EWS test server's items: typed items stored per mailbox and folder, read from and written
 * to the wire in types.xsd's element order.
 *
 * Model. Each item keeps
 *  - the properties Exchange computes or derives (ids, ItemClass, DateTimeReceived/Sent/Created,
 *    LastModifiedTime, Size, IsRead, IsDraft, Flag, MimeContent, extended properties,
 *    IsAssociated, and for calendar masters their exceptions and deleted occurrences) as typed
 *    fields, and
 *  - every other property the client sent (Subject, Body, recipients, Categories, Importance,
 *    Start/End, Recurrence, attendees, contact and task fields, time zones, …) as a small
 *    namespace-free element tree (`XNode`) keyed by its types.xsd element name, so any field of any
 *    item type round-trips without this file naming it.
 * Output order comes from types.xsd itself (the `ItemType` sequence plus the item type's
 * extension), read once at load, so responses follow the schema's order by construction.
 *
 * Which EWS element an item is returned as follows its ItemClass, like Exchange: IPM.Note* →
 * Message, IPM.Appointment* → CalendarItem, IPM.Contact → Contact, IPM.Task → Task, IPM.Post →
 * PostItem, IPM.DistList → DistributionList, anything else (IPM.StickyNote notes, IPM.Activity
 * journal entries, …) → the generic `t:Item`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mailbox, MailboxStore, StoredFolder } from './mailbox-store.js';
import { defaultSchemaDir } from './schema-validator.js';
import { NS, type XmlElement, child, escapeXml, parseXml } from './xml.js';

// ───────────────────────────── element order from types.xsd ─────────────────────────────

export type ItemElement = 'Item' | 'Message' | 'CalendarItem' | 'Contact' | 'Task' | 'PostItem' | 'DistributionList';

const TYPE_OF: Record<ItemElement, string> = {
  Item: 'ItemType',
  Message: 'MessageType',
  CalendarItem: 'CalendarItemType',
  Contact: 'ContactItemType',
  Task: 'TaskType',
  PostItem: 'PostItemType',
  DistributionList: 'DistributionListType',
};

let schemaTypes: Map<string, XmlElement> | undefined;

function complexTypes(): Map<string, XmlElement> {
  if (!schemaTypes) {
    const xsd = parseXml(readFileSync(join(defaultSchemaDir(), 'types.xsd'), 'utf8'));
    schemaTypes = new Map();
    for (const el of xsd.children) if (el.local === 'complexType' && el.attrs['name']) schemaTypes.set(el.attrs['name'], el);
  }
  return schemaTypes;
}

function sequenceNames(typeName: string): string[] {
  const type = complexTypes().get(typeName);
  if (!type) throw new Error(`types.xsd has no complexType ${typeName}`);
  const ext = child(child(type, 'http://www.w3.org/2001/XMLSchema', 'complexContent'), 'http://www.w3.org/2001/XMLSchema', 'extension');
  const base = ext ? sequenceNames(ext.attrs['base']!.replace(/^t:/, '')) : [];
  const seq = child(ext ?? type, 'http://www.w3.org/2001/XMLSchema', 'sequence');
  return [...base, ...(seq?.children ?? []).filter((e) => e.local === 'element').map((e) => e.attrs['name']!)];
}

const orderCache = new Map<ItemElement, string[]>();
/** The child element names of `t:<element>` in schema order. */
export function elementOrder(element: ItemElement): string[] {
  let order = orderCache.get(element);
  if (!order) {
    order = sequenceNames(TYPE_OF[element]);
    orderCache.set(element, order);
  }
  return order;
}

export function elementForClass(itemClass: string): ItemElement {
  const c = itemClass.toLowerCase();
  const is = (p: string): boolean => c === p || c.startsWith(`${p}.`);
  if (is('ipm.note') || is('report.ipm.note') || c === 'ipm') return 'Message';
  if (is('ipm.appointment')) return 'CalendarItem';
  if (is('ipm.contact')) return 'Contact';
  if (is('ipm.task')) return 'Task';
  if (is('ipm.post')) return 'PostItem';
  if (is('ipm.distlist')) return 'DistributionList';
  return 'Item';
}

const DEFAULT_CLASS: Record<string, string> = {
  Item: 'IPM.Note',
  Message: 'IPM.Note',
  CalendarItem: 'IPM.Appointment',
  Contact: 'IPM.Contact',
  Task: 'IPM.Task',
  PostItem: 'IPM.Post',
  DistributionList: 'IPM.DistList',
};

export const CREATABLE_ELEMENTS = new Set(Object.keys(DEFAULT_CLASS));

// ───────────────────────────── element trees ─────────────────────────────

/** A types-namespace element without its namespace: name, attributes, text or children. */
export interface XNode {
  n: string;
  a?: Record<string, string>;
  t?: string;
  c?: XNode[];
}

const ISO_DATE_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** Exchange answers dateTimes in UTC to the second (`2026-01-05T09:00:00Z`). */
export function ewsDateTime(value: string | number | Date): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error(`not a date: ${String(value)}`);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** types.xsd elements of type xs:dateTime that items carry (Exchange answers them in UTC). */
const DATE_TIME_ELEMENTS = new Set([
  'Start',
  'End',
  'OriginalStart',
  'DueDate',
  'StartDate',
  'CompleteDate',
  'AssignedTime',
  'ReminderDueBy',
  'ReminderNextTime',
  'Birthday',
  'WeddingAnniversary',
  'LastResponseTime',
  'ProposedStart',
  'ProposedEnd',
  'AppointmentReplyTime',
  'RecurrenceId',
  'DateTimeStamp',
  'StartWallClock',
  'EndWallClock',
]);

export function toNode(el: XmlElement): XNode {
  const node: XNode = { n: el.local };
  const attrs = Object.entries(el.attrs).filter(([k]) => !k.includes(':'));
  if (attrs.length) node.a = Object.fromEntries(attrs);
  if (el.children.length) node.c = el.children.map(toNode);
  else if (el.text !== '') {
    const v = el.text.trim();
    node.t = DATE_TIME_ELEMENTS.has(el.local) && ISO_DATE_TIME.test(v) ? ewsDateTime(v) : el.text;
  }
  return node;
}

export function nodeXml(node: XNode): string {
  const attrs = Object.entries(node.a ?? {})
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  const inner = node.c ? node.c.map(nodeXml).join('') : escapeXml(node.t ?? '');
  return inner === '' ? `<t:${node.n}${attrs}/>` : `<t:${node.n}${attrs}>${inner}</t:${node.n}>`;
}

export function nodeChild(node: XNode | undefined, name: string): XNode | undefined {
  return node?.c?.find((c) => c.n === name);
}

function leaf(n: string, t: string): XNode {
  return { n, t };
}

// ───────────────────────────── extended properties ─────────────────────────────

export interface ExtendedUri {
  /** PropertyTag as a number (hex or decimal on the wire). */
  tag?: number;
  /** PropertySetId (lower-case GUID) or DistinguishedPropertySetId. */
  setId?: string;
  distinguishedSet?: string;
  name?: string;
  id?: number;
  type: string;
}

export interface ExtendedProp {
  uri: ExtendedUri;
  value?: string;
  values?: string[];
}

export function readExtendedUri(el: XmlElement): ExtendedUri {
  const a = el.attrs;
  const uri: ExtendedUri = { type: a['PropertyType']! };
  if (a['PropertyTag'] !== undefined) {
    const t = a['PropertyTag'].trim();
    uri.tag = /^0x/i.test(t) ? parseInt(t.slice(2), 16) : Number(t);
  }
  if (a['PropertySetId'] !== undefined) uri.setId = a['PropertySetId'].toLowerCase();
  if (a['DistinguishedPropertySetId'] !== undefined) uri.distinguishedSet = a['DistinguishedPropertySetId'];
  if (a['PropertyName'] !== undefined) uri.name = a['PropertyName'];
  if (a['PropertyId'] !== undefined) uri.id = Number(a['PropertyId']);
  return uri;
}

/** Identity of an extended property (its type is not part of it, as in MAPI named properties). */
export function extendedKey(u: ExtendedUri): string {
  if (u.tag !== undefined) return `tag:${u.tag}`;
  return `set:${u.setId ?? u.distinguishedSet}:${u.name !== undefined ? `name:${u.name}` : `id:${u.id}`}`;
}

export function extendedUriXml(u: ExtendedUri): string {
  const attrs: string[] = [];
  if (u.distinguishedSet !== undefined) attrs.push(`DistinguishedPropertySetId="${u.distinguishedSet}"`);
  if (u.setId !== undefined) attrs.push(`PropertySetId="${u.setId}"`);
  if (u.tag !== undefined) attrs.push(`PropertyTag="0x${u.tag.toString(16)}"`);
  if (u.name !== undefined) attrs.push(`PropertyName="${escapeXml(u.name)}"`);
  if (u.id !== undefined) attrs.push(`PropertyId="${u.id}"`);
  attrs.push(`PropertyType="${u.type}"`);
  return `<t:ExtendedFieldURI ${attrs.join(' ')}/>`;
}

function extendedXml(p: ExtendedProp): string {
  const value = p.values
    ? `<t:Values>${p.values.map((v) => `<t:Value>${escapeXml(v)}</t:Value>`).join('')}</t:Values>`
    : `<t:Value>${escapeXml(p.value ?? '')}</t:Value>`;
  return `<t:ExtendedProperty>${extendedUriXml(p.uri)}${value}</t:ExtendedProperty>`;
}

/** MAPI tags Exchange maps onto first-class EWS properties (reading or writing them is the same). */
export const PR_CLIENT_SUBMIT_TIME = 0x0039;
export const PR_MESSAGE_DELIVERY_TIME = 0x0e06;
export const PR_MESSAGE_FLAGS = 0x0e07;
export const PR_FLAG_STATUS = 0x1090;
const MSGFLAG_READ = 0x1;
const MSGFLAG_UNSENT = 0x8;
const MAPPED_TAGS = new Set([PR_CLIENT_SUBMIT_TIME, PR_MESSAGE_DELIVERY_TIME, PR_MESSAGE_FLAGS, PR_FLAG_STATUS]);
const FLAG_STATUS_FOLLOWUP_COMPLETE = 1;
const FLAG_STATUS_FOLLOWUP_FLAGGED = 2;

// ───────────────────────────── the item model ─────────────────────────────

export interface ItemFlag {
  status: 'NotFlagged' | 'Flagged' | 'Complete';
  start?: string;
  due?: string;
  complete?: string;
}

export interface StoredItem {
  id: string;
  changeKey: string;
  folderId: string;
  itemClass: string;
  /** Properties stored as sent, by types.xsd element name. */
  fields: Map<string, XNode>;
  extended: ExtendedProp[];
  mime?: { bytes: Buffer; charset?: string };
  received: string;
  sent?: string;
  created: string;
  lastModified: string;
  isRead: boolean;
  isDraft: boolean;
  flag?: ItemFlag;
  isAssociated: boolean;
  /** Changed since it was created (IsUnmodified is its negation). */
  modified: boolean;
  size: number;
  /** Calendar masters: exception items (stored in the mailbox too) and deleted occurrences (original starts). */
  exceptionIds: string[];
  deletedOccurrences: string[];
  /** Set on an exception: its master's id and the occurrence start it replaces. */
  masterId?: string;
  originalStart?: string;
  /** Change-tracking sequence numbers (mailbox-wide counter) for SyncFolderItems. */
  seqCreated: number;
  seqContent: number;
  seqRead: number;
  /** Insertion order, the tie-breaker for sorts. */
  order: number;
}

export function itemElement(item: StoredItem): ItemElement {
  return elementForClass(item.itemClass);
}

const ITEM_ID_PREFIX = 'mf-ews-item';
const CHANGE_KEY_BYTES = 8;

/** Item ids are opaque base64 like Exchange's, but decodable (mailbox + key) like folder ids. */
export function encodeItemId(smtp: string, key: string): string {
  return Buffer.from(`${ITEM_ID_PREFIX}\n${smtp}\n${key}`, 'utf8').toString('base64');
}

export function decodeItemId(id: string): { smtp: string; key: string } | undefined {
  const parts = Buffer.from(id, 'base64').toString('utf8').split('\n');
  if (parts.length !== 3 || parts[0] !== ITEM_ID_PREFIX) return undefined;
  return { smtp: parts[1]!, key: parts[2]! };
}

function newChangeKey(): string {
  return randomBytes(CHANGE_KEY_BYTES).toString('base64');
}

/** What applying request elements to an item yields besides the item itself. */
export class ItemInputError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Elements Exchange computes; a client cannot set them (they are ignored on input). */
const READ_ONLY = new Set([
  'ItemId',
  'ParentFolderId',
  'DateTimeReceived',
  'Size',
  'IsSubmitted',
  'IsDraft',
  'IsFromMe',
  'IsResend',
  'IsUnmodified',
  'DateTimeCreated',
  'DateTimeSent',
  'ResponseObjects',
  'DisplayCc',
  'DisplayTo',
  'DisplayBcc',
  'HasAttachments',
  'EffectiveRights',
  'LastModifiedName',
  'LastModifiedTime',
  'ConversationId',
  'UniqueBody',
  'ModifiedOccurrences',
  'DeletedOccurrences',
  'CalendarItemType',
  'IsRecurring',
  'FirstOccurrence',
  'LastOccurrence',
  'MyResponseType',
  'IsMeeting',
  'IsComplete',
  'PostedTime',
  'InstanceKey',
  'StoreEntryId',
  'ConflictingMeetingCount',
  'AdjacentMeetingCount',
  'ConflictingMeetings',
  'AdjacentMeetings',
]);

/** Builds a fresh (unsaved) item: the caller gives it an id and inserts it. */
export function blankItem(itemClass: string, now: string): StoredItem {
  return {
    id: '',
    changeKey: newChangeKey(),
    folderId: '',
    itemClass,
    fields: new Map(),
    extended: [],
    received: now,
    created: now,
    lastModified: now,
    isRead: true,
    isDraft: false,
    isAssociated: false,
    modified: false,
    size: 0,
    exceptionIds: [],
    deletedOccurrences: [],
    seqCreated: 0,
    seqContent: 0,
    seqRead: 0,
    order: 0,
  };
}

/**
 * Applies one property element of a request item (`t:Subject`, `t:ExtendedProperty`, …) to an
 * item, with Exchange's mapping of the MAPI tags for delivery/submit time, read and flag state.
 */
export function applyElement(item: StoredItem, el: XmlElement): void {
  const text = el.text.trim();
  switch (el.local) {
    case 'MimeContent':
      item.mime = { bytes: Buffer.from(text, 'base64'), ...(el.attrs['CharacterSet'] ? { charset: el.attrs['CharacterSet'] } : {}) };
      return;
    case 'ItemClass':
      item.itemClass = text;
      return;
    case 'IsRead':
      item.isRead = text === 'true' || text === '1';
      return;
    case 'IsAssociated':
      item.isAssociated = text === 'true' || text === '1';
      return;
    case 'Flag': {
      const get = (n: string): string | undefined => {
        const v = child(el, NS.types, n)?.text.trim();
        return v ? ewsDateTime(v) : undefined;
      };
      const status = (child(el, NS.types, 'FlagStatus')?.text.trim() ?? 'NotFlagged') as ItemFlag['status'];
      item.flag = { status, ...strip({ start: get('StartDate'), due: get('DueDate'), complete: get('CompleteDate') }) };
      return;
    }
    case 'ExtendedProperty': {
      const uri = readExtendedUri(child(el, NS.types, 'ExtendedFieldURI')!);
      const valueEl = child(el, NS.types, 'Value');
      const values = child(el, NS.types, 'Values');
      const prop: ExtendedProp = valueEl ? { uri, value: valueEl.text } : { uri, values: (values?.children ?? []).map((v) => v.text) };
      setExtended(item, prop);
      return;
    }
    default:
      if (READ_ONLY.has(el.local)) return;
      item.fields.set(el.local, toNode(el));
  }
}

function strip<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function setExtended(item: StoredItem, prop: ExtendedProp): void {
  const { tag } = prop.uri;
  if (tag !== undefined && MAPPED_TAGS.has(tag)) {
    const v = (prop.value ?? '').trim();
    if (tag === PR_MESSAGE_DELIVERY_TIME) item.received = ewsDateTime(v);
    else if (tag === PR_CLIENT_SUBMIT_TIME) item.sent = ewsDateTime(v);
    else if (tag === PR_MESSAGE_FLAGS) {
      const flags = Number(v);
      item.isRead = (flags & MSGFLAG_READ) !== 0;
      item.isDraft = (flags & MSGFLAG_UNSENT) !== 0;
    } else if (tag === PR_FLAG_STATUS) {
      const n = Number(v);
      const status = n === FLAG_STATUS_FOLLOWUP_FLAGGED ? 'Flagged' : n === FLAG_STATUS_FOLLOWUP_COMPLETE ? 'Complete' : 'NotFlagged';
      item.flag = { ...(item.flag ?? {}), status };
    }
    return;
  }
  const key = extendedKey(prop.uri);
  item.extended = [...item.extended.filter((p) => extendedKey(p.uri) !== key), prop];
}

export function deleteExtended(item: StoredItem, uri: ExtendedUri): void {
  if (uri.tag === PR_FLAG_STATUS) delete item.flag;
  const key = extendedKey(uri);
  item.extended = item.extended.filter((p) => extendedKey(p.uri) !== key);
}

/** Reads an extended property, the mapped MAPI tags included (as Exchange reports them). */
export function getExtended(item: StoredItem, uri: ExtendedUri): ExtendedProp | undefined {
  const { tag } = uri;
  if (tag !== undefined && MAPPED_TAGS.has(tag)) {
    const v = (value: string | undefined): ExtendedProp | undefined => (value === undefined ? undefined : { uri, value });
    if (tag === PR_MESSAGE_DELIVERY_TIME) return v(item.received);
    if (tag === PR_CLIENT_SUBMIT_TIME) return v(item.sent);
    if (tag === PR_MESSAGE_FLAGS) return v(String((item.isRead ? MSGFLAG_READ : 0) | (item.isDraft ? MSGFLAG_UNSENT : 0)));
    const status = item.flag?.status;
    return v(
      status === 'Flagged'
        ? String(FLAG_STATUS_FOLLOWUP_FLAGGED)
        : status === 'Complete'
          ? String(FLAG_STATUS_FOLLOWUP_COMPLETE)
          : undefined,
    );
  }
  const key = extendedKey(uri);
  const found = item.extended.find((p) => extendedKey(p.uri) === key);
  return found ? { ...found, uri: { ...found.uri, type: uri.type } } : undefined;
}

// ───────────────────────────── MIME headers ─────────────────────────────

/** Unfolded header fields of an RFC 5322 message, names lower-cased, in order. */
export function mimeHeaders(bytes: Buffer): { headers: [string, string][]; bodyStart: number } {
  const text = bytes.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  const end = m ? m.index : text.length;
  const bodyStart = m ? m.index + m[0].length : text.length;
  const headers: [string, string][] = [];
  for (const line of text.slice(0, end).split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length) headers[headers.length - 1]![1] += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
  }
  return { headers: headers.map(([k, v]) => [k, Buffer.from(v, 'latin1').toString('utf8')]), bodyStart };
}

/** RFC 2047 encoded words (B and Q), utf-8 and latin-1. */
export function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_m, charset: string, enc: string, data: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
              'latin1',
            );
      return bytes.toString(/^(utf-?8)$/i.test(charset) ? 'utf8' : 'latin1');
    });
}

export interface Address {
  name?: string;
  email: string;
}

/** An address-list header: `"Name" <a@b>, c@d, Name <e@f>` (groups flattened). */
export function parseAddressList(value: string): Address[] {
  const out: Address[] = [];
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = 0;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') angle++;
    else if (!quoted && ch === '>') angle--;
    if (ch === ',' && !quoted && angle === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const p = raw
      .replace(/^[^:<"]*:\s*/, (m) => (m.includes('@') ? m : ''))
      .replace(/;\s*$/, '')
      .trim();
    if (!p) continue;
    const angled = /^(.*)<([^>]+)>\s*$/.exec(p);
    if (angled) {
      const name = decodeWords(
        angled[1]!
          .trim()
          .replace(/^"(.*)"$/, '$1')
          .replace(/\\(.)/g, '$1'),
      );
      out.push({ ...(name ? { name } : {}), email: angled[2]!.trim() });
    } else out.push({ email: p });
  }
  return out;
}

function mailboxNode(a: Address): XNode {
  return {
    n: 'Mailbox',
    c: [leaf('Name', a.name ?? a.email), leaf('EmailAddress', a.email), leaf('RoutingType', 'SMTP'), leaf('MailboxType', 'OneOff')],
  };
}

/** The body of a single-part text/plain or text/html message (or the first such part), decoded. */
function mimeBody(bytes: Buffer, headers: [string, string][], bodyStart: number): XNode | undefined {
  const h = (n: string): string => headers.find(([k]) => k === n)?.[1] ?? '';
  const ctype = h('content-type') || 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(ctype)?.[1];
  if (/^multipart\//i.test(ctype) && boundary) {
    const text = bytes.toString('latin1');
    const sections = text.slice(bodyStart).split(`--${boundary}`).slice(1);
    for (const s of sections) {
      if (s.startsWith('--')) break;
      const partBytes = Buffer.from(s.replace(/^\r?\n/, ''), 'latin1');
      const part = mimeHeaders(partBytes);
      const body = mimeBody(partBytes, part.headers, part.bodyStart);
      if (body) return body;
    }
    return undefined;
  }
  const kind = /^text\/(plain|html)/i.exec(ctype)?.[1]?.toLowerCase();
  if (!kind) return undefined;
  const charset = /charset="?([^";]+)"?/i.exec(ctype)?.[1] ?? 'us-ascii';
  const cte = h('content-transfer-encoding').toLowerCase();
  let raw = bytes.subarray(bodyStart);
  if (cte === 'base64') raw = Buffer.from(raw.toString('latin1'), 'base64');
  else if (cte === 'quoted-printable') {
    raw = Buffer.from(
      raw
        .toString('latin1')
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-Fa-f]{2})/g, (_m, x: string) => String.fromCharCode(parseInt(x, 16))),
      'latin1',
    );
  }
  const body = raw.toString(/utf-?8/i.test(charset) ? 'utf8' : 'latin1');
  return { n: 'Body', a: { BodyType: kind === 'html' ? 'HTML' : 'Text' }, t: body };
}

/**
 * What Exchange derives from a message's MIME: Subject, From/Sender, To/Cc/Bcc, DateTimeSent,
 * Importance, InternetMessageId, In-Reply-To, References and the Body (simple cases) — for
 * properties the request did not set itself.
 */
export function deriveFromMime(item: StoredItem): void {
  if (!item.mime) return;
  const { headers, bodyStart } = mimeHeaders(item.mime.bytes);
  const h = (n: string): string | undefined => headers.find(([k]) => k === n)?.[1];
  const setIfAbsent = (name: string, node: XNode | undefined): void => {
    if (node && !item.fields.has(name)) item.fields.set(name, node);
  };
  const subject = h('subject');
  if (subject !== undefined) setIfAbsent('Subject', leaf('Subject', decodeWords(subject)));
  const from = parseAddressList(h('from') ?? '')[0];
  if (from) {
    setIfAbsent('From', { n: 'From', c: [mailboxNode(from)] });
    setIfAbsent('Sender', { n: 'Sender', c: [mailboxNode(parseAddressList(h('sender') ?? '')[0] ?? from)] });
  }
  for (const [header, field] of [
    ['to', 'ToRecipients'],
    ['cc', 'CcRecipients'],
    ['bcc', 'BccRecipients'],
  ] as const) {
    const list = parseAddressList(h(header) ?? '');
    if (list.length) setIfAbsent(field, { n: field, c: list.map(mailboxNode) });
  }
  const date = h('date');
  if (date && item.sent === undefined && !Number.isNaN(Date.parse(date))) item.sent = ewsDateTime(Date.parse(date));
  const importance = (h('importance') ?? '').toLowerCase();
  const priority = Number.parseInt(h('x-priority') ?? '', 10);
  const level =
    importance === 'high' || priority === 1 || priority === 2
      ? 'High'
      : importance === 'low' || priority === 4 || priority === 5
        ? 'Low'
        : undefined;
  if (level) setIfAbsent('Importance', leaf('Importance', level));
  const mid = h('message-id');
  if (mid) setIfAbsent('InternetMessageId', leaf('InternetMessageId', mid));
  const inReplyTo = h('in-reply-to');
  if (inReplyTo) setIfAbsent('InReplyTo', leaf('InReplyTo', inReplyTo));
  const refs = h('references');
  if (refs) setIfAbsent('References', leaf('References', refs));
  setIfAbsent('Body', mimeBody(item.mime.bytes, headers, bodyStart));
}

/** A small RFC 5322 rendering for typed items that have no MIME of their own. */
export function synthesizeMime(item: StoredItem): Buffer {
  const text = (n: string): string => item.fields.get(n)?.t ?? '';
  const addrs = (n: string): string =>
    (item.fields.get(n)?.c ?? [])
      .map((m) => nodeChild(m, 'EmailAddress')?.t ?? '')
      .filter(Boolean)
      .join(', ');
  const from = nodeChild(nodeChild(item.fields.get('From'), 'Mailbox'), 'EmailAddress')?.t;
  const body = item.fields.get('Body');
  const lines = [
    ...(from ? [`From: ${from}`] : []),
    ...(addrs('ToRecipients') ? [`To: ${addrs('ToRecipients')}`] : []),
    ...(addrs('CcRecipients') ? [`Cc: ${addrs('CcRecipients')}`] : []),
    `Subject: =?utf-8?B?${Buffer.from(text('Subject')).toString('base64')}?=`,
    `Date: ${new Date(item.sent ?? item.created).toUTCString().replace('GMT', '+0000')}`,
    'MIME-Version: 1.0',
    `Content-Type: text/${body?.a?.['BodyType'] === 'HTML' ? 'html' : 'plain'}; charset="utf-8"`,
    'Content-Transfer-Encoding: 8bit',
    '',
    body?.t ?? '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

// ───────────────────────────── creation from a request element ─────────────────────────────

/**
 * Reads a request's `t:Message` / `t:CalendarItem` / … into a new item (not yet stored): every
 * child element applied in order, MIME-derived properties filled in, defaults Exchange applies.
 */
export function itemFromRequest(el: XmlElement, mailboxSmtp: string, opts: { draft: boolean; now?: string }): StoredItem {
  const now = opts.now ?? ewsDateTime(Date.now());
  const item = blankItem(DEFAULT_CLASS[el.local] ?? 'IPM.Note', now);
  // A new message is unsent (a draft) and read, unless PR_MESSAGE_FLAGS says otherwise.
  item.isDraft = opts.draft && (el.local === 'Message' || el.local === 'Item');
  for (const c of el.children) applyElement(item, c);
  deriveFromMime(item);
  applyTypeDefaults(item, mailboxSmtp);
  return item;
}

function applyTypeDefaults(item: StoredItem, mailboxSmtp: string): void {
  const element = itemElement(item);
  if (element === 'CalendarItem') {
    if (!item.fields.has('Organizer'))
      item.fields.set('Organizer', { n: 'Organizer', c: [mailboxNode({ name: mailboxSmtp, email: mailboxSmtp })] });
    // Stored with the item (PidLidResponseStatus), so an exported meeting keeps it in another mailbox.
    const meeting = ['RequiredAttendees', 'OptionalAttendees', 'Resources'].some((f) => item.fields.has(f));
    // What Exchange stores for a new calendar item when the client leaves these out.
    const defaults: [string, string][] = [
      ['IsAllDayEvent', 'false'],
      ['LegacyFreeBusyStatus', 'Busy'],
      ['IsCancelled', 'false'],
      ['MeetingRequestWasSent', 'false'],
      ['IsResponseRequested', 'true'],
      ['AppointmentSequenceNumber', '0'],
      ['AppointmentState', meeting ? '1' : '0'],
      ['ConferenceType', '0'],
      ['AllowNewTimeProposal', 'true'],
      ['IsOnlineMeeting', 'false'],
    ];
    for (const [name, value] of defaults) if (!item.fields.has(name)) item.fields.set(name, leaf(name, value));
    const organizer = nodeChild(nodeChild(item.fields.get('Organizer'), 'Mailbox'), 'EmailAddress')?.t?.toLowerCase();
    item.fields.set('MyResponseType', leaf('MyResponseType', organizer === mailboxSmtp.toLowerCase() ? 'Organizer' : 'NoResponseReceived'));
    // Attendees the client listed without a response have not responded yet.
    for (const list of ['RequiredAttendees', 'OptionalAttendees', 'Resources']) {
      for (const att of item.fields.get(list)?.c ?? []) {
        if (!nodeChild(att, 'ResponseType')) att.c = [att.c![0]!, leaf('ResponseType', 'Unknown'), ...att.c!.slice(1)];
      }
    }
  }
  if (element === 'Task') {
    if (!item.fields.has('Status')) item.fields.set('Status', leaf('Status', 'NotStarted'));
    if (!item.fields.has('PercentComplete')) item.fields.set('PercentComplete', leaf('PercentComplete', '0'));
  }
}

export function computeSize(item: StoredItem): number {
  if (item.mime) return item.mime.bytes.length;
  let n = 0;
  for (const node of item.fields.values()) n += Buffer.byteLength(nodeXml(node));
  for (const p of item.extended) n += Buffer.byteLength(extendedXml(p));
  return n;
}

// ───────────────────────────── storage ─────────────────────────────

export interface ItemTombstone {
  itemId: string;
  folderId: string;
  seq: number;
  seqCreated: number;
  isAssociated: boolean;
}

/** A mailbox's item storage (kept beside the mailbox, so mailbox-store.ts needs no item knowledge). */
export interface ItemStorage {
  byId: Map<string, StoredItem>;
  /** Folder id → ids of the items listed in it (exceptions are not: they live in their master). */
  byFolder: Map<string, Set<string>>;
  tombstones: ItemTombstone[];
  nextKey: number;
  /** Mailbox-wide change counter: SyncFolderItems states are watermarks on it. */
  changeSeq: number;
}

const storages = new WeakMap<Mailbox, ItemStorage>();

export function itemStorage(mbx: Mailbox): ItemStorage {
  let s = storages.get(mbx);
  if (!s) {
    s = { byId: new Map(), byFolder: new Map(), tombstones: [], nextKey: 0, changeSeq: 0 };
    storages.set(mbx, s);
  }
  return s;
}

export function nextSeq(mbx: Mailbox): number {
  return ++itemStorage(mbx).changeSeq;
}

/** Exchange Online's largest allowed message (150 MB); tests lower it with setMaxMessageBytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 150 * 1024 * 1024;
const sizeLimits = new WeakMap<MailboxStore, number>();

export function setMaxMessageBytes(store: MailboxStore, bytes: number): void {
  sizeLimits.set(store, bytes);
}

export function maxMessageBytes(store: MailboxStore): number {
  return sizeLimits.get(store) ?? DEFAULT_MAX_MESSAGE_BYTES;
}

/** Stores a built item in a folder: new id, sequence numbers, folder counts. */
export function insertItem(store: MailboxStore, mbx: Mailbox, folder: StoredFolder, item: StoredItem): StoredItem {
  const s = itemStorage(mbx);
  item.id = encodeItemId(mbx.smtp, String(++s.nextKey));
  item.changeKey = newChangeKey();
  item.folderId = folder.id;
  item.order = s.nextKey;
  item.size = computeSize(item);
  const seq = nextSeq(mbx);
  item.seqCreated = item.seqContent = item.seqRead = seq;
  s.byId.set(item.id, item);
  let inFolder = s.byFolder.get(folder.id);
  if (!inFolder) {
    inFolder = new Set();
    s.byFolder.set(folder.id, inFolder);
  }
  inFolder.add(item.id);
  recount(store, mbx, folder.id);
  return item;
}

/** Marks an item changed: new ChangeKey and LastModifiedTime; `readOnly` = only IsRead changed. */
export function touchItem(store: MailboxStore, mbx: Mailbox, item: StoredItem, readOnly: boolean): void {
  item.changeKey = newChangeKey();
  item.lastModified = ewsDateTime(Date.now());
  item.size = computeSize(item);
  const seq = nextSeq(mbx);
  if (readOnly) item.seqRead = seq;
  else {
    item.seqContent = seq;
    item.modified = true;
  }
  recount(store, mbx, item.folderId);
}

export function removeItem(store: MailboxStore, mbx: Mailbox, item: StoredItem): void {
  const s = itemStorage(mbx);
  for (const ex of item.exceptionIds) s.byId.delete(ex);
  s.byId.delete(item.id);
  s.byFolder.get(item.folderId)?.delete(item.id);
  if (!item.masterId) {
    s.tombstones.push({
      itemId: item.id,
      folderId: item.folderId,
      seq: nextSeq(mbx),
      seqCreated: item.seqCreated,
      isAssociated: item.isAssociated,
    });
  }
  recount(store, mbx, item.folderId);
}

/** Moves an item like Exchange: it gets a new ItemId in the target folder. */
export function moveItem(store: MailboxStore, mbx: Mailbox, item: StoredItem, target: StoredFolder): StoredItem {
  const exceptions = item.exceptionIds.map((id) => itemStorage(mbx).byId.get(id)!).filter(Boolean);
  removeItem(store, mbx, item);
  const moved = insertItem(store, mbx, target, { ...item, exceptionIds: [] });
  for (const ex of exceptions) addExceptionItem(store, mbx, moved, ex);
  return moved;
}

/** Items listed in a folder (exceptions live inside their master, never in a folder listing). */
export function itemsIn(mbx: Mailbox, folderId: string, associated = false): StoredItem[] {
  const s = itemStorage(mbx);
  const out: StoredItem[] = [];
  for (const id of s.byFolder.get(folderId) ?? []) {
    const it = s.byId.get(id)!;
    if (it.isAssociated === associated) out.push(it);
  }
  return out;
}

export function recount(store: MailboxStore, mbx: Mailbox, folderId: string): void {
  const folder = mbx.folders.get(folderId);
  if (!folder) return;
  const items = itemsIn(mbx, folderId);
  folder.totalCount = items.length;
  folder.unreadCount = items.filter((i) => !i.isRead).length;
  void store;
}

function addExceptionItem(store: MailboxStore, mbx: Mailbox, master: StoredItem, ex: StoredItem): StoredItem {
  const s = itemStorage(mbx);
  ex.id = encodeItemId(mbx.smtp, String(++s.nextKey));
  ex.changeKey = newChangeKey();
  ex.folderId = master.folderId;
  ex.masterId = master.id;
  ex.order = s.nextKey;
  ex.size = computeSize(ex);
  s.byId.set(ex.id, ex);
  master.exceptionIds.push(ex.id);
  void store;
  return ex;
}

/**
 * Seeds an exception of a recurring master through the store API (the test server does not
 * expand recurrences, so `OccurrenceItemId` updates are not supported): `fields` are
 * CalendarItem property elements in types namespace (e.g. `<t:Subject>…</t:Subject>`), Start/End
 * the moved occurrence's times, `originalStart` the occurrence it replaces.
 */
export function addException(
  store: MailboxStore,
  mbx: Mailbox,
  master: StoredItem,
  ex: { originalStart: string; start: string; end: string; fieldsXml?: string },
): StoredItem {
  if (!master.fields.has('Recurrence')) throw new Error('addException needs a recurring master');
  const item = blankItem(master.itemClass, ewsDateTime(Date.now()));
  for (const [k, v] of master.fields) if (k !== 'Recurrence') item.fields.set(k, structuredClone(v));
  const wrapper = parseXml(`<t:CalendarItem xmlns:t="${NS.types}">${ex.fieldsXml ?? ''}</t:CalendarItem>`);
  for (const c of wrapper.children) applyElement(item, c);
  item.fields.set('Start', leaf('Start', ewsDateTime(ex.start)));
  item.fields.set('End', leaf('End', ewsDateTime(ex.end)));
  item.originalStart = ewsDateTime(ex.originalStart);
  const created = addExceptionItem(store, mbx, master, item);
  touchItem(store, mbx, master, false);
  return created;
}

export function deleteOccurrence(store: MailboxStore, mbx: Mailbox, master: StoredItem, originalStart: string): void {
  master.deletedOccurrences.push(ewsDateTime(originalStart));
  touchItem(store, mbx, master, false);
}

// ───────────────────────────── seeding (tests) ─────────────────────────────

function seedFolder(mbx: Mailbox, folder: string): StoredFolder {
  const f = mbx.folders.get(mbx.byDistinguished.get(folder) ?? folder);
  if (!f) throw new Error(`no folder ${folder} in ${mbx.smtp}`);
  return f;
}

function seedMailbox(store: MailboxStore, smtp: string): Mailbox {
  const mbx = store.mailbox(smtp);
  if (!mbx) throw new Error(`no mailbox ${smtp}`);
  return mbx;
}

/**
 * Seeds an item without a SOAP round trip, exactly as CreateItem (SaveOnly) would store it:
 * `itemXml` is one `t:Message` / `t:CalendarItem` / `t:Contact` / `t:Task` / `t:PostItem` /
 * `t:Item` element in the types namespace (the `t:` prefix is declared for you). `folder` is a
 * distinguished name (`inbox`, `calendar`, …) or a folder id.
 */
export function seedItem(store: MailboxStore, smtp: string, folder: string, itemXml: string): StoredItem {
  const mbx = seedMailbox(store, smtp);
  const el = parseXml(`<seed xmlns:t="${NS.types}">${itemXml}</seed>`).children[0]!;
  return insertItem(store, mbx, seedFolder(mbx, folder), itemFromRequest(el, mbx.smtp, { draft: true }));
}

/**
 * Seeds a received message from its MIME (what a migration source mailbox mostly holds):
 * headers derive Subject/From/To/…, `received` sets DateTimeReceived (default: now), `isRead`
 * and `flag` the read and follow-up state, `extended` adds named/tagged properties.
 */
export function seedMessage(
  store: MailboxStore,
  smtp: string,
  folder: string,
  mime: Buffer | string,
  opts: {
    received?: string | number | Date;
    isRead?: boolean;
    flag?: ItemFlag['status'];
    categories?: string[];
    extended?: ExtendedProp[];
  } = {},
): StoredItem {
  const mbx = seedMailbox(store, smtp);
  const item = blankItem('IPM.Note', ewsDateTime(Date.now()));
  item.mime = { bytes: Buffer.isBuffer(mime) ? mime : Buffer.from(mime, 'utf8'), charset: 'UTF-8' };
  if (opts.received !== undefined) item.received = ewsDateTime(opts.received);
  item.isRead = opts.isRead ?? true;
  if (opts.flag && opts.flag !== 'NotFlagged') item.flag = { status: opts.flag };
  if (opts.categories?.length) item.fields.set('Categories', { n: 'Categories', c: opts.categories.map((c) => leaf('String', c)) });
  for (const p of opts.extended ?? []) setExtended(item, p);
  deriveFromMime(item);
  return insertItem(store, mbx, seedFolder(mbx, folder), item);
}

/** The stored item with this id (for assertions and for addException/deleteOccurrence). */
export function storedItem(store: MailboxStore, id: string): StoredItem | undefined {
  const decoded = decodeItemId(id);
  const mbx = decoded && store.mailbox(decoded.smtp);
  return mbx ? itemStorage(mbx).byId.get(id) : undefined;
}

/** Mailbox of a stored item (for addException/deleteOccurrence). */
export function mailboxOf(store: MailboxStore, item: StoredItem): Mailbox {
  return seedMailbox(store, decodeItemId(item.id)!.smtp);
}

// ───────────────────────────── output ─────────────────────────────

export type BaseShape = 'IdOnly' | 'Default' | 'AllProperties';

export interface ItemShape {
  base: BaseShape;
  includeMime: boolean;
  bodyType?: 'Best' | 'HTML' | 'Text';
  /** Element names asked for by FieldURI / IndexedFieldURI (with the requested dictionary keys). */
  fields: Set<string>;
  indexed: Map<string, Set<string>>;
  extended: ExtendedUri[];
}

/** FieldURI → element name, where the two differ (types.xsd UnindexedFieldURIType). */
const FIELD_ALIASES: Record<string, string> = {
  'item:IsAssociated': 'IsAssociated',
  'calendar:UID': 'UID',
  'message:ToRecipients': 'ToRecipients',
  'postitem:PostedTime': 'PostedTime',
};

export function fieldUriToElement(uri: string): string {
  return FIELD_ALIASES[uri] ?? uri.slice(uri.indexOf(':') + 1);
}

/** IndexedFieldURI (e.g. contacts:EmailAddress) → the dictionary element holding it. */
const INDEXED_ELEMENT: Record<string, string> = {
  'contacts:EmailAddress': 'EmailAddresses',
  'contacts:PhoneNumber': 'PhoneNumbers',
  'contacts:ImAddress': 'ImAddresses',
  'item:InternetMessageHeader': 'InternetMessageHeaders',
};

export function readItemShape(shapeEl: XmlElement | undefined): ItemShape {
  const shape: ItemShape = {
    base: (child(shapeEl, NS.types, 'BaseShape')?.text.trim() ?? 'Default') as BaseShape,
    includeMime: child(shapeEl, NS.types, 'IncludeMimeContent')?.text.trim() === 'true',
    fields: new Set(),
    indexed: new Map(),
    extended: [],
  };
  const bodyType = child(shapeEl, NS.types, 'BodyType')?.text.trim();
  if (bodyType) shape.bodyType = bodyType as ItemShape['bodyType'];
  for (const p of child(shapeEl, NS.types, 'AdditionalProperties')?.children ?? []) {
    if (p.local === 'FieldURI') shape.fields.add(fieldUriToElement(p.attrs['FieldURI']!));
    else if (p.local === 'ExtendedFieldURI') shape.extended.push(readExtendedUri(p));
    else if (p.local === 'IndexedFieldURI') {
      const uri = p.attrs['FieldURI']!;
      const element = INDEXED_ELEMENT[uri] ?? (uri.startsWith('contacts:PhysicalAddress') ? 'PhysicalAddresses' : fieldUriToElement(uri));
      const keys = shape.indexed.get(element) ?? new Set<string>();
      keys.add(p.attrs['FieldIndex']!);
      shape.indexed.set(element, keys);
    }
  }
  if (shape.fields.has('MimeContent')) shape.includeMime = true;
  return shape;
}

/** Properties the Default shape returns (Exchange's list, roughly), per item type beyond ItemType's. */
const DEFAULT_FIELDS = new Set([
  'ItemId',
  'ParentFolderId',
  'ItemClass',
  'Subject',
  'Sensitivity',
  'Body',
  'Attachments',
  'DateTimeReceived',
  'Size',
  'Categories',
  'Importance',
  'InReplyTo',
  'IsSubmitted',
  'IsDraft',
  'IsFromMe',
  'IsResend',
  'IsUnmodified',
  'DateTimeSent',
  'DateTimeCreated',
  'ReminderDueBy',
  'ReminderIsSet',
  'ReminderMinutesBeforeStart',
  'DisplayCc',
  'DisplayTo',
  'HasAttachments',
  'Culture',
  'LastModifiedName',
  'LastModifiedTime',
  'IsAssociated',
  // Message / PostItem
  'Sender',
  'ToRecipients',
  'CcRecipients',
  'IsReadReceiptRequested',
  'IsDeliveryReceiptRequested',
  'From',
  'InternetMessageId',
  'IsRead',
  'ConversationTopic',
  'PostedTime',
  // CalendarItem
  'UID',
  'Start',
  'End',
  'IsAllDayEvent',
  'LegacyFreeBusyStatus',
  'Location',
  'IsMeeting',
  'IsCancelled',
  'IsRecurring',
  'CalendarItemType',
  'MyResponseType',
  'Organizer',
  'RequiredAttendees',
  'OptionalAttendees',
  'Resources',
  'Duration',
  'TimeZone',
  'AppointmentState',
  'Recurrence',
  'ModifiedOccurrences',
  'DeletedOccurrences',
  // Contact
  'FileAs',
  'DisplayName',
  'GivenName',
  'Surname',
  'CompanyName',
  'EmailAddresses',
  'PhoneNumbers',
  'PhysicalAddresses',
  'JobTitle',
  // Task
  'DueDate',
  'StartDate',
  'Status',
  'PercentComplete',
  'IsComplete',
  'Owner',
]);

/** Properties FindItem cannot return (Exchange answers ErrorInvalidPropertyRequest when asked). */
export const NOT_IN_FIND = new Set([
  'Body',
  'UniqueBody',
  'NormalizedBody',
  'TextBody',
  'Attachments',
  'MimeContent',
  'ToRecipients',
  'CcRecipients',
  'BccRecipients',
  'ReplyTo',
  'RequiredAttendees',
  'OptionalAttendees',
  'Resources',
  'ModifiedOccurrences',
  'DeletedOccurrences',
  'Recurrence',
  'InternetMessageHeaders',
  'EmailAddresses',
  'PhysicalAddresses',
  'PhoneNumbers',
  'ImAddresses',
  'Members',
]);

export interface RenderContext {
  store: MailboxStore;
  mbx: Mailbox;
  /** Exchange 2013+ (t:Flag exists from then on). */
  flagSupported: boolean;
  /** FindItem / SyncFolderItems rendering: the properties in NOT_IN_FIND are left out. */
  find: boolean;
}

function displayList(item: StoredItem, field: string): string {
  return (item.fields.get(field)?.c ?? []).map((m) => nodeChild(m, 'Name')?.t ?? nodeChild(m, 'EmailAddress')?.t ?? '').join('; ');
}

function stripTags(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\r\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function calendarType(item: StoredItem): string {
  if (item.masterId) return 'Exception';
  return item.fields.has('Recurrence') ? 'RecurringMaster' : 'Single';
}

function computed(rc: RenderContext, item: StoredItem, name: string, shape: ItemShape): string | undefined {
  const folder = rc.mbx.folders.get(item.folderId);
  const element = itemElement(item);
  switch (name) {
    case 'MimeContent': {
      const mime = item.mime ?? { bytes: synthesizeMime(item), charset: 'UTF-8' };
      const cs = mime.charset ? ` CharacterSet="${escapeXml(mime.charset)}"` : '';
      return `<t:MimeContent${cs}>${mime.bytes.toString('base64')}</t:MimeContent>`;
    }
    case 'ItemId':
      return `<t:ItemId Id="${escapeXml(item.id)}" ChangeKey="${escapeXml(item.changeKey)}"/>`;
    case 'ParentFolderId':
      return folder ? `<t:ParentFolderId Id="${escapeXml(folder.id)}" ChangeKey="${escapeXml(folder.changeKey)}"/>` : undefined;
    case 'ItemClass':
      return `<t:ItemClass>${escapeXml(item.itemClass)}</t:ItemClass>`;
    case 'Body': {
      const body = item.fields.get('Body');
      if (!body) return undefined;
      if (shape.bodyType === 'Text' && body.a?.['BodyType'] === 'HTML')
        return nodeXml({ ...body, a: { ...body.a, BodyType: 'Text' }, t: stripTags(body.t ?? '') });
      return nodeXml(body);
    }
    case 'DateTimeReceived':
      return `<t:DateTimeReceived>${item.received}</t:DateTimeReceived>`;
    case 'Size':
      return `<t:Size>${item.size}</t:Size>`;
    case 'Importance':
      return nodeXml(item.fields.get('Importance') ?? leaf('Importance', 'Normal'));
    case 'Sensitivity':
      return nodeXml(item.fields.get('Sensitivity') ?? leaf('Sensitivity', 'Normal'));
    case 'IsSubmitted':
      return '<t:IsSubmitted>false</t:IsSubmitted>';
    case 'IsDraft':
      return `<t:IsDraft>${item.isDraft}</t:IsDraft>`;
    case 'IsFromMe':
    case 'IsResend':
      return `<t:${name}>false</t:${name}>`;
    case 'IsUnmodified':
      return `<t:IsUnmodified>${!item.modified}</t:IsUnmodified>`;
    case 'DateTimeSent': {
      // A sent or received message has one (the delivery time when nothing better is known); a draft has none.
      const sent = item.sent ?? (element === 'Message' && !item.isDraft ? item.received : undefined);
      return sent ? `<t:DateTimeSent>${sent}</t:DateTimeSent>` : undefined;
    }
    case 'DateTimeCreated':
      return `<t:DateTimeCreated>${item.created}</t:DateTimeCreated>`;
    case 'ReminderIsSet':
      return nodeXml(item.fields.get('ReminderIsSet') ?? leaf('ReminderIsSet', 'false'));
    case 'DisplayTo':
    case 'DisplayCc':
    case 'DisplayBcc': {
      const list = { DisplayTo: 'ToRecipients', DisplayCc: 'CcRecipients', DisplayBcc: 'BccRecipients' }[name];
      return element === 'Message' ? `<t:${name}>${escapeXml(displayList(item, list))}</t:${name}>` : undefined;
    }
    case 'HasAttachments':
      return `<t:HasAttachments>${item.fields.has('Attachments')}</t:HasAttachments>`;
    case 'ExtendedProperty': {
      const props = shape.extended.map((u) => getExtended(item, u)).filter((p): p is ExtendedProp => p !== undefined);
      return props.map(extendedXml).join('') || undefined;
    }
    case 'LastModifiedTime':
      return `<t:LastModifiedTime>${item.lastModified}</t:LastModifiedTime>`;
    case 'IsAssociated':
      return `<t:IsAssociated>${item.isAssociated}</t:IsAssociated>`;
    case 'Flag': {
      if (!rc.flagSupported) return undefined;
      const f = item.flag ?? { status: 'NotFlagged' };
      const d = (n: string, v?: string): string => (v ? `<t:${n}>${v}</t:${n}>` : '');
      return `<t:Flag><t:FlagStatus>${f.status}</t:FlagStatus>${d('StartDate', f.start)}${d('DueDate', f.due)}${d('CompleteDate', f.complete)}</t:Flag>`;
    }
    case 'IsRead':
      return `<t:IsRead>${item.isRead}</t:IsRead>`;
    case 'PostedTime':
      return `<t:PostedTime>${item.sent ?? item.created}</t:PostedTime>`;
    // calendar
    case 'OriginalStart':
      return item.originalStart ? `<t:OriginalStart>${item.originalStart}</t:OriginalStart>` : undefined;
    case 'IsMeeting': {
      const has = item.fields.has('RequiredAttendees') || item.fields.has('OptionalAttendees') || item.fields.has('Resources');
      return `<t:IsMeeting>${has}</t:IsMeeting>`;
    }
    case 'IsRecurring':
      return element === 'Task'
        ? `<t:IsRecurring>${item.fields.has('Recurrence')}</t:IsRecurring>`
        : `<t:IsRecurring>${calendarType(item) !== 'Single'}</t:IsRecurring>`;
    case 'CalendarItemType':
      return `<t:CalendarItemType>${calendarType(item)}</t:CalendarItemType>`;
    case 'ModifiedOccurrences': {
      const exceptions = item.exceptionIds.map((id) => itemStorage(rc.mbx).byId.get(id)).filter((e): e is StoredItem => e !== undefined);
      if (!exceptions.length) return undefined;
      return `<t:ModifiedOccurrences>${exceptions
        .map(
          (e) =>
            `<t:Occurrence><t:ItemId Id="${escapeXml(e.id)}" ChangeKey="${escapeXml(e.changeKey)}"/><t:Start>${e.fields.get('Start')?.t}</t:Start><t:End>${e.fields.get('End')?.t}</t:End><t:OriginalStart>${e.originalStart}</t:OriginalStart></t:Occurrence>`,
        )
        .join('')}</t:ModifiedOccurrences>`;
    }
    case 'DeletedOccurrences':
      return item.deletedOccurrences.length
        ? `<t:DeletedOccurrences>${item.deletedOccurrences.map((s) => `<t:DeletedOccurrence><t:Start>${s}</t:Start></t:DeletedOccurrence>`).join('')}</t:DeletedOccurrences>`
        : undefined;
    // task
    case 'IsComplete':
      return `<t:IsComplete>${item.fields.get('Status')?.t === 'Completed'}</t:IsComplete>`;
    default:
      return undefined;
  }
}

/** Names `computed` answers for (the rest come from the stored fields). */
const COMPUTED = new Set([
  'MimeContent',
  'ItemId',
  'ParentFolderId',
  'ItemClass',
  'Body',
  'DateTimeReceived',
  'Size',
  'Importance',
  'Sensitivity',
  'IsSubmitted',
  'IsDraft',
  'IsFromMe',
  'IsResend',
  'IsUnmodified',
  'DateTimeSent',
  'DateTimeCreated',
  'ReminderIsSet',
  'DisplayTo',
  'DisplayCc',
  'DisplayBcc',
  'HasAttachments',
  'ExtendedProperty',
  'LastModifiedTime',
  'IsAssociated',
  'Flag',
  'IsRead',
  'PostedTime',
  'OriginalStart',
  'IsMeeting',
  'IsRecurring',
  'CalendarItemType',
  'ModifiedOccurrences',
  'DeletedOccurrences',
  'IsComplete',
]);
/** Computed properties that only belong to some item types' answers. */
const COMPUTED_FOR: Record<string, ItemElement[]> = {
  IsRead: ['Message', 'PostItem'],
  PostedTime: ['PostItem'],
  OriginalStart: ['CalendarItem'],
  IsMeeting: ['CalendarItem'],
  IsRecurring: ['CalendarItem', 'Task'],
  CalendarItemType: ['CalendarItem'],
  ModifiedOccurrences: ['CalendarItem'],
  DeletedOccurrences: ['CalendarItem'],
  IsComplete: ['Task'],
  DisplayTo: ['Message'],
  DisplayCc: ['Message'],
  DisplayBcc: ['Message'],
};

/** One item as `t:Message` / `t:CalendarItem` / …, in schema order, filtered by the shape. */
export function itemXml(rc: RenderContext, item: StoredItem, shape: ItemShape): string {
  const element = itemElement(item);
  const all = shape.base === 'AllProperties';
  const deflt = all || shape.base === 'Default';
  const parts: string[] = [];
  for (const name of elementOrder(element)) {
    let wanted: boolean;
    if (name === 'ItemId') wanted = true;
    else if (name === 'MimeContent') wanted = shape.includeMime;
    else if (name === 'ExtendedProperty') wanted = shape.extended.length > 0;
    else if (shape.fields.has(name) || shape.indexed.has(name)) wanted = true;
    else wanted = (all || (deflt && DEFAULT_FIELDS.has(name))) && !(rc.find && NOT_IN_FIND.has(name));
    if (!wanted) continue;
    if (name === 'DisplayBcc' && !shape.fields.has(name)) continue;
    let xml: string | undefined;
    if (COMPUTED.has(name) && (!COMPUTED_FOR[name] || COMPUTED_FOR[name]!.includes(element))) xml = computed(rc, item, name, shape);
    else {
      const node = item.fields.get(name);
      if (node) {
        const keys = shape.indexed.get(name);
        if (keys && !all && !shape.fields.has(name)) {
          const entries = (node.c ?? []).filter((e) => keys.has(e.a?.['Key'] ?? ''));
          xml = entries.length ? nodeXml({ ...node, c: entries }) : undefined;
        } else xml = nodeXml(node);
      }
    }
    if (xml) parts.push(xml);
  }
  return `<t:${element}>${parts.join('')}</t:${element}>`;
}

// ───────────────────────────── export blob ─────────────────────────────

/** The ExportItems `Data` format: base64 of this JSON (our own, versioned; Exchange's is opaque too). */
export const EXPORT_FORMAT = 'mailferry-ews-item';
export const EXPORT_VERSION = 1;

/** A stored item as JSON: its own fields, without ids, sequence numbers or sizes the server recomputes. */
type ExportedItem = Pick<
  StoredItem,
  | 'itemClass'
  | 'extended'
  | 'received'
  | 'sent'
  | 'created'
  | 'lastModified'
  | 'isRead'
  | 'isDraft'
  | 'flag'
  | 'isAssociated'
  | 'modified'
  | 'deletedOccurrences'
  | 'originalStart'
> & {
  fields: [string, XNode][];
  mime?: { base64: string; charset?: string };
  exceptions: ExportedItem[];
};

function exportOne(mbx: Mailbox, item: StoredItem): ExportedItem {
  const exceptions = item.exceptionIds.map((id) => itemStorage(mbx).byId.get(id)).filter((e): e is StoredItem => e !== undefined);
  return {
    itemClass: item.itemClass,
    fields: [...item.fields.entries()],
    extended: item.extended,
    ...(item.mime
      ? { mime: { base64: item.mime.bytes.toString('base64'), ...(item.mime.charset ? { charset: item.mime.charset } : {}) } }
      : {}),
    received: item.received,
    ...(item.sent ? { sent: item.sent } : {}),
    created: item.created,
    lastModified: item.lastModified,
    isRead: item.isRead,
    isDraft: item.isDraft,
    ...(item.flag ? { flag: item.flag } : {}),
    isAssociated: item.isAssociated,
    modified: item.modified,
    deletedOccurrences: item.deletedOccurrences,
    ...(item.originalStart ? { originalStart: item.originalStart } : {}),
    exceptions: exceptions.map((e) => exportOne(mbx, e)),
  };
}

export function exportItem(mbx: Mailbox, item: StoredItem): string {
  return Buffer.from(JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, item: exportOne(mbx, item) }), 'utf8').toString(
    'base64',
  );
}

function importOne(e: ExportedItem): StoredItem {
  const item = blankItem(e.itemClass, e.created);
  item.fields = new Map(e.fields);
  item.extended = e.extended;
  if (e.mime) item.mime = { bytes: Buffer.from(e.mime.base64, 'base64'), ...(e.mime.charset ? { charset: e.mime.charset } : {}) };
  item.received = e.received;
  if (e.sent) item.sent = e.sent;
  item.lastModified = e.lastModified;
  item.isRead = e.isRead;
  item.isDraft = e.isDraft;
  if (e.flag) item.flag = e.flag;
  item.isAssociated = e.isAssociated;
  item.modified = e.modified;
  item.deletedOccurrences = [...e.deletedOccurrences];
  if (e.originalStart) item.originalStart = e.originalStart;
  return item;
}

/** Decodes an export blob; `undefined` when it is not one of ours. */
export function decodeExport(data: string): { item: StoredItem; exceptions: StoredItem[] } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { format?: string; version?: number; item?: ExportedItem };
    if (parsed.format !== EXPORT_FORMAT || parsed.version !== EXPORT_VERSION || !parsed.item) return undefined;
    return { item: importOne(parsed.item), exceptions: parsed.item.exceptions.map(importOne) };
  } catch {
    return undefined;
  }
}

/** Stores an imported item (and its exceptions) in a folder with new ids. */
export function insertImported(
  store: MailboxStore,
  mbx: Mailbox,
  folder: StoredFolder,
  imported: { item: StoredItem; exceptions: StoredItem[] },
): StoredItem {
  const item = insertItem(store, mbx, folder, imported.item);
  for (const ex of imported.exceptions) addExceptionItem(store, mbx, item, ex);
  return item;
}

/** Replaces an item's content with an imported one, keeping its id (UploadItems CreateAction=Update). */
export function replaceContent(
  store: MailboxStore,
  mbx: Mailbox,
  target: StoredItem,
  imported: { item: StoredItem; exceptions: StoredItem[] },
): void {
  const s = itemStorage(mbx);
  for (const ex of target.exceptionIds) s.byId.delete(ex);
  const keep = { id: target.id, folderId: target.folderId, order: target.order, seqCreated: target.seqCreated };
  Object.assign(target, imported.item, keep, { exceptionIds: [] });
  for (const ex of imported.exceptions) addExceptionItem(store, mbx, target, ex);
  touchItem(store, mbx, target, false);
}
