/**
 * Listing a folder's items through `items/delta`: the first listing reads every page and keeps
 * the delta link; a later listing follows the delta link and gets only what changed (new and
 * updated items, `@removed` ones), so a folder with nothing new costs one request. Within a
 * session the changes are merged into the last full listing (syncFolder); across passes the
 * engine keeps the link as the folder's sync cursor (listChanges). listRange is crash recovery's
 * view of a destination folder.
 */
import type { DestinationEntry, ListMessagesFilter, MessageRef } from '../../core/connector.js';
import { MailferryError } from '../../core/errors.js';
import { itemTypeOfItemClass } from '../exchange-classes.js';
import { type GraphContext, mailboxPath } from './context.js';
import { DeltaExpiredError } from './map-error.js';
import { readAllPages } from './paging.js';
import { GRAPH_PERMISSIONS } from './permissions.js';

export interface MailboxItem {
  id: string;
  changeKey?: string;
  type?: string;
  size?: number;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  categories?: string[];
  '@removed'?: unknown;
  /** When it arrived in the mailbox (PR_MESSAGE_DELIVERY_TIME), read beside the delta listing; ms. */
  deliveredAt?: number;
}

/**
 * PR_MESSAGE_DELIVERY_TIME (MS-OXPROPS 0x0E06): when a message arrived in its mailbox, what Outlook
 * shows as Received and what IMAP calls the internal date. mailboxItem has no receivedDateTime
 * property (v1.0 CSDL: size, type and outlookItem's createdDateTime, lastModifiedDateTime,
 * categories), and createdDateTime is when the item was made in this mailbox, for a migrated item
 * the time of its import. The CSDL gives mailboxItem singleValueExtendedProperties, which the
 * items listing expands ($expand is documented there, not on items/delta).
 */
export const DELIVERY_TIME_PROPERTY = 'SystemTime 0x0E06';
const DELIVERY_TIME_TAG = 0x0e06;
/** Items created this long before the oldest changed one are asked for their delivery time too (server clocks). */
const CREATED_SLACK_MS = 60_000;

/** A folder's items as last listed, and where to ask for what changed since. */
export interface FolderSync {
  deltaLink?: string;
  items: Map<string, MailboxItem>;
}

export async function syncFolder(ctx: GraphContext, folderId: string, sync: FolderSync | undefined, withDates = true): Promise<FolderSync> {
  const what = { action: `Listing items in a folder of ${ctx.mailbox}`, permission: GRAPH_PERMISSIONS.itemRead };
  const start = sync?.deltaLink ?? mailboxPath(ctx, `/folders/${encodeURIComponent(folderId)}/items/delta`);
  const listing = await readAllPages<MailboxItem>(ctx, start, what);
  const items = sync?.deltaLink ? new Map(sync.items) : new Map<string, MailboxItem>();
  const changed: MailboxItem[] = [];
  for (const item of listing.values) {
    if (item['@removed'] !== undefined) items.delete(item.id);
    else changed.push(item);
  }
  if (withDates && changed.length > 0) {
    const delivered = await deliveryTimes(
      ctx,
      folderId,
      sync?.deltaLink ? changed.reduce((min, item) => Math.min(min, createdAt(item)), Infinity) - CREATED_SLACK_MS : undefined,
    );
    for (const item of changed) {
      const at = delivered.get(item.id);
      if (at !== undefined) item.deliveredAt = at;
    }
  }
  for (const item of changed) items.set(item.id, item);
  return { deltaLink: listing.deltaLink, items };
}

/**
 * The delivery time of a folder's items (those created since `createdSince`, or all), by item id:
 * the items listing with the property expanded, ids only otherwise. An item without one (a
 * contact, a note) is left out; its creation time stands in.
 */
