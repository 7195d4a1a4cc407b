/**
 * Microsoft Graph permissions the Graph test server enforces, per route, from the token's
 * `roles` (application permissions) or `scp` (delegated). Names as in ../shared/GRAPH.md.
 */

export const PERMISSION = {
  userRead: 'User.Read.All',
  folderRead: 'MailboxFolder.Read.All',
  folderReadWrite: 'MailboxFolder.ReadWrite.All',
  itemRead: 'MailboxItem.Read.All',
  itemExport: 'MailboxItem.Export.All',
  itemImportExport: 'MailboxItem.ImportExport.All',
  mimeImport: 'Mail-Advanced.ReadWrite.All',
  mailRead: 'Mail.Read',
  mailReadWrite: 'Mail.ReadWrite',
  groupRead: 'Group.Read.All',
  groupReadWrite: 'Group.ReadWrite.All',
  settingsRead: 'MailboxSettings.Read',
  settingsReadWrite: 'MailboxSettings.ReadWrite',
  calendarsRead: 'Calendars.Read',
  calendarsReadWrite: 'Calendars.ReadWrite',
} as const;

/** Every application permission a Mailferry Graph endpoint uses: an app given no list has these. */
export const ALL_APP_PERMISSIONS: string[] = [
  PERMISSION.userRead,
  PERMISSION.folderReadWrite,
  PERMISSION.itemRead,
  PERMISSION.itemExport,
  PERMISSION.itemImportExport,
  PERMISSION.mimeImport,
  PERMISSION.mailReadWrite,
  PERMISSION.groupRead,
  PERMISSION.settingsReadWrite,
  PERMISSION.calendarsReadWrite,
];

/** What a route accepts: any one of `app` in `roles`, or any one of `delegated` in `scp`. */
export interface RoutePermissions {
  app: string[];
  delegated: string[];
}

export type Caller = { kind: 'app'; appId: string; roles: string[] } | { kind: 'user'; appId: string; upn: string; scopes: string[] };

/** The permissions missing for `caller` on a route, in an admin's words; undefined when it may go on. */
export function missingPermission(caller: Caller, need: RoutePermissions): string | undefined {
  if (caller.kind === 'app') {
    if (need.app.some((p) => caller.roles.includes(p))) return undefined;
    if (need.app.length === 0) {
      return `This API takes delegated permissions only (${need.delegated.join(' or ')}); an application permission is not supported. Sign in as a user and use a delegated token.`;
    }
    return `The application lacks the permission ${need.app.join(' or ')}. Grant it as an application permission in the app registration (API permissions → Microsoft Graph) and give admin consent.`;
  }
  if (need.delegated.some((p) => caller.scopes.includes(p))) return undefined;
  if (need.delegated.length === 0)
    return `This API takes application permissions only (${need.app.join(' or ')}); a delegated token is not supported.`;
  return `The signed-in user's token lacks the delegated permission ${need.delegated.join(' or ')}. Add it to the app registration and consent.`;
}
