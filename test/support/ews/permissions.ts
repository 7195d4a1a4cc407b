/**
 * Folder permissions for the EWS test server: the role table Exchange uses to expand a
 * PermissionLevel into its rights, the defaults a fresh folder carries, the `t:PermissionSet`
 * / calendar `t:PermissionSet` writer (types.xsd PermissionSetType / CalendarPermissionSetType),
 * and the reader for UpdateFolder's `SetFolderField folder:PermissionSet`.
 */
import type { StoredFolder, StoredPermission } from './mailbox-store.js';
import { NS, type XmlElement, child, escapeXml } from './xml.js';

type Rights = Omit<StoredPermission, 'user' | 'level'>;
const r = (
  c: boolean,
  sub: boolean,
  owner: boolean,
  visible: boolean,
  contact: boolean,
  edit: Rights['editItems'],
  del: Rights['deleteItems'],
  read: string,
): Rights => ({
  canCreateItems: c,
  canCreateSubFolders: sub,
  isFolderOwner: owner,
  isFolderVisible: visible,
  isFolderContact: contact,
  editItems: edit,
  deleteItems: del,
  readItems: read,
});

/** Exchange's folder roles (the EWS Managed API FolderPermission table; Outlook's permission levels). */
export const LEVELS: Record<string, Rights> = {
  None: r(false, false, false, false, false, 'None', 'None', 'None'),
  Owner: r(true, true, true, true, true, 'All', 'All', 'FullDetails'),
  PublishingEditor: r(true, true, false, true, false, 'All', 'All', 'FullDetails'),
  Editor: r(true, false, false, true, false, 'All', 'All', 'FullDetails'),
  PublishingAuthor: r(true, true, false, true, false, 'Owned', 'Owned', 'FullDetails'),
  Author: r(true, false, false, true, false, 'Owned', 'Owned', 'FullDetails'),
  NoneditingAuthor: r(true, false, false, true, false, 'None', 'Owned', 'FullDetails'),
  Reviewer: r(false, false, false, true, false, 'None', 'None', 'FullDetails'),
  Contributor: r(true, false, false, true, false, 'None', 'None', 'None'),
  // Calendar folders only.
  FreeBusyTimeOnly: r(false, false, false, false, false, 'None', 'None', 'TimeOnly'),
  FreeBusyTimeAndSubjectAndLocation: r(false, false, false, false, false, 'None', 'None', 'TimeAndSubjectAndLocation'),
};

const RIGHT_ELEMENTS: [keyof Rights, string][] = [
  ['canCreateItems', 'CanCreateItems'],
  ['canCreateSubFolders', 'CanCreateSubFolders'],
  ['isFolderOwner', 'IsFolderOwner'],
  ['isFolderVisible', 'IsFolderVisible'],
  ['isFolderContact', 'IsFolderContact'],
  ['editItems', 'EditItems'],
  ['deleteItems', 'DeleteItems'],
];

export function isCalendar(f: StoredFolder): boolean {
  return f.element === 'CalendarFolder';
}

/** A fresh folder: Default has no rights (AvailabilityOnly = FreeBusyTimeOnly on calendars), Anonymous none. */
export function defaultPermissions(f: StoredFolder): StoredPermission[] {
  const defaultLevel = isCalendar(f) ? 'FreeBusyTimeOnly' : 'None';
  return [
    { user: { distinguished: 'Default' }, ...LEVELS[defaultLevel]!, level: defaultLevel },
    { user: { distinguished: 'Anonymous' }, ...LEVELS['None']!, level: 'None' },
  ];
}

export function permissionsOf(f: StoredFolder): StoredPermission[] {
  return f.permissions ?? defaultPermissions(f);
}

