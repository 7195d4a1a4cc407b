/**
 * Calendar permissions over Microsoft Graph (`users/{id}/calendars/{id}/calendarPermissions`;
 * the default calendar is also `users/{id}/calendar`). Graph has sharing for calendars only: the
 * permissions of mail, contacts and tasks folders have no Graph API and stay error rows.
 *
 * One setting per entry, as the EWS connector does, so a user the destination does not know is
 * that entry's own error row. Calendars are matched by name (the folder's copy at the
 * destination), never by id: whether Graph's calendar ids equal the import/export API's folder
 * ids is not documented. Exchange's two fixed entries, "My Organization" (Default) and
 * "Anonymous", exist on every calendar and are updated, never created; a user already shared
 * with gets its role updated (Graph updates only `role`); a role already right is not written.
 * Entries read over EWS from Exchange on premises are translated where a Graph role means the
 * same permission level (GRAPH_ROLE_OF_EWS_LEVEL); the others are error rows naming the level.
 */
import type { MailboxSetting, SettingResult } from '../../core/connector.js';
import { ItemRejectedError, NotFoundError, ensureError } from '../../core/errors.js';
import { mapAddress } from '../../core/recipient-mapping.js';
import type { RecipientMappingRule } from '../../core/support-options.js';
import type { GraphContext } from './context.js';
import type { GraphFolder, GraphFolderIndex } from './folders.js';
import { readAllPages } from './paging.js';
import { GRAPH_PERMISSIONS } from './permissions.js';
import { userPath } from './settings-rules.js';

interface Calendar {
  id: string;
  name?: string;
  isDefaultCalendar?: boolean;
}

export interface CalendarPermission {
  id?: string;
  emailAddress?: { name?: string; address?: string };
  isInsideOrganization?: boolean;
  role?: string;
}

/** What a Graph session exports for one calendar permission entry. */
export interface GraphCalendarPermissionData {
  graphCalendarPermission: { role: string; address?: string; name?: string };
}

/** What the EWS connector exports for a folder permission entry (ews/settings-permissions.ts). */
interface EwsPermissionData {
  xml: string;
  calendar: boolean;
  user: string;
  distinguished: boolean;
}

/** Exchange's fixed entries: EWS's DistinguishedUser → Graph's emailAddress.name. */
const FIXED_ENTRIES: Readonly<Record<string, string>> = { default: 'My Organization', anonymous: 'Anonymous' };

/**
 * EWS CalendarPermissionLevel → the Graph role that grants the same (Outlook's sharing roles are
 * these folder permission levels). Owner, PublishingEditor, Author, PublishingAuthor,
 * NoneditingAuthor, Contributor and Custom have no Graph role.
 */
const GRAPH_ROLE_OF_EWS_LEVEL: Readonly<Record<string, string>> = {
  None: 'none',
  FreeBusyTimeOnly: 'freeBusyRead',
  FreeBusyTimeAndSubjectAndLocation: 'limitedRead',
  Reviewer: 'read',
  Editor: 'write',
};

/** The least an app needs to read calendar permissions (a source); Calendars.ReadWrite also allows it. */
const CALENDARS_READ = 'Calendars.Read';

/**
 * Reading calendars and their permission entries; the permission a 403 names is the one this side
 * needs: a source only reads (Calendars.Read is enough), a destination writes after reading.
 */
const READ_ACTION = (ctx: GraphContext, side: 'source' | 'destination') => ({
  action: `Reading the calendar permissions of ${ctx.mailbox}`,
  permission: side === 'source' ? `${CALENDARS_READ} (or ${GRAPH_PERMISSIONS.calendars})` : GRAPH_PERMISSIONS.calendars,
});

async function listCalendars(ctx: GraphContext, side: 'source' | 'destination'): Promise<Calendar[]> {
  return (await readAllPages<Calendar>(ctx, userPath(ctx, '/calendars'), READ_ACTION(ctx, side))).values;
}

function permissionsPath(ctx: GraphContext, calendar: Calendar, rest = ''): string {
  return userPath(ctx, `/calendars/${encodeURIComponent(calendar.id)}/calendarPermissions${rest}`);
}

