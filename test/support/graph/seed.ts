/**
 * What a test puts into the Graph test server's mailboxes and reads back, without going
 * through Graph: folders, mail from MIME bytes, other item types, and the stored items with
 * their MIME, opaque export stream and flags.
 */
import { type ItemContent, encodeBlob, mimeHeader } from './item-blob.js';
import type { GraphFolder, GraphItem, GraphMailbox, GraphStore } from './store.js';

export interface SeedMessageOptions {
  isRead?: boolean;
  isDraft?: boolean;
  flagged?: boolean;
  categories?: string[];
  /** Defaults to the message's Date header, else now. */
  receivedDateTime?: string | Date;
}

export interface SeedItemOptions {
  /** Message class: IPM.Appointment, IPM.Contact, IPM.Task, IPM.StickyNote, … */
  type: string;
  subject?: string;
  /** Free text standing for the item's properties (the server keeps it whole). */
  body?: string;
  categories?: string[];
  isRead?: boolean;
  flagged?: boolean;
}

export interface StoredGraphItem {
  id: string;
  changeKey: string;
  folderId: string;
  type: string;
  subject?: string;
  body?: string;
  /** The exported stream (what exportItems returns base64). */
  data: Buffer;
  mime?: Buffer;
  isDraft: boolean;
  isRead: boolean;
  flagged: boolean;
  categories: string[];
  receivedDateTime?: string;
  origin: GraphItem['origin'];
  /** The EWS test server's exported item, when this one was imported from an EWS export. */
  ews?: unknown;
}

export interface GraphSeeder {
  /** Creates a folder (parent: a folder id, a well-known name, or 'root' = top of the mailbox); returns its id. */
  folder(smtp: string, spec: { displayName: string; parent?: string; type?: string }): string;
  /** Stores mail from MIME bytes; returns the item id. */
  message(smtp: string, folder: string, mime: Buffer, opts?: SeedMessageOptions): string;
  /** Stores another item type; returns the item id. */
  item(smtp: string, folder: string, spec: SeedItemOptions): string;
  deleteItem(smtp: string, itemId: string): void;
}

export interface GraphReader {
  folders(smtp: string): GraphFolder[];
  /** A folder by id, well-known name (inbox, …) or display-name path from the top ('Inbox/Projects'). */
  folder(smtp: string, idOrPath: string): GraphFolder | undefined;
  items(smtp: string, folder: string): StoredGraphItem[];
  item(smtp: string, itemId: string): StoredGraphItem | undefined;
}

function folderFor(store: GraphStore, mbx: GraphMailbox, idOrPath: string): GraphFolder | undefined {
  if (idOrPath === 'root') return mbx.folders.get(mbx.rootId);
  const direct = store.folder(mbx, idOrPath);
  if (direct) return direct;
  let at: GraphFolder | undefined = mbx.folders.get(mbx.rootId);
  for (const name of idOrPath.split('/')) {
    at = at ? store.children(mbx, at.id).find((f) => f.displayName.toLowerCase() === name.toLowerCase()) : undefined;
  }
  return at;
}

function requireFolder(store: GraphStore, mbx: GraphMailbox, idOrPath: string): GraphFolder {
  const f = folderFor(store, mbx, idOrPath);
  if (!f) throw new Error(`no folder '${idOrPath}' in ${mbx.smtp}`);
  return f;
}

function stored(item: GraphItem): StoredGraphItem {
  const c = item.content;
  return {
    id: item.id,
    changeKey: item.changeKey,
    folderId: item.folderId,
    type: c.type,
    ...(c.subject !== undefined ? { subject: c.subject } : {}),
    ...(c.body !== undefined ? { body: c.body } : {}),
    data: item.blob,
    ...(c.mime ? { mime: Buffer.from(c.mime, 'base64') } : {}),
    isDraft: c.isDraft,
    isRead: c.isRead,
    flagged: c.flagged,
    categories: c.categories,
    ...(c.receivedDateTime ? { receivedDateTime: c.receivedDateTime } : {}),
    origin: item.origin,
    ...(c.ews !== undefined ? { ews: c.ews } : {}),
  };
}

export function makeSeeder(store: GraphStore, now: () => number): GraphSeeder {
  return {
    folder(smtp, spec) {
      const mbx = store.mailbox(smtp);
      const parent = requireFolder(store, mbx, spec.parent ?? 'root');
      return store.addFolder(mbx, parent.id, spec.displayName, spec.type ?? parent.type).id;
    },
    message(smtp, folder, mime, opts = {}) {
      const mbx = store.mailbox(smtp);
      const date = mimeHeader(mime, 'Date');
      const received = opts.receivedDateTime ?? (date && !Number.isNaN(Date.parse(date)) ? new Date(Date.parse(date)) : new Date(now()));
      const content: ItemContent = {
        type: 'IPM.Note',
        mime: mime.toString('base64'),
        subject: mimeHeader(mime, 'Subject') ?? '',
        isRead: opts.isRead ?? false,
        isDraft: opts.isDraft ?? false,
        flagged: opts.flagged ?? false,
        categories: opts.categories ?? [],
        receivedDateTime: new Date(received).toISOString(),
      };
      return store.addItem(mbx, requireFolder(store, mbx, folder).id, encodeBlob(content), 'seed').id;
    },
    item(smtp, folder, spec) {
      const mbx = store.mailbox(smtp);
      const content: ItemContent = {
        type: spec.type,
        ...(spec.body !== undefined ? { body: spec.body } : {}),
        ...(spec.subject !== undefined ? { subject: spec.subject } : {}),
        isRead: spec.isRead ?? true,
        isDraft: false,
        flagged: spec.flagged ?? false,
        categories: spec.categories ?? [],
      };
      return store.addItem(mbx, requireFolder(store, mbx, folder).id, encodeBlob(content), 'seed').id;
    },
    deleteItem(smtp, itemId) {
      const mbx = store.mailbox(smtp);
      const item = mbx.items.get(itemId);
      if (!item) throw new Error(`no item ${itemId} in ${smtp}`);
      store.deleteItem(mbx, item);
    },
  };
}

export function makeReader(store: GraphStore): GraphReader {
  return {
    folders: (smtp) => [...store.mailbox(smtp).folders.values()],
    folder: (smtp, idOrPath) => folderFor(store, store.mailbox(smtp), idOrPath),
    items(smtp, folder) {
      const mbx = store.mailbox(smtp);
      return store.itemsIn(mbx, requireFolder(store, mbx, folder).id).map(stored);
    },
    item(smtp, itemId) {
      const item = store.mailbox(smtp).items.get(itemId);
      return item ? stored(item) : undefined;
    },
  };
}
