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
}

/** A folder's items as last listed, and where to ask for what changed since. */
export interface FolderSync {
  deltaLink?: string;
  items: Map<string, MailboxItem>;
}

export async function syncFolder(ctx: GraphContext, folderId: string, sync: FolderSync | undefined): Promise<FolderSync> {
  const what = { action: `Listing items in a folder of ${ctx.mailbox}`, permission: GRAPH_PERMISSIONS.itemRead };
  const start = sync?.deltaLink ?? mailboxPath(ctx, `/folders/${encodeURIComponent(folderId)}/items/delta`);
  const listing = await readAllPages<MailboxItem>(ctx, start, what);
  const items = sync?.deltaLink ? new Map(sync.items) : new Map<string, MailboxItem>();
  for (const item of listing.values) {
    if (item['@removed'] !== undefined) items.delete(item.id);
    else items.set(item.id, item);
  }
  return { deltaLink: listing.deltaLink, items };
}

/**
 * What changed in a folder since `deltaLink` (a link an earlier listing ended with), or every
 * item when there is none or Graph no longer knows it (then `restarted`). `items` holds only what
 * this listing reported: a delta does not repeat the items before it.
 */
export async function listChanges(ctx: GraphContext, folderId: string, deltaLink: string | undefined): Promise<{ sync: FolderSync & { deltaLink: string }; restarted: boolean }> {
  const ended = (sync: FolderSync) => {
    if (!sync.deltaLink) throw new MailferryError('internal', `Listing items in a folder of ${ctx.mailbox}: Microsoft Graph ended the delta listing without a delta link.`);
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

/**
 * Source refs, oldest first: key = the item id, uid = the position in that order. Only the key
 * identifies an item (ledger, error log, crash recovery's pairing order: creation time, then key);
 * the uid is not stable between listings, and a delta listing numbers only what it reported.
 */
export function refsOf(sync: FolderSync, filter?: ListMessagesFilter): MessageRef[] {
  const items = [...sync.items.values()]
    .filter((item) => (filter?.before === undefined || createdAt(item) < filter.before) && (filter?.since === undefined || createdAt(item) >= filter.since))
    .sort((a, b) => createdAt(a) - createdAt(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)); // the order crash recovery pairs in
  return items.map((item, i) => ({
    key: item.id,
    uid: i + 1,
    size: item.size ?? 0,
    internalDate: createdAt(item),
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