async function deliveryTimes(ctx: GraphContext, folderId: string, createdSince: number | undefined): Promise<Map<string, number>> {
  const query = [
    '$select=id',
    `$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${DELIVERY_TIME_PROPERTY}')`)}`,
    ...(createdSince !== undefined && createdSince > 0
      ? [`$filter=${encodeURIComponent(`createdDateTime ge ${new Date(createdSince).toISOString()}`)}`]
      : []),
  ];
  const listing = await readAllPages<{ id: string; singleValueExtendedProperties?: { id?: string; value?: string }[] }>(
    ctx,
    mailboxPath(ctx, `/folders/${encodeURIComponent(folderId)}/items?${query.join('&')}`),
    { action: `Reading when the items in a folder of ${ctx.mailbox} arrived`, permission: GRAPH_PERMISSIONS.itemRead },
  );
  const out = new Map<string, number>();
  for (const item of listing.values) {
    const property = item.singleValueExtendedProperties?.find((p) => isDeliveryTime(p.id));
    const at = Date.parse(property?.value ?? '');
    if (Number.isFinite(at)) out.set(item.id, at);
  }
  return out;
}

/** Graph writes an id back as it likes it (`SystemTime 0xe06`): compared by type and tag. */
function isDeliveryTime(id: string | undefined): boolean {
  const m = /^SystemTime 0x([0-9a-f]+)$/i.exec(id?.trim() ?? '');
  return m !== null && Number.parseInt(m[1]!, 16) === DELIVERY_TIME_TAG;
}

/**
 * What changed in a folder since `deltaLink` (a link an earlier listing ended with), or every
 * item when there is none or Graph no longer knows it (then `restarted`). `items` holds only what
 * this listing reported: a delta does not repeat the items before it.
 */
export async function listChanges(
  ctx: GraphContext,
  folderId: string,
  deltaLink: string | undefined,
): Promise<{ sync: FolderSync & { deltaLink: string }; restarted: boolean }> {
  const ended = (sync: FolderSync) => {
    if (!sync.deltaLink)
      throw new MailferryError(
        'internal',
        `Listing items in a folder of ${ctx.mailbox}: Microsoft Graph ended the delta listing without a delta link.`,
      );
    return sync as FolderSync & { deltaLink: string };
  };
  if (deltaLink) {
    try {
      return { sync: ended(await syncFolder(ctx, folderId, { deltaLink, items: new Map() })), restarted: false };
    } catch (error) {
      if (!(error instanceof DeltaExpiredError)) throw error;
    }
  }
  return { sync: ended(await syncFolder(ctx, folderId, undefined)), restarted: true };
}

const createdAt = (item: MailboxItem) => Date.parse(item.createdDateTime ?? '') || 0;
/** The internal date: when the item arrived in the mailbox, or when it was made there if it has no delivery time. */
const arrivedAt = (item: MailboxItem) => item.deliveredAt ?? createdAt(item);

/**
 * Source refs, oldest first: key = the item id, uid = the position in that order. Only the key
 * identifies an item (ledger, error log, crash recovery's pairing order: delivery time, then key);
 * the uid is not stable between listings, and a delta listing numbers only what it reported.
 */
export function refsOf(sync: FolderSync, filter?: ListMessagesFilter): MessageRef[] {
  const items = [...sync.items.values()]
    .filter(
      (item) =>
        (filter?.before === undefined || arrivedAt(item) < filter.before) &&
        (filter?.since === undefined || arrivedAt(item) >= filter.since),
    )
    .sort((a, b) => arrivedAt(a) - arrivedAt(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)); // the order crash recovery pairs in
  return items.map((item, i) => ({
    key: item.id,
    uid: i + 1,
    size: item.size ?? 0,
    internalDate: arrivedAt(item),
    flags: (item.categories ?? []).filter((c) => c.trim() !== ''),
    itemType: itemTypeOfItemClass(item.type ?? 'IPM.Note'),
  }));
}

/**
 * A destination folder's items for crash recovery. Graph import carries no marker of ours (see
 * docs/endpoints.md: the import stream is opaque and mailboxItem has no extended properties), so every item
 * is listed with its size and the second it was created; `uid` is that second, so the engine's
 * floor (the server's clock when the folder was opened) leaves out what was there before. The
 * creation time is the destination's own, not the source's date: no internalDate, size alone pairs.
 */
export function entriesOf(sync: FolderSync, fromUid: number): DestinationEntry[] {
  const out: DestinationEntry[] = [];
  for (const item of sync.items.values()) {
    const second = Math.floor(createdAt(item) / 1000);
    if (second < fromUid) continue;
    out.push({ uid: second, size: item.size ?? 0, destId: item.id });
  }
  return out;
}
