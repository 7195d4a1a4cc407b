/**
 * The Microsoft Graph application permissions Mailferry's Graph path uses (GRAPH.md), what each
 * is for, and the words an admin needs to grant one. The endpoint checks, the errors, the console
 * wizard and docs/endpoints.md all name permissions from here.
 */
export const GRAPH_PERMISSIONS = {
  /** users/{upn}/settings/exchange: the mailbox id. */
  mailboxId: 'User.Read.All',
  folderRead: 'MailboxFolder.Read.All',
  folderWrite: 'MailboxFolder.ReadWrite.All',
  itemRead: 'MailboxItem.Read.All',
  /** exportItems (a source). */
  export: 'MailboxItem.Export.All',
  /** createImportSession / importItem (a destination); also allows export. */
  import: 'MailboxItem.ImportExport.All',
  /** beta importMime: mail from IMAP or Exchange on premises as real (non-draft) messages. */
  mime: 'Mail-Advanced.ReadWrite.All',
  /** PATCH messages/{id}: read state, flag and categories after a MIME import (MIME does not carry them). */
  mailWrite: 'Mail.ReadWrite',
  /** Inbox rules and automatic replies (mailFolders/inbox/messageRules, mailboxSettings), when a pass copies them. */
  settings: 'MailboxSettings.ReadWrite',
  /** Calendar permissions (users/{id}/calendars/{id}/calendarPermissions), when a pass copies permissions. */
  calendars: 'Calendars.ReadWrite',
} as const;

export type GraphPermission = (typeof GRAPH_PERMISSIONS)[keyof typeof GRAPH_PERMISSIONS];

/** Every permission an app needs to be both a source and a destination, in the order an admin adds them. */
export const ALL_GRAPH_PERMISSIONS: readonly GraphPermission[] = [
  GRAPH_PERMISSIONS.mailboxId,
  GRAPH_PERMISSIONS.folderWrite,
  GRAPH_PERMISSIONS.itemRead,
  GRAPH_PERMISSIONS.export,
  GRAPH_PERMISSIONS.import,
  GRAPH_PERMISSIONS.mime,
  GRAPH_PERMISSIONS.mailWrite,
  GRAPH_PERMISSIONS.settings,
  GRAPH_PERMISSIONS.calendars,
];

/** What an admin does to grant `permission` to the app, in the Entra admin center's words. */
export function grantAdvice(permission: string, clientId?: string): string {
  return (
    `Grant the app${clientId ? ` ${clientId}` : ''} the Microsoft Graph application permission ${permission} ` +
    '(Entra admin center → App registrations → the app → API permissions → Add a permission → Microsoft Graph → Application permissions), ' +
    'then "Grant admin consent"; if the app is limited with RBAC for Applications, the mailbox must be inside its management scope.'
  );
}