/** `t:PermissionSet` in PermissionSetType or CalendarPermissionSetType shape, per folder kind. */
export function permissionSetXml(f: StoredFolder): string {
  const cal = isCalendar(f);
  const entries = permissionsOf(f).map((p) => {
    const u = p.user;
    const userId =
      (u.smtp ? `<t:PrimarySmtpAddress>${escapeXml(u.smtp)}</t:PrimarySmtpAddress>` : '') +
      (u.displayName ? `<t:DisplayName>${escapeXml(u.displayName)}</t:DisplayName>` : '') +
      (u.distinguished ? `<t:DistinguishedUser>${u.distinguished}</t:DistinguishedUser>` : '');
    const rights = RIGHT_ELEMENTS.map(([k, el]) => `<t:${el}>${String(p[k])}</t:${el}>`).join('');
    const tag = cal ? 'CalendarPermission' : 'Permission';
    const levelTag = cal ? 'CalendarPermissionLevel' : 'PermissionLevel';
    return `<t:${tag}><t:UserId>${userId}</t:UserId>${rights}<t:ReadItems>${p.readItems}</t:ReadItems><t:${levelTag}>${p.level}</t:${levelTag}></t:${tag}>`;
  });
  const arr = cal ? 'CalendarPermissions' : 'Permissions';
  return `<t:PermissionSet><t:${arr}>${entries.join('')}</t:${arr}></t:PermissionSet>`;
}

export class PermissionError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads the permissions of a `t:PermissionSet` sent in UpdateFolder. A named level takes its
 * rights from the role table, and a right sent alongside that contradicts the level is refused
 * (ErrorInvalidPermissionSettings); `Custom` takes the rights as sent (missing = none).
 * `resolveUser` maps a PrimarySmtpAddress to its display name, or undefined when unknown.
 */
export function readPermissionSet(
  f: StoredFolder,
  setEl: XmlElement,
  resolveUser: (smtp: string) => string | undefined,
): StoredPermission[] {
  const cal = isCalendar(f);
  const arr = child(setEl, NS.types, cal ? 'CalendarPermissions' : 'Permissions');
  if (!arr) {
    throw new PermissionError(
      'ErrorInvalidPermissionSettings',
      cal ? 'A calendar folder takes CalendarPermissions.' : 'A non-calendar folder takes Permissions, not CalendarPermissions.',
    );
  }
  const seen = new Set<string>();
  return arr.children.map((pEl) => {
    const uEl = child(pEl, NS.types, 'UserId');
    const distinguished = child(uEl, NS.types, 'DistinguishedUser')?.text.trim() as 'Default' | 'Anonymous' | undefined;
    const smtp = child(uEl, NS.types, 'PrimarySmtpAddress')?.text.trim().toLowerCase();
    let user: StoredPermission['user'];
    if (distinguished) user = { distinguished };
    else if (smtp) {
      const displayName = resolveUser(smtp);
      if (displayName === undefined) throw new PermissionError('ErrorInvalidUserInfo', `The user ${smtp} was not found in the directory.`);
      user = { smtp, displayName };
    } else
      throw new PermissionError('ErrorInvalidUserInfo', 'A permission needs a UserId with a PrimarySmtpAddress or a DistinguishedUser.');
    const key = distinguished ?? smtp!;
    if (seen.has(key))
      throw new PermissionError('ErrorDuplicateUserIdsSpecified', `The user ${key} appears more than once in the permission set.`);
    seen.add(key);
    const level = child(pEl, NS.types, cal ? 'CalendarPermissionLevel' : 'PermissionLevel')?.text.trim() ?? 'None';
    const given: Partial<Rights> = {};
    for (const [k, el] of RIGHT_ELEMENTS) {
      const v = child(pEl, NS.types, el)?.text.trim();
      if (v !== undefined) (given as Record<string, unknown>)[k] = k === 'editItems' || k === 'deleteItems' ? v : v === 'true' || v === '1';
    }
    const read = child(pEl, NS.types, 'ReadItems')?.text.trim();
    if (read !== undefined) given.readItems = read;
    if (level === 'Custom') {
      return { user, ...LEVELS['None']!, ...given, level };
    }
    const rights = LEVELS[level];
    if (!rights) throw new PermissionError('ErrorInvalidPermissionSettings', `Unknown permission level ${level}.`);
    for (const [k, v] of Object.entries(given)) {
      if (rights[k as keyof Rights] !== v) {
        throw new PermissionError(
          'ErrorInvalidPermissionSettings',
          `The permission level ${level} does not allow ${k} = ${String(v)}; use Custom.`,
        );
      }
    }
    return { user, ...rights, level };
  });
}
