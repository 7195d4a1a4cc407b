/**
 * One interface for every mail system. The copy engine knows migrations; connectors know protocols.
 * An IMAP session implements it today; EWS, Groups and Graph connectors implement the same shape.
 */
import type { Readable } from 'node:stream';
import type { AppCertificate, Endpoint, ItemType } from './model.js';
import type { EwsStreamToGraph, RecipientMappingRule } from './support-options.js';

/**
 * How an item's bytes are carried from source to destination:
 * - `rfc822`: an Internet message (MIME). Every connector reads and writes it; mail only.
 * - `ews-export`: Exchange's opaque full-fidelity item stream (EWS ExportItems → UploadItems,
 *   Exchange 2010 SP1+). Any item type, every property; only an EWS destination takes it.
 * - `graph-export`: Exchange Online's opaque full-fidelity item stream through Microsoft Graph
 *   (exportItems → importItem), carried as the base64 text Graph gives and takes (ASCII bytes;
 *   decode it to see the stream itself). Any item type; only a Graph destination takes it.
 */
export type ContentFormat = 'rfc822' | 'ews-export' | 'graph-export';

export type SpecialUse = 'inbox' | 'sent' | 'drafts' | 'trash' | 'junk' | 'archive' | 'all' | 'flagged';

export interface FolderInfo {
  /** Full path as the server names it (decoded to Unicode), e.g. `INBOX/Projects/2024`. */
  path: string;
  /** Path segments, already split on the server's separator: `['INBOX', 'Projects', '2024']`. */
  segments: string[];
  separator: string;
  specialUse?: SpecialUse;
  /** A container that cannot hold items itself (IMAP \Noselect, \NonExistent). */
  noSelect: boolean;
  /** What the folder holds; absent means mail (every IMAP folder). EWS: from the FolderClass. */
  itemType?: ItemType;
}

/** A cheap description of one source item, enough to plan and to de-duplicate. */
export interface MessageRef {
  /** Stable within the folder: `${uidValidity}:${uid}` for IMAP. */
  key: string;
  uid: number;
  size: number;
  /** Epoch ms. */
  internalDate: number;
  flags: string[];
  itemType: ItemType;
}

export interface SourceMessage {
  ref: MessageRef;
  /** Absent means `rfc822`. */
  format?: ContentFormat;
  /** Small messages arrive whole; large ones as a stream read on demand (exactly `ref.size` bytes). */
  content: Buffer | (() => Promise<Readable>);
  subject?: string;
}

export interface AppendResult {
  ref: MessageRef;
  /** Destination id, e.g. `${uidValidity}:${uid}`; set on success. */
  destId?: string;
  error?: Error;
  /**
   * Set with `error` when the destination refused the item's format, not the item (Exchange
   * Online refusing an on-premises EWS export stream): the engine reads the item again in another
   * format the destination accepts and stops offering this one for the rest of the job.
   */
  formatRefused?: ContentFormat;
  /**
   * The item was written, but not all of it (a Groups post cannot carry attachments): each loss
   * becomes a row in the error log while the item counts as copied, so no pass writes it again.
   */
  losses?: Error[];
}

export interface DestinationFolderState {
  uidValidity: number;
  uidNext: number;
}

/** What a destination holds in a UID range: used to find our own writes after a crash. */
export interface DestinationEntry {
  uid: number;
  size: number;
  /**
   * Epoch ms, comparable with the source's internal date. Absent when the destination cannot know
   * it (Graph stores its own creation time): crash recovery then pairs on size alone.
   */
  internalDate?: number;
  /**
   * The source key a destination wrote on the item itself (EWS: a named extended property).
   * When present, crash recovery pairs on it exactly instead of on size and date.
   */
  sourceKey?: string;
  /** The destination id to record; defaults to `${uidValidity}:${uid}`. */
  destId?: string;
}

/** What the engine asks of a source read. */
export interface ReadOptions {
  /** Formats the destination accepts, best first; the source picks the first it can produce. */
  formats: readonly ContentFormat[];
}

/**
 * Mailbox-level settings that are not items in a folder: server-side inbox rules, automatic
 * replies (OOF), folder permissions. Opaque between two sessions of the same connector kind.
 */
export interface MailboxSetting {
  type: 'rules' | 'oof' | 'permissions';
  /** What an admin reads in the error log, e.g. `Inbox rule "Invoices"`, `Permissions of Calendar`. */
  label: string;
  /** Source folder path the setting belongs to (permissions), for mapping to the destination. */
  folder?: string;
  /**
   * What identifies the setting from pass to pass when its label may change (a rule's id at the
   * source, so a renamed rule is still the same rule); the label when absent.
   */
  key?: string;
  /**
   * Set by the engine when it applies a setting copied before: what the destination called its
   * copy then (SettingResult.destRef), so the destination updates that copy instead of adding one.
   */
  destRef?: string;
  data: unknown;
  /**
   * The source could not read this setting (say, a permission the app was not granted for it):
   * the reason becomes its error row, nothing goes to the destination, and the rest of the item
   * is copied. `data` is then empty.
   */
  unreadable?: Error;
}

