/**
 * The domain in the words admins use (../shared/DESIGN.md). Every stored record carries its tenant
 * and an optimistic-concurrency `version` that the Store bumps on each write.
 *
 * Glossary (code, UI and docs use these words; a name that says otherwise is a bug to fix):
 * - **Project**: a source endpoint, a destination endpoint, options and items.
 * - **Endpoint**: a connection to one mail system (IMAP, Exchange over EWS, Exchange Online over
 *   Graph or EWS, a Microsoft 365 Groups mailbox).
 * - **Item**: one *mailbox pair* to move (source address → destination address), with its status
 *   and statistics. Never a piece of mail.
 * - **Message** / **mailbox item**: one piece of mailbox content (an e-mail, a contact, a
 *   calendar item, a task, a note, a journal entry, a rule, a permission). Counts such as
 *   `copied`, `skipped` and `failed` count messages. `ItemType`/`itemTypes` name the kinds of
 *   mailbox items a pass copies (the word migration tools and admins already use for them).
 * - **Pass**: one run over selected items; one job = one item × one pass.
 * - **Ledger**: per item, every source message already copied; **error log**: per item, one row
 *   per message that failed.
 * - **Export / Import** in support options (`ModernAuthClientIdExport`, `…Import`) mean source /
 *   destination: the option names admins know from MigrationWiz, kept so their option lines work.
 */

export interface Doc {
  tenantId: string;
  id: string;
  /** Set by the Store: 1 on insert, +1 on every replace. A replace with a stale version fails. */
  version: number;
}

export type EndpointKind = 'imap' | 'exchange' | 'm365' | 'm365-group';
export const ENDPOINT_KINDS: readonly EndpointKind[] = ['imap', 'exchange', 'm365', 'm365-group'];

export type ImapSecurity = 'tls' | 'starttls' | 'none';
/**
 * How an admin login reaches a user's mailbox over IMAP:
 * - `plain-authzid`: AUTHENTICATE PLAIN with the user as authorization identity (Dovecot master users, Zimbra, Cyrus);
 * - `login-star`: LOGIN `user*admin` (Dovecot's master_user_separator `*`);
 * - `none`: no admin; each item carries its own login and password.
 */
export type ImapAdminMode = 'plain-authzid' | 'login-star' | 'none';
/**
 * How an admin login reaches a user's mailbox over EWS:
 * - `delegation`: the admin holds FullAccess on the mailbox (the default; works for Groups too);
 * - `impersonation`: the ExchangeImpersonation header (ApplicationImpersonation on premises,
 *   RBAC for Applications / `full_access_as_app` on Exchange Online); never for Groups mailboxes;
 * - `none`: each item carries its own login and password.
 */
export type EwsAdminMode = 'delegation' | 'impersonation' | 'none';
export type AdminMode = ImapAdminMode | EwsAdminMode;
/** Microsoft 365 national clouds: each has its own EWS host and sign-in authority. */
export type M365Cloud = 'commercial' | 'china' | 'germany' | 'usgov-gcchigh' | 'usgov-dod';
export const M365_CLOUDS: readonly M365Cloud[] = ['commercial', 'china', 'germany', 'usgov-gcchigh', 'usgov-dod'];
/**
 * How an `m365` endpoint reaches Exchange Online: `graph` (the Microsoft Graph mailbox
 * import/export API, the default for new endpoints) or `ews` (Exchange Web Services, which
 * Microsoft switches off tenant by tenant from 2026-10-01 and for good on 2027-04-01).
 */
export type M365Protocol = 'graph' | 'ews';
export const M365_PROTOCOLS: readonly M365Protocol[] = ['graph', 'ews'];

/**
 * The protocol an endpoint speaks. Only `m365` has a choice; an `m365` endpoint stored before the
 * choice existed has no `protocol` and keeps EWS until the admin switches it (SQLite migration 6
 * writes `ews` into such records; Cosmos documents are read this way).
 */
