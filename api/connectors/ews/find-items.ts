/**
 * FindItem over one folder, every page (≤1000 per page: Exchange's EWSFindCountLimit), oldest
 * first. listMessages (source refs, date filter as a Restriction on DateTimeReceived) and
 * listRange (a destination folder's items for crash recovery, marked or not) both use it.
 */
import type { DestinationEntry, ListMessagesFilter, MessageRef } from '../../core/connector.js';
import { MailferryError } from '../../core/errors.js';
import { type EwsContext, folderIdXml } from './context.js';
import {
  FLAG_STATUS_URI,
  MARKER_URI,
  MESSAGE_FLAGS_URI,
  MAILFERRY_PROPERTY_SET,
  MARKER_NAME,
  imapFlags,
  itemTypeOfItemClass,
} from './item-props.js';
import { fromCode } from './map-error.js';
import { attr, child, children, el, elementChildren, text } from './xml.js';

export interface FoundItem {
  id: string;
  itemClass: string;
  size: number;
  received: number;
  categories: string[];
  messageFlags?: number;
  flagStatus?: number;
  marker?: string;
}

const SHAPE =
  '<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>' +
  '<t:FieldURI FieldURI="item:ItemClass"/><t:FieldURI FieldURI="item:Size"/><t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURI FieldURI="item:Categories"/>' +
  `${MESSAGE_FLAGS_URI}${FLAG_STATUS_URI}${MARKER_URI}` +
  '</t:AdditionalProperties></m:ItemShape>';

const SORT_OLDEST_FIRST =
  '<m:SortOrder><t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="item:DateTimeReceived"/></t:FieldOrder></m:SortOrder>';

function dateRestriction(filter: ListMessagesFilter | undefined): string | undefined {
  const parts: string[] = [];
  const cmp = (op: string, ms: number) =>
    `<t:${op}><t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURIOrConstant>${el('t:Constant', { Value: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') })}</t:FieldURIOrConstant></t:${op}>`;
  if (filter?.since !== undefined) parts.push(cmp('IsGreaterThanOrEqualTo', filter.since));
  if (filter?.before !== undefined) parts.push(cmp('IsLessThan', filter.before));
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : `<t:And>${parts.join('')}</t:And>`;
}

export async function findItems(ctx: EwsContext, folderId: string, restriction?: string): Promise<FoundItem[]> {
  const out: FoundItem[] = [];
  const pageSize = Math.min(ctx.limits.pageSize, 1000);
  for (let offset = 0; ; ) {
    const body =
      `<m:FindItem Traversal="Shallow">${SHAPE}<m:IndexedPageItemView MaxEntriesReturned="${pageSize}" Offset="${offset}" BasePoint="Beginning"/>` +
      `${restriction ? `<m:Restriction>${restriction}</m:Restriction>` : ''}${SORT_OLDEST_FIRST}<m:ParentFolderIds>${folderIdXml(folderId)}</m:ParentFolderIds></m:FindItem>`;
    const response = await ctx.transport.call(body);
    const message = response.messages[0];
    if (!message) throw new MailferryError('internal', 'FindItem returned no response message.');
    if (message.responseClass === 'Error') throw fromCode(message, `Listing items in ${ctx.mailbox}`);
    const root = child(message.element, 'RootFolder');
    const page = elementChildren(child(root, 'Items'));
    for (const item of page) out.push(readFound(item));
    const last = attr(root, 'IncludesLastItemInRange') !== 'false';
    if (last || page.length === 0) break;
    const next = Number(attr(root, 'IndexedPagingOffset'));
    offset = Number.isFinite(next) && next > offset ? next : offset + page.length;
  }
  return out;
}

function readFound(item: Element): FoundItem {
  const found: FoundItem = {
    id: attr(child(item, 'ItemId'), 'Id') ?? '',
    itemClass: text(child(item, 'ItemClass')) ?? 'IPM.Note',
    size: Number(text(child(item, 'Size')) ?? 0) || 0,
    received: Date.parse(text(child(item, 'DateTimeReceived')) ?? '') || 0,
    categories: children(child(item, 'Categories'), 'String').map((s) => text(s) ?? ''),
  };
  for (const prop of children(item, 'ExtendedProperty')) {
    const uri = child(prop, 'ExtendedFieldURI');
    const value = text(child(prop, 'Value')) ?? '';
    const tag = attr(uri, 'PropertyTag');
    if (tag !== undefined) {
      const n = tag.toLowerCase().startsWith('0x') ? parseInt(tag.slice(2), 16) : Number(tag);
      if (n === 0x0e07) found.messageFlags = Number(value);
      else if (n === 0x1090) found.flagStatus = Number(value);
    } else if (attr(uri, 'PropertyName') === MARKER_NAME && (attr(uri, 'PropertySetId') ?? '').toLowerCase() === MAILFERRY_PROPERTY_SET) {
      found.marker = value;
    }
  }
  return found;
}

/** Source refs: key = ItemId, uid = position in the oldest-first listing. */
export async function listMessages(ctx: EwsContext, folderId: string, filter?: ListMessagesFilter): Promise<MessageRef[]> {
  const found = await findItems(ctx, folderId, dateRestriction(filter));
  return found.map((f, i) => ({
    key: f.id,
    uid: i + 1,
    size: f.size,
    internalDate: f.received,
    flags: imapFlags(f.messageFlags, f.flagStatus, f.categories),
    itemType: itemTypeOfItemClass(f.itemClass),
  }));
}

/**
 * Crash recovery's view of a destination folder. Items carrying our marker name their source key
 * and are paired exactly. Items without it are listed too, with size and received date: an
 * UploadItems (ExportItems blob) cannot carry the marker, which follows in an UpdateItem, so
 * uploads in flight when a worker died are stored unmarked and must be paired like IMAP writes
 * (size and received date, each item claimed once). EWS has no UIDs, so `fromUid` does not narrow
 * the listing: the whole folder is read, once, only when a job resumes with pending rows.
 */
export async function listRange(
  ctx: EwsContext,
  folderId: string,
  _fromUid: number,
): Promise<(DestinationEntry & { destId: string; itemClass: string })[]> {
  const found = await findItems(ctx, folderId);
  return found.map((f, i) => ({
    uid: i + 1,
    size: f.size,
    internalDate: f.received,
    destId: f.id,
    itemClass: f.itemClass,
    ...(f.marker !== undefined ? { sourceKey: f.marker } : {}),
  }));
}