export interface SettingResult {
  setting: MailboxSetting;
  /** Set when the destination could not take it: the reason goes to the error log. */
  error?: Error;
  /** What the destination calls its copy (a rule id), kept in the ledger for the next pass's update. */
  destRef?: string;
}

export interface ListMessagesFilter {
  /** Only items with internal date < before (epoch ms). */
  before?: number;
  /** Only items with internal date >= since (epoch ms). */
  since?: number;
}

/** What an incremental listing found (Graph `items/delta`), and where the next one starts. */
export interface FolderChanges {
  /** Items new or changed since the cursor (every item when it started from scratch), oldest first; removed items are left out. */
  refs: MessageRef[];
  /** The server's id of the folder listed: a cursor saved for another identity is stale. */
  identity: string;
  /** Where the next listing starts (opaque). Save it only once every ref is copied or in the error log. */
  cursor: string;
  /** The listing started from scratch: no cursor was given, it named another folder, or the server no longer knew it. */
  restarted: boolean;
  /**
   * Set when the folder is exactly as the cursor left it (IMAP: same UIDVALIDITY, UIDNEXT, message
   * count and HIGHESTMODSEQ): nothing was listed, and this many items, all copied, are in it.
   */
  unchangedCount?: number;
}

/** Flags to add to and remove from one destination message (IMAP flags and keywords). */
export interface FlagChange {
  destId: string;
  add: string[];
  remove: string[];
}

export interface MailboxSession {
  readonly kind: Endpoint['kind'];
  listFolders(): Promise<FolderInfo[]>;
  listMessages(folder: FolderInfo, filter?: ListMessagesFilter): Promise<MessageRef[]>;
  /**
   * A source that can list only what changed since an earlier listing (Graph's delta links):
   * `since` is the cursor an earlier FolderChanges returned for this folder, or absent for a full
   * listing. MessageRef keys stay the item ids whichever way an item was listed.
   */
  listChanges?(folder: FolderInfo, since?: { identity: string; cursor: string }): Promise<FolderChanges>;
  /** Yields the given refs in order; per-item read failures come back as errors in the stream's results, not thrown. */
  readMessages(
    folder: FolderInfo,
    refs: MessageRef[],
    options?: ReadOptions,
  ): AsyncIterable<SourceMessage | { ref: MessageRef; error: Error }>;
  /** Formats `appendMessages` takes, best first; absent means `['rfc822']`. */
  readonly accepts?: readonly ContentFormat[];
  /**
   * The destination cannot mark its writes and pairs them after a crash less surely than IMAP
   * (Graph): the engine commits each confirmed write to the ledger at once, so that only the
   * writes in flight when a worker died are left to recovery.
   */
  readonly commitEachWrite?: boolean;
  /**
   * Creates the folder (and parents) if needed; returns its state. `segments` are destination path
   * segments; `itemType` is what the folder will hold (EWS creates a CalendarFolder, ContactsFolder…).
   */
  ensureFolder(segments: string[], itemType?: ItemType): Promise<{ path: string; state: DestinationFolderState }>;
  folderState(path: string): Promise<DestinationFolderState>;
  /**
   * Writes messages, pipelined; yields one result per message, in input order unless the
   * destination commits each write (`commitEachWrite`: as they finish). A rejected item
   * is a result with `error`; a lost connection throws.
   */
  appendMessages(path: string, messages: AsyncIterable<SourceMessage>): AsyncIterable<AppendResult>;
  listRange(path: string, fromUid: number): Promise<DestinationEntry[]>;
  /**
   * Destination side: the flags of the given messages (destination ids) in a folder; a message
   * that is gone is absent from the map. With `updateFlags`, what lets a delta pass carry flag
   * and keyword changes made at the source after the copy.
   */
  readFlags?(path: string, destIds: string[]): Promise<Map<string, string[]>>;
  /** Destination side: applies the changes (flags the destination cannot store are left out). */
  updateFlags?(path: string, changes: FlagChange[]): Promise<void>;
  /**
   * Crash recovery paired these destination items (listed by listRange without a source key) with
   * their source keys: a destination that marks its writes marks them now, so a later recovery
   * pairs them exactly.
   */
  markRecovered?(path: string, pairs: { destId: string; sourceKey: string }[]): Promise<void>;
  /**
   * The mark a destination writes for a source key, as listRange reports it in `sourceKey` (a
   * Groups post carries a digest of the key, not the key itself); the key itself when absent.
   */
  markOf?(sourceKey: string): string;
  /** Settings of the given kinds this mailbox has (source side); absent when the protocol has none. */
  exportSettings?(types: readonly MailboxSetting['type'][]): Promise<MailboxSetting[]>;
  /**
   * Applies settings read from a session of the same kind (destination side). `folderPath` maps a
   * source folder path to the destination path it was copied to (undefined: not copied).
   */
  importSettings?(settings: MailboxSetting[], folderPath: (sourcePath: string) => string | undefined): Promise<SettingResult[]>;
  close(): Promise<void>;
}