export function endpointProtocol(endpoint: Pick<Endpoint, 'kind' | 'protocol'>): 'imap' | M365Protocol {
  if (endpoint.kind === 'imap') return 'imap';
  // A Groups endpoint stays on EWS (faithful) unless the admin picks Graph's conversation posts (lossy).
  if (endpoint.kind === 'm365' || endpoint.kind === 'm365-group') return endpoint.protocol ?? 'ews';
  return 'ews';
}

/** The public side of an app registration's certificate credential (api/core/app-certificate.ts). */
export interface AppCertificate {
  /** SHA-1 of the DER certificate, hex upper case: what the Entra admin center shows as the thumbprint. */
  thumbprint: string;
  /** SHA-256 of the DER certificate, hex: what msal-node puts in the client assertion (`x5t#S256`). */
  thumbprintSha256: string;
  subject: string;
  notBefore: string;
  notAfter: string;
}

export interface Endpoint extends Doc {
  name: string;
  /**
   * The workgroup that owns the endpoint: only its members see it, its Managers and Owners change
   * it, and only its projects use it (an Exchange admin endpoint is not the whole tenant's).
   * Absent on endpoints stored before workgroups owned them: those belong to the Default workgroup.
   */
  workgroupId?: string;
  kind: EndpointKind;
  /**
   * IMAP: host name. `exchange`: the EWS URL, the OWA URL (turned into the EWS URL) or the server
   * name. `m365`/`m365-group`: empty for the cloud's own EWS host, or an EWS URL.
   */
  host: string;
  port?: number;
  security?: ImapSecurity;
  /** Accept a self-signed certificate: only when the admin says so for this endpoint. */
  allowSelfSigned?: boolean;
  adminMode: AdminMode;
  adminLogin?: string;
  /** Reference into the SecretVault; the clear password is never stored in a record. */
  adminSecretRef?: string;
  /**
   * `xoauth2` sends the stored secret as an OAuth 2.0 access token (IMAP). `oauth-app`: Modern Auth
   * client credentials (EWS on Exchange Online) with `appClientId`, `appTenantId` and the secret
   * behind `appSecretRef`; project options `ModernAuth…Export/Import` override them per side.
   */
  authMechanism?: 'password' | 'xoauth2' | 'oauth-app';
  cloud?: M365Cloud;
  /**
   * `m365`: Graph or EWS (see M365Protocol); absent on records older than the choice, read as `ews`.
   * `m365-group`: EWS (the default, faithful) or Graph (conversations posted to the group, lossy).
   */
  protocol?: M365Protocol;
  appClientId?: string;
  appTenantId?: string;
  appSecretRef?: string;
  /**
   * `m365-group` over Graph: the administrator's delegated sign-in (device code), kept as msal's
   * serialized token cache (its refresh token inside) behind this vault reference. Never returned.
   */
  signInRef?: string;
  /** Who signed in (UPN) and when: shown to admins; not a secret. */
  signedInAs?: string;
  signedInAt?: string;
  /** `oauth-app` with a certificate instead of (or beside) a secret: its public facts, shown to admins. */
  appCertificate?: AppCertificate;
  /** Reference into the SecretVault for the certificate's private key (PKCS#8 PEM). */
  appCertificateKeyRef?: string;
  domains?: string[];
  createdAt: string;
}

/** In the order the console's status filter lists them. */
export const ITEM_STATUSES = [
  'Not Started',
  'Submitted',
  'Queued',
  'Running',
  'Waiting For End User',
  'Completed',
  'Completed With Errors',
  'Failed',
  'Stopped',
] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<ItemStatus> = new Set<ItemStatus>(['Completed', 'Completed With Errors', 'Failed', 'Stopped']);

/**
 * An item in one of these is part of a pass that has not ended: it cannot join another pass, be
 * edited or deleted, and its project's pass does not settle. The console reads the same list.
 */