/** The calendar folder of the index a calendar is, by name; the default calendar prefers a top-level folder. */
function folderOfCalendar(index: GraphFolderIndex, calendar: Calendar): GraphFolder | undefined {
  const name = (calendar.name ?? '').toLowerCase();
  const named = index.all().filter((f) => f.itemType === 'calendar' && f.segments[f.segments.length - 1]!.toLowerCase() === name);
  if (named.length <= 1) return named[0];
  const top = named.filter((f) => f.segments.length === 1);
  return calendar.isDefaultCalendar && top.length === 1 ? top[0] : undefined;
}

const who = (p: CalendarPermission) => p.emailAddress?.address ?? p.emailAddress?.name ?? '';

export async function exportCalendarPermissions(ctx: GraphContext, index: GraphFolderIndex): Promise<MailboxSetting[]> {
  const out: MailboxSetting[] = [];
  for (const calendar of await listCalendars(ctx, 'source')) {
    const folder = folderOfCalendar(index, calendar);
    if (!folder) continue; // a calendar outside the folders a pass copies (or two of one name: not told apart)
    const { values } = await readAllPages<CalendarPermission>(ctx, permissionsPath(ctx, calendar), READ_ACTION(ctx, 'source'));
    for (const p of values) {
      if (!p.role) continue;
      const data: GraphCalendarPermissionData = {
        graphCalendarPermission: {
          role: p.role,
          ...(p.emailAddress?.address ? { address: p.emailAddress.address } : { name: p.emailAddress?.name ?? '' }),
        },
      };
      out.push({ type: 'permissions', label: `Permissions of ${folder.path} for ${who(p)}`, folder: folder.path, data });
    }
  }
  // Graph reads no permissions of other folders: say so rather than copy them silently as none.
  out.push({ type: 'permissions', label: 'Permissions of mail, contacts and tasks folders', data: { notCopied: true } });
  return out;
}

/** What the entry asks of the destination: a fixed entry or a user, and the Graph role. */
function wanted(
  setting: MailboxSetting,
  rules: readonly RecipientMappingRule[],
): { fixed?: string; address?: string; sourceAddress?: string; role: string } | undefined {
  const data = setting.data as Partial<GraphCalendarPermissionData & EwsPermissionData> & { notCopied?: boolean };
  const graph = data.graphCalendarPermission;
  if (graph) {
    if (graph.role === 'custom')
      throw new ItemRejectedError(
        `${setting.label}: a custom permission level, which Microsoft Graph cannot set. Set it again with Add-MailboxFolderPermission.`,
      );
    if (!graph.address) return { fixed: graph.name ?? '', role: graph.role };
    return { address: mapAddress(graph.address, rules), sourceAddress: graph.address, role: graph.role };
  }
  if (typeof data.xml === 'string' && data.calendar) {
    const level = /<t:CalendarPermissionLevel>([^<]*)<\/t:CalendarPermissionLevel>/.exec(data.xml)?.[1] ?? 'Custom';
    const role = GRAPH_ROLE_OF_EWS_LEVEL[level];
    if (!role) {
      throw new ItemRejectedError(
        `${setting.label}: the permission level ${level} has no Microsoft Graph calendar role (Graph has none, free/busy, titles and locations, all details, and editor). Set it again with Add-MailboxFolderPermission -AccessRights ${level}.`,
      );
    }
    const user = data.user ?? '';
    if (data.distinguished) return { fixed: FIXED_ENTRIES[user.toLowerCase()] ?? user, role };
    return { address: mapAddress(user, rules), sourceAddress: user, role };
  }
  // A mail, contacts or tasks folder's entry that grants nothing (Exchange's Default and Anonymous) loses nothing.
  if (typeof data.xml === 'string' && /<t:PermissionLevel>None<\/t:PermissionLevel>/.test(data.xml)) return undefined;
  throw new ItemRejectedError(
    `${setting.label}: Microsoft Graph has permissions for calendars only, not for mail, contacts or tasks folders; set them again in Outlook or with Add-MailboxFolderPermission.`,
  );
}

/** The destination's calendars and their permission entries, each read once per import. */
class DestinationCalendars {
  private calendars?: Promise<Calendar[]>;
  private readonly entries = new Map<string, Promise<CalendarPermission[]>>();
  constructor(private readonly ctx: GraphContext) {}

