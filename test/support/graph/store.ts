/**
 * The Graph test server's mailboxes: users, shared mailboxes and Microsoft 365 Groups, their
 * folders and items, in memory. Every change takes the mailbox's next sequence number, which is
 * what delta links and skip tokens remember (a delta returns what changed after its number).
 *
 * An item's content is an opaque blob (./item-blob.ts): what exportItems hands out and
 * importItem takes back, so an exported stream re-imported and re-exported is byte-identical.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type ItemContent, decodeBlob } from './item-blob.js';

export type MailboxKind = 'user' | 'shared' | 'group';

export interface GraphFolder {
  id: string;
  displayName: string;
  /** undefined for the root ("Top of Information Store"). */
  parentId: string | undefined;
  type: string;
  /** Graph's well-known name (inbox, sentitems, …) where there is one. */
  wellKnown?: string;
  seq: number;
}

export interface GraphItem {
  id: string;
  folderId: string;
  changeKey: string;
  /** The opaque export stream; the item's whole content. */
  blob: Buffer;
  content: ItemContent;
  createdDateTime: string;
  lastModifiedDateTime: string;
  seq: number;
  /** How the item got here: seeded by a test, importItem, beta importMime, an EWS export blob, or a group post. */
  origin: 'seed' | 'importItem' | 'importMime' | 'ews-export' | 'groupThread';
}

export interface Tombstone {
  id: string;
  folderId: string;
  seq: number;
}

export interface GraphMailbox {
  /** `MBX:{guid}@{tenantId}`, as Exchange Online's primaryMailboxId. */
  id: string;
  /** The directory object id of the user or group. */
  objectId: string;
  smtp: string;
  kind: MailboxKind;
  rootId: string;
  folders: Map<string, GraphFolder>;
  items: Map<string, GraphItem>;
  tombstones: Tombstone[];
  seq: number;
}

/** The folders Exchange Online makes in every user and shared mailbox. */
const WELL_KNOWN: { name: string; wellKnown: string; type: string }[] = [
  { name: 'Inbox', wellKnown: 'inbox', type: 'IPF.Note' },
  { name: 'Drafts', wellKnown: 'drafts', type: 'IPF.Note' },
  { name: 'Sent Items', wellKnown: 'sentitems', type: 'IPF.Note' },
  { name: 'Deleted Items', wellKnown: 'deleteditems', type: 'IPF.Note' },
  { name: 'Junk Email', wellKnown: 'junkemail', type: 'IPF.Note' },
  { name: 'Outbox', wellKnown: 'outbox', type: 'IPF.Note' },
  { name: 'Archive', wellKnown: 'archive', type: 'IPF.Note' },
  { name: 'Calendar', wellKnown: 'calendar', type: 'IPF.Appointment' },
  { name: 'Contacts', wellKnown: 'contacts', type: 'IPF.Contact' },
  { name: 'Tasks', wellKnown: 'tasks', type: 'IPF.Task' },
  { name: 'Notes', wellKnown: 'notes', type: 'IPF.StickyNote' },
];
/** A Groups mailbox has only these (as the EWS test server's). */
const GROUP_FOLDERS = new Set(['inbox', 'calendar']);