export const ACTIVE_STATUSES: ReadonlySet<ItemStatus> = new Set<ItemStatus>(['Submitted', 'Queued', 'Running', 'Waiting For End User']);

export type PassKind = 'verify' | 'trial' | 'prestage' | 'full' | 'retry-errors';
export const PASS_KINDS: readonly PassKind[] = ['verify', 'trial', 'prestage', 'full', 'retry-errors'];

/** A kind of mailbox item (message), not of Item: see the glossary above. */
export type ItemType = 'mail' | 'contacts' | 'calendar' | 'tasks' | 'notes' | 'journal' | 'rules' | 'permissions';

/**
 * Who may do what. Owner: everything, including members and deleting projects. Manager: create,
 * edit and run projects and endpoints. Agent: see and run passes. Inactive: nothing.
 */
export type WorkgroupRole = 'Owner' | 'Manager' | 'Agent' | 'Inactive';
export const WORKGROUP_ROLES: readonly WorkgroupRole[] = ['Owner', 'Manager', 'Agent', 'Inactive'];

export interface WorkgroupMember {
  /** Entra ID object id (`oid`) of the user. */
  userId: string;
  name?: string;
  role: WorkgroupRole;
}

export interface Workgroup extends Doc {
  name: string;
  members: WorkgroupMember[];
  createdAt: string;
}

/** What a project grants to one user outside (or above the role in) its workgroup. */
export type ProjectAccess = 'view' | 'run' | 'edit' | 'delete';

export interface ProjectShare {
  userId: string;
  access: Exclude<ProjectAccess, 'delete'>;
}

export interface Project extends Doc {
  name: string;
  /** The workgroup whose members see the project according to their role. */
  workgroupId?: string;
  sharedWith?: ProjectShare[];
  sourceEndpointId: string;
  destinationEndpointId: string;
  /** Support options as written by the admin (`Key=Value` lines); secrets among them are masked on read. */
  options: string[];
  maxConcurrentMigrations: number;
  /**
   * Vault reference of the Teams Workflows webhook URL that gets an Adaptive Card when a pass
   * ends. The URL carries a signature, so it is a secret: stored encrypted, never returned.
   */
  teamsWebhookRef?: string;
  createdAt: string;
}

export interface Counts {
  copied: number;
  skipped: number;
  failed: number;
  bytes: number;
  /** Copies whose flags or keywords were updated to the source's (changed after the copy); absent means none. */
  flagsUpdated?: number;
}

export interface FolderCounts {
  path: string;
  copied: number;
  skipped: number;
  failed: number;
}

export interface ItemProgress extends Counts {
  passId: string;
  passKind: PassKind;
  currentFolder?: string;
  foldersDone: number;
  foldersTotal: number;
  startedAt: string;
  updatedAt: string;
  /** Messages per second over the pass so far. */
  messagesPerSecond: number;
  /** Per source folder, in plan order, for the folders finished so far. */
  folders?: FolderCounts[];
}

/**
 * Counts added up over every pass (copied, skipped, failed, bytes: what each pass did), and what is
 * true now, read when the item's last run ended: a skipped message counts again in every pass and
 * a failure stays in `failed` after Retry Errors copied it, so the grid shows the two "now" figures.
 */
export interface ItemStatistics extends Counts {
  passes: number;
  folders: number;
  durationMs: number;
  /** Messages the ledger knows at the destination. */
  messagesAtDestination?: number;
  /** Rows in the item's error log. */
  currentErrors?: number;
}

/** Ended runs an item keeps in `runHistory` (the item document stays small; the passes keep their own summaries). */
export const MAX_RUN_HISTORY = 50;

/** The item with `run` as its last run and at the end of its run history. */
export function withEndedRun<T extends Pick<Item, 'runHistory'>>(
  item: T,
  run: ItemRunSummary,
): T & { lastRun: ItemRunSummary; status: ItemStatus } {
  return { ...item, status: run.status, lastRun: run, runHistory: [...(item.runHistory ?? []), run].slice(-MAX_RUN_HISTORY) };
}