  async calendarAt(folder: GraphFolder, label: string): Promise<Calendar> {
    this.calendars ??= listCalendars(this.ctx, 'destination');
    const name = folder.segments[folder.segments.length - 1]!.toLowerCase();
    const named = (await this.calendars).filter((c) => (c.name ?? '').toLowerCase() === name);
    const calendar = named.length === 1 ? named[0] : named.find((c) => c.isDefaultCalendar && folder.segments.length === 1);
    if (!calendar) {
      throw new ItemRejectedError(
        named.length > 1
          ? `${label}: the destination has ${named.length} calendars named "${folder.path}", so Mailferry cannot tell which to share; rename one with FolderMapping.`
          : `${label}: the destination folder "${folder.path}" is not among the calendars Microsoft Graph lists for ${this.ctx.mailbox}.`,
      );
    }
    return calendar;
  }

  permissions(calendar: Calendar): Promise<CalendarPermission[]> {
    let list = this.entries.get(calendar.id);
    if (!list) {
      list = readAllPages<CalendarPermission>(this.ctx, permissionsPath(this.ctx, calendar), READ_ACTION(this.ctx, 'destination')).then(
        (l) => l.values,
      );
      this.entries.set(calendar.id, list);
    }
    return list;
  }
}

export async function importCalendarPermissions(
  ctx: GraphContext,
  index: GraphFolderIndex,
  settings: MailboxSetting[],
  folderPath: (sourcePath: string) => string | undefined,
  rules: readonly RecipientMappingRule[],
): Promise<SettingResult[]> {
  const destination = new DestinationCalendars(ctx);
  const results: SettingResult[] = [];
  for (const setting of settings) {
    try {
      await importOne(ctx, index, destination, setting, folderPath, rules);
      results.push({ setting });
    } catch (raw) {
      const error = ensureError(raw);
      if (error.code !== 'rejected' && error.code !== 'not-found') throw error;
      results.push({ setting, error });
    }
  }
  return results;
}

async function importOne(
  ctx: GraphContext,
  index: GraphFolderIndex,
  destination: DestinationCalendars,
  setting: MailboxSetting,
  folderPath: (sourcePath: string) => string | undefined,
  rules: readonly RecipientMappingRule[],
): Promise<void> {
  const want = wanted(setting, rules);
  if (!want) return;
  const destPath = setting.folder !== undefined ? folderPath(setting.folder) : undefined;
  const folder = destPath ? index.byPathString(destPath) : undefined;
  if (!folder) throw new NotFoundError(`${setting.label}: the calendar was not copied to the destination.`);
  const calendar = await destination.calendarAt(folder, setting.label);
  const entries = await destination.permissions(calendar);
  const write = { action: `Writing ${setting.label} in ${ctx.mailbox}`, permission: GRAPH_PERMISSIONS.calendars };
  const current =
    want.fixed !== undefined
      ? entries.find((p) => !p.emailAddress?.address && (p.emailAddress?.name ?? '').toLowerCase() === want.fixed!.toLowerCase())
      : entries.find((p) => p.emailAddress?.address?.toLowerCase() === want.address!.toLowerCase());
  if (want.fixed !== undefined && !current?.id)
    throw new ItemRejectedError(`${setting.label}: the destination calendar "${folder.path}" has no "${want.fixed}" entry to update.`);
  if (current?.id) {
    if (current.role === want.role) return;
    await ctx.transport.send({
      method: 'PATCH',
      url: permissionsPath(ctx, calendar, `/${encodeURIComponent(current.id)}`),
      json: { role: want.role },
      idempotent: true,
      ...write,
    });
    current.role = want.role;
    return;
  }
  try {
    const { body } = await ctx.transport.send<CalendarPermission>({
      method: 'POST',
      url: permissionsPath(ctx, calendar),
      json: { emailAddress: { address: want.address }, role: want.role },
      ...write,
    });
    if (body) entries.push(body);
  } catch (raw) {
    const error = ensureError(raw);
    if (error.code !== 'rejected' && error.code !== 'not-found') throw error;
    const mapped =
      want.sourceAddress && want.sourceAddress.toLowerCase() !== want.address!.toLowerCase() ? ` (mapped from ${want.sourceAddress})` : '';
    throw new ItemRejectedError(
      `${setting.label}: the destination cannot resolve the user ${want.address}${mapped}; add a RecipientMapping or create that user first. ${error.message}`,
      { cause: error },
    );
  }
}