/**
 * An app registration's client credentials: a client secret, or a certificate (the private key
 * signs a client assertion; the thumbprint names the certificate registered in Entra ID).
 */
export interface ModernAuthCredentials {
  clientId: string;
  tenantId: string;
  clientSecret?: string;
  certificate?: Pick<AppCertificate, 'thumbprintSha256' | 'thumbprint' | 'notBefore' | 'notAfter' | 'subject'> & { privateKey: string };
}

/** Who we log in as for one item's mailbox on one endpoint. */
export interface MailboxAccess {
  endpoint: Endpoint;
  /** The mailbox address (item's source or destination address). */
  mailbox: string;
  /** Per-item login; when absent the endpoint's admin login is used. */
  login?: string;
  password?: string;
  adminPassword?: string;
  /**
   * Support-option tuning for this mailbox: commands a connector may keep in flight (`PipelineDepth`,
   * `EwsRequestsInFlight`), and how long an IMAP server may send nothing while it owes an answer (`ImapStallSeconds`).
   */
  tuning?: { pipelineDepth?: number; requestsInFlight?: number; stallSeconds?: number };
  /**
   * OAuth 2.0 client credentials (Modern Auth) for this side, from the endpoint or the project's
   * `ModernAuth…Export` (source) / `…Import` (destination) options. EWS on Exchange Online.
   */
  modernAuth?: ModernAuthCredentials;
  /** `RecipientMapping` rules, for connectors that rewrite typed items (organizers, attendees). */
  recipientMappings?: readonly RecipientMappingRule[];
  /**
   * `EwsStreamToGraph`: whether a Graph destination offers to import the EWS export stream of
   * Exchange on premises (`try`, the default) or takes its mail as MIME only (`never`).
   */
  ewsStreamToGraph?: EwsStreamToGraph;
  /** An administrator's delegated sign-in (Groups over Graph), from the vault. */
  delegatedSignIn?: DelegatedSignIn;
}

/**
 * An administrator's delegated sign-in: msal's serialized token cache from the vault, refresh
 * token inside. A secret: never logged, never put in an error.
 */
export interface DelegatedSignIn {
  tokenCache: string;
  /**
   * Keeps a newer cache (Entra ID rotated the refresh token): the connector calls it after a
   * refresh that changed the refresh token, so the sign-in outlives the first token's lifetime.
   */
  save?(tokenCache: string): Promise<void>;
}

/** What the admin is shown to sign in with a device code (RFC 8628). */
export interface DeviceCodePrompt {
  userCode: string;
  verificationUri: string;
  /** Entra ID's own sentence ("To sign in, use a web browser to open the page … and enter the code …"). */
  message: string;
  /** ISO time after which the code is no longer accepted. */
  expiresAt: string;
}

/** A device-code sign-in under way: the prompt now, the outcome when the admin has signed in (or not). */
export interface DeviceCodeSignIn {
  prompt: DeviceCodePrompt;
  /** Who signed in and msal's serialized token cache (a secret: it goes to the vault, nowhere else). */
  result: Promise<{ signedInAs: string; tokenCache: string }>;
  /** Stops polling Entra ID; `result` then rejects. */
  cancel(): void;
}

/** One line of "Save and Go to Summary": what was checked and, when it failed, what to fix. */
export interface EndpointCheck {
  check: string;
  status: 'ok' | 'failed' | 'warning' | 'skipped';
  detail: string;
}

export interface EndpointProbe {
  endpoint: Endpoint;
  adminPassword?: string;
  /** A mailbox to try the admin login against (admin modes reach mailboxes, not themselves). */
  testMailbox?: string;
  /** Or a user's own login for endpoints without admin access. */
  testLogin?: string;
  testPassword?: string;
  /** The side it is checked for: a permission only the other side needs is a warning (Graph). Both when absent. */
  role?: 'source' | 'destination';
  /** The endpoint's Modern Auth client secret (from the vault), for `oauth-app` endpoints. */
  appSecret?: string;
  /** The administrator's delegated sign-in (Groups over Graph), from the vault. */
  delegatedSignIn?: DelegatedSignIn;
  /** The private key of the endpoint's app certificate (from the vault), when it signs in with one. */
  appCertificateKey?: string;
}

export interface MailConnector {
  /** Connects and authenticates; throws AuthError with what to fix when credentials are wrong. */
  open(access: MailboxAccess, signal?: AbortSignal): Promise<MailboxSession>;
  /** Checks an endpoint's settings without migrating anything. Never throws for a failed check. */
  probe?(probe: EndpointProbe): Promise<EndpointCheck[]>;
  /** Lists the mailboxes an admin can reach ("Autodiscover items"); absent where the protocol has no such list. */
  discoverMailboxes?(probe: EndpointProbe): Promise<string[]>;
  /** Starts an administrator's device-code sign-in for an endpoint that writes with delegated permissions (Groups over Graph). */
  startSignIn?(endpoint: Endpoint): Promise<DeviceCodeSignIn>;
}
