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
  /** Folder permissions (types.xsd PermissionType/CalendarPermissionType); absent = the defaults. */
  permissions?: StoredPermission[];
}

export interface Mailbox {
  smtp: string;
  folders: Map<string, StoredFolder>;
  byDistinguished: Map<string, string>;
  /** 'group' for a Microsoft 365 Groups mailbox (absent = a user mailbox). */
  kind?: 'user' | 'group';
  /** Groups: owners and members, who reach the mailbox by delegation (lower-case SMTP). */
  owners?: Set<string>;
  members?: Set<string>;
  displayName?: string;
  /** Inbox rules (GetInboxRules/UpdateInboxRules), in priority order. */
  rules?: StoredRule[];
  /** Automatic replies (Get/SetUserOofSettings). */
  oof?: StoredOof;
}

/** One user's rights on a folder, every field filled in (as Exchange reports them). */
export interface StoredPermission {
  user: { smtp?: string; displayName?: string; distinguished?: 'Default' | 'Anonymous' };
  canCreateItems: boolean;
  canCreateSubFolders: boolean;
  isFolderOwner: boolean;
  isFolderVisible: boolean;
  isFolderContact: boolean;
  editItems: 'None' | 'Owned' | 'All';
  deleteItems: 'None' | 'Owned' | 'All';
  /** PermissionReadAccessType, or CalendarPermissionReadAccessType on calendar folders. */
  readItems: string;
  /** PermissionLevelType, or CalendarPermissionLevelType on calendar folders. */
  level: string;
}

/** An inbox rule; conditions, exceptions and actions kept as canonical `t:` XML. */
export interface StoredRule {
  id: string;
  displayName: string;
  priority: number;
  isEnabled: boolean;
  conditionsXml?: string;
  exceptionsXml?: string;
  actionsXml?: string;
}

export interface StoredOof {
  state: 'Disabled' | 'Enabled' | 'Scheduled';
  externalAudience: 'None' | 'Known' | 'All';
  duration?: { start: string; end: string };
  internalReply: { message: string; lang?: string };
  externalReply: { message: string; lang?: string };
}

export interface Principal {
  smtp: string;
  password: string;
  /** Exchange's FullAccess mailbox permission on every mailbox (delegate access). */
  fullAccess: boolean;
  /** The ApplicationImpersonation role (honours the ExchangeImpersonation header). */
  impersonation: boolean;
  /** How the caller authenticated with a Bearer token: app-only (roles) or delegated (scp). */
  bearer?: 'app' | 'user';
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

  /**
   * A Microsoft 365 Groups mailbox: only the non-IPM root, msgfolderroot, Inbox and Calendar;
   * owners and members reach it by delegation (no password, no principal of its own).
   */
  addGroupMailbox(smtp: string, access: { owners?: string[]; members?: string[]; displayName?: string } = {}): Mailbox {
    const mbx: Mailbox = {
      smtp: smtp.toLowerCase(),
      folders: new Map(),
      byDistinguished: new Map(),
      kind: 'group',
      owners: new Set((access.owners ?? []).map((o) => o.toLowerCase())),
      members: new Set((access.members ?? []).map((m) => m.toLowerCase())),
      ...(access.displayName ? { displayName: access.displayName } : {}),
    };
    this.mailboxes.set(mbx.smtp, mbx);
    const root = this.insert(mbx, null, 'Root', 'Folder', '', 'root');
    const top = this.insert(mbx, root.id, 'Top of Information Store', 'Folder', 'IPF.Note', 'msgfolderroot');
    for (const w of WELL_KNOWN.filter((k) => k.id === 'inbox' || k.id === 'calendar'))
      this.insert(mbx, top.id, w.name, w.element, w.folderClass, w.id);
    return mbx;
  }

  mailbox(smtp: string): Mailbox | undefined {
    return this.mailboxes.get(smtp.toLowerCase());
  }

  insert(
    mbx: Mailbox,
    parentId: string | null,
    displayName: string,
    element: FolderElement,
    folderClass: string,
    distinguished?: string,
  ): StoredFolder {
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