export interface ItemRunSummary extends Counts {
  passId: string;
  kind: PassKind;
  status: ItemStatus;
  startedAt?: string;
  finishedAt?: string;
  /** Why the item failed or stopped, in words an admin can act on. */
  reason?: string;
}

export interface Item extends Doc {
  projectId: string;
  sourceAddress: string;
  destinationAddress: string;
  sourceLogin?: string;
  sourceSecretRef?: string;
  /**
   * The endpoint each per-item password was entered for. A password is only ever sent to that
   * endpoint: re-pointing the project elsewhere must not carry users' passwords to another server.
   * Absent on items stored before the binding existed (they follow the refusal in updateProject).
   */
  sourceSecretEndpointId?: string;
  destinationLogin?: string;
  destinationSecretRef?: string;
  destinationSecretEndpointId?: string;
  /** "I don't know the login name and password": the end user confirms them (Waiting For End User). */
  endUserCredentials?: boolean;
  /**
   * The item's live end-user credential link (api/core/end-user/credential-link.ts). Only the
   * token's id is kept, never the token: a newer request replaces this record, which retires
   * older links. `attempts` bounds password guessing per link; `usedAt` makes the link single-use.
   */
  endUserRequest?: { tokenId: string; passId: string; requestedAt: string; expiresAt: string; attempts: number; usedAt?: string };
  options: string[];
  status: ItemStatus;
  progress?: ItemProgress;
  lastRun?: ItemRunSummary;
  /** The item's ended runs, oldest first, each with its own figures: at most MAX_RUN_HISTORY. */
  runHistory?: ItemRunSummary[];
  statistics: ItemStatistics;
  createdAt: string;
}

export type PassStatus = 'scheduled' | 'running' | 'stopping' | 'completed' | 'stopped';

export interface PassOptions {
  /** prestage: copy only messages received before this instant. */
  cutoff?: string;
  /** Optional date range on every copying pass (inclusive from, exclusive to). */
  dateFrom?: string;
  dateTo?: string;
  itemTypes: ItemType[];
}

export interface PassSummary extends Counts {
  items: number;
  completed: number;
  completedWithErrors: number;
  failedItems: number;
  stopped: number;
  durationMs: number;
}

export interface Pass extends Doc {
  projectId: string;
  kind: PassKind;
  itemIds: string[];
  options: PassOptions;
  startAt?: string;
  status: PassStatus;
  createdAt: string;
  finishedAt?: string;
  /** Set when the pass ends: what the Adaptive Card and statistics report. */
  summary?: PassSummary;
}

/**
 * Who runs jobs of one group (a project) right now, for queues that cannot count that themselves
 * (Service Bus): holder (lock token) → lock expiry in epoch ms. One document per group.
 */
export interface GroupSlots extends Doc {
  group: string;
  holders: Record<string, number>;
}

/** One source item already copied: why a second pass never duplicates. */
export interface LedgerEntry {
  tenantId: string;
  itemId: string;
  /** Source folder path as the source names it. */
  folder: string;
  /** Stable source key, e.g. `${uidValidity}:${uid}` for IMAP. */
  sourceKey: string;
  destFolder: string;
  /** Destination id, e.g. `${uidValidity}:${uid}`; empty while the entry is pending. */
  destId: string;
  size: number;
  /** Epoch ms of the source internal date. */
  internalDate: number;
  /**
   * `pending`: written before the destination write, with the destination's UIDNEXT at that
   * moment (`destUidFloor`), so a job that died between write and commit finds its own copy.
   */
  state: 'pending' | 'done';
  destUidFloor?: number;
  destUidValidity?: number;
}

/** One source item that could not be copied, with the reason. */
export interface ErrorRow {
  tenantId: string;
  itemId: string;
  passId: string;
  folder: string;
  sourceKey: string;
  subject?: string;
  size?: number;
  code: string;
  reason: string;
  at: string;
}