/** An Exchange-looking opaque id (base64url of random bytes, prefixed like EWS ids are). */
function opaqueId(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

function changeKeyOf(id: string, blob: Buffer, seq: number): string {
  return createHash('sha1').update(id).update(blob).update(String(seq)).digest('base64').slice(0, 20);
}

export class GraphStore {
  readonly mailboxes = new Map<string, GraphMailbox>();
  private readonly bySmtp = new Map<string, GraphMailbox>();

  constructor(
    readonly tenantId: string,
    private readonly now: () => Date,
  ) {}

  addMailbox(smtp: string, kind: MailboxKind): GraphMailbox {
    const key = smtp.toLowerCase();
    if (this.bySmtp.has(key)) throw new Error(`mailbox ${smtp} exists already`);
    const rootId = opaqueId('AQMk');
    const mbx: GraphMailbox = {
      id: `MBX:${randomUUID()}@${this.tenantId}`,
      objectId: randomUUID(),
      smtp: key,
      kind,
      rootId,
      folders: new Map(),
      items: new Map(),
      tombstones: [],
      seq: 0,
    };
    mbx.folders.set(rootId, {
      id: rootId,
      displayName: 'Top of Information Store',
      parentId: undefined,
      type: 'IPF.Note',
      wellKnown: 'msgfolderroot',
      seq: 0,
    });
    for (const f of WELL_KNOWN) {
      if (kind === 'group' && !GROUP_FOLDERS.has(f.wellKnown)) continue;
      this.addFolder(mbx, rootId, f.name, f.type, f.wellKnown);
    }
    this.mailboxes.set(mbx.id, mbx);
    this.bySmtp.set(key, mbx);
    return mbx;
  }

  /** By mailbox id, user/group object id or smtp address. */
  find(idOrSmtp: string): GraphMailbox | undefined {
    const key = idOrSmtp.toLowerCase();
    return this.mailboxes.get(idOrSmtp) ?? this.bySmtp.get(key) ?? [...this.mailboxes.values()].find((m) => m.objectId === key);
  }

  mailbox(idOrSmtp: string): GraphMailbox {
    const m = this.find(idOrSmtp);
    if (!m) throw new Error(`no mailbox ${idOrSmtp} on the Graph test server`);
    return m;
  }

  addFolder(mbx: GraphMailbox, parentId: string, displayName: string, type: string, wellKnown?: string): GraphFolder {
    const folder: GraphFolder = { id: opaqueId('AAMk'), displayName, parentId, type, ...(wellKnown ? { wellKnown } : {}), seq: ++mbx.seq };
    mbx.folders.set(folder.id, folder);
    return folder;
  }

  children(mbx: GraphMailbox, parentId: string): GraphFolder[] {
    return [...mbx.folders.values()].filter((f) => f.parentId === parentId);
  }

  /** A folder by id, or by well-known name (`inbox`, `msgfolderroot`, …) as mailFolders routes allow. */
  folder(mbx: GraphMailbox, idOrName: string): GraphFolder | undefined {
    return mbx.folders.get(idOrName) ?? [...mbx.folders.values()].find((f) => f.wellKnown === idOrName.toLowerCase());
  }

  itemsIn(mbx: GraphMailbox, folderId: string): GraphItem[] {
    return [...mbx.items.values()].filter((i) => i.folderId === folderId);
  }

  /** Stores an item; `decoded` spares decoding a blob the caller has just decoded. */
  addItem(mbx: GraphMailbox, folderId: string, blob: Buffer, origin: GraphItem['origin'], decoded?: ItemContent): GraphItem {
    const content = decoded ?? decodeBlob(blob);
    if (!content) throw new Error('not an item blob of this server');
    const seq = ++mbx.seq;
    const stamp = this.now().toISOString();
    const id = opaqueId('AAMkAG');
    const item: GraphItem = {
      id,
      folderId,
      changeKey: changeKeyOf(id, blob, seq),
      blob,
      content,
      createdDateTime: stamp,
      lastModifiedDateTime: stamp,
      seq,
      origin,
    };
    mbx.items.set(item.id, item);
    return item;
  }

  /** Replaces an item's content keeping its id (importItem Mode=update). */
  replaceItem(mbx: GraphMailbox, item: GraphItem, blob: Buffer, decoded?: ItemContent): void {
    const content = decoded ?? decodeBlob(blob);
    if (!content) throw new Error('not an item blob of this server');
    item.blob = blob;
    item.content = content;
    this.touch(mbx, item);
  }

  /** A change that is not new content (read state, flag, categories): new seq, new changeKey. */
  touch(mbx: GraphMailbox, item: GraphItem): void {
    item.seq = ++mbx.seq;
    item.changeKey = changeKeyOf(item.id, item.blob, item.seq);
    item.lastModifiedDateTime = this.now().toISOString();
  }

  deleteItem(mbx: GraphMailbox, item: GraphItem): void {
    mbx.items.delete(item.id);
    mbx.tombstones.push({ id: item.id, folderId: item.folderId, seq: ++mbx.seq });
  }

  totalItemCount(mbx: GraphMailbox, folderId: string): number {
    let n = 0;
    for (const i of mbx.items.values()) if (i.folderId === folderId) n++;
    return n;
  }
}
