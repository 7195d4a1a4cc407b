/**
 * The EWS test server's in-memory mailboxes: a folder tree per mailbox, shaped like a fresh
 * Exchange mailbox (the non-IPM `root`, `msgfolderroot` = "Top of Information Store" and the
 * well-known folders under it), plus who may open which mailbox.
 */
import { randomBytes } from 'node:crypto';

/** The `t:Folder` substitution-group members this store creates (types.xsd ArrayOfFoldersType). */
export type FolderElement = 'Folder' | 'CalendarFolder' | 'ContactsFolder' | 'TasksFolder' | 'SearchFolder';

export interface StoredFolder {
  id: string;
  changeKey: string;
  parentId: string | null;
  displayName: string;
  folderClass: string;
  element: FolderElement;
  /** A `t:DistinguishedFolderIdNameType` value when this is a well-known folder. */
  distinguished?: string;
  totalCount: number;
  unreadCount: number;
}

export interface Mailbox {
  smtp: string;
  folders: Map<string, StoredFolder>;
  byDistinguished: Map<string, string>;
}

export interface Principal {
  smtp: string;
  password: string;
  /** Exchange's FullAccess mailbox permission on every mailbox (delegate access). */
  fullAccess: boolean;
  /** The ApplicationImpersonation role (honours the ExchangeImpersonation header). */
  impersonation: boolean;
}

const CHANGE_KEY_BYTES = 8;
const ID_PREFIX = 'mf-ews-folder';

/** The well-known folders under msgfolderroot, with the element and FolderClass Exchange uses. */
const WELL_KNOWN: { id: string; name: string; element: FolderElement; folderClass: string }[] = [
  { id: 'inbox', name: 'Inbox', element: 'Folder', folderClass: 'IPF.Note' },
  { id: 'sentitems', name: 'Sent Items', element: 'Folder', folderClass: 'IPF.Note' },
  { id: 'deleteditems', name: 'Deleted Items', element: 'Folder', folderClass: 'IPF.Note' },
  { id: 'drafts', name: 'Drafts', element: 'Folder', folderClass: 'IPF.Note' },
  { id: 'outbox', name: 'Outbox', element: 'Folder', folderClass: 'IPF.Note' },
  { id: 'junkemail', name: 'Junk Email', element: 'Folder', folderClass: 'IPF.Note' },
  { id: 'calendar', name: 'Calendar', element: 'CalendarFolder', folderClass: 'IPF.Appointment' },
  { id: 'contacts', name: 'Contacts', element: 'ContactsFolder', folderClass: 'IPF.Contact' },
  { id: 'tasks', name: 'Tasks', element: 'TasksFolder', folderClass: 'IPF.Task' },
  { id: 'notes', name: 'Notes', element: 'Folder', folderClass: 'IPF.StickyNote' },
  { id: 'journal', name: 'Journal', element: 'Folder', folderClass: 'IPF.Journal' },
];

/**
 * Folder ids are opaque base64 like Exchange's, but decodable so a test can forge a well-formed
 * id for a folder that does not exist (→ ErrorItemNotFound rather than ErrorInvalidIdMalformed).
 */
export function encodeFolderId(smtp: string, key: string): string {
  return Buffer.from(`${ID_PREFIX}\n${smtp}\n${key}`, 'utf8').toString('base64');
}

export function decodeFolderId(id: string): { smtp: string; key: string } | undefined {
  const parts = Buffer.from(id, 'base64').toString('utf8').split('\n');
  if (parts.length !== 3 || parts[0] !== ID_PREFIX) return undefined;
  return { smtp: parts[1]!, key: parts[2]! };
}

export class MailboxStore {
  readonly mailboxes = new Map<string, Mailbox>();
  readonly principals = new Map<string, Principal>();
  private seq = 0;

  addPrincipal(p: Principal, withMailbox = true): void {
    this.principals.set(p.smtp.toLowerCase(), p);
    if (withMailbox) this.addMailbox(p.smtp);
  }

  addMailbox(smtp: string): Mailbox {
    const mbx: Mailbox = { smtp: smtp.toLowerCase(), folders: new Map(), byDistinguished: new Map() };
    this.mailboxes.set(mbx.smtp, mbx);
    const root = this.insert(mbx, null, 'Root', 'Folder', '', 'root');
    const top = this.insert(mbx, root.id, 'Top of Information Store', 'Folder', 'IPF.Note', 'msgfolderroot');
    for (const w of WELL_KNOWN) this.insert(mbx, top.id, w.name, w.element, w.folderClass, w.id);
    return mbx;
  }

  mailbox(smtp: string): Mailbox | undefined {
    return this.mailboxes.get(smtp.toLowerCase());
  }

  insert(mbx: Mailbox, parentId: string | null, displayName: string, element: FolderElement, folderClass: string, distinguished?: string): StoredFolder {
    const id = encodeFolderId(mbx.smtp, String(++this.seq));
    const folder: StoredFolder = {
      id,
      changeKey: randomBytes(CHANGE_KEY_BYTES).toString('base64'),
      parentId,
      displayName,
      folderClass,
      element,
      totalCount: 0,
      unreadCount: 0,
      ...(distinguished ? { distinguished } : {}),
    };
    mbx.folders.set(id, folder);
    if (distinguished) mbx.byDistinguished.set(distinguished, id);
    return folder;
  }

  childrenOf(mbx: Mailbox, parentId: string): StoredFolder[] {
    return [...mbx.folders.values()].filter((f) => f.parentId === parentId);
  }

  /** Depth-first, parents before children — the order Exchange's Deep traversal returns. */
  descendantsOf(mbx: Mailbox, parentId: string): StoredFolder[] {
    return this.childrenOf(mbx, parentId).flatMap((f) => [f, ...this.descendantsOf(mbx, f.id)]);
  }
}
