/**
 * Calendar sharing as Microsoft Graph exposes it (`users/{id}/calendars`, `users/{id}/calendar`,
 * and their `calendarPermissions`: list, create, update the role). Bodies are checked against the
 * v1.0 CSDL (`graph.calendar`, `graph.calendarPermission`, enum `graph.calendarRoleType`) like
 * every other route; application permission Calendars.ReadWrite to write, Calendars.Read or
 * Calendars.ReadWrite to read, as Microsoft documents.
 *
 * Every calendar folder (IPF.Appointment) of a mailbox is a calendar here, its id the folder's
 * (whether Exchange Online's calendar ids equal the import/export API's folder ids is not
 * documented; the connector matches calendars by name, never by id). Each calendar has the two
 * entries Exchange keeps and that cannot be created or removed, only given another role:
 * "My Organization" (everyone inside; free/busy by default) and "Anonymous" (no one outside;
 * none by default). A user is shared with by POST; only `role` may be changed afterwards, and
 * only to a role in the entry's `allowedRoles`.
 */
import { randomUUID } from 'node:crypto';
import { PERMISSION } from './permissions.js';
import { type Reply, type Route, type RouteContext, GraphError, badRequest, notFound } from './routing.js';
import type { GraphFolder, GraphMailbox } from './store.js';

const READ = { app: [PERMISSION.calendarsRead, PERMISSION.calendarsReadWrite], delegated: ['Calendars.Read', 'Calendars.ReadWrite'] };
const WRITE = { app: [PERMISSION.calendarsReadWrite], delegated: ['Calendars.ReadWrite'] };

const SHARING_ROLES = ['none', 'freeBusyRead', 'limitedRead', 'read', 'write'];
const DELEGATE_ROLES = [...SHARING_ROLES, 'delegateWithoutPrivateEventAccess', 'delegateWithPrivateEventAccess'];

export interface CalendarPermission {
  id: string;
  emailAddress: { name: string; address?: string };
  isInsideOrganization: boolean;
  isRemovable: boolean;
  role: string;
  allowedRoles: string[];
}

/** The calendar's sharing entries, made on first use with Exchange's two fixed ones. */
export function calendarPermissionsOf(mbx: GraphMailbox, calendarId: string): CalendarPermission[] {
  const holder = mbx as GraphMailbox & { calendarPermissions?: Map<string, CalendarPermission[]> };
  holder.calendarPermissions ??= new Map();
  let list = holder.calendarPermissions.get(calendarId);
  if (!list) {
    list = [
      // Graph's ids for the fixed entries are the base64 of Exchange's distinguished user names.
      {
        id: Buffer.from('Default').toString('base64'),
        emailAddress: { name: 'My Organization' },
        isInsideOrganization: true,
        isRemovable: false,
        role: 'freeBusyRead',
        allowedRoles: SHARING_ROLES,
      },
      {
        id: Buffer.from('Anonymous').toString('base64'),
        emailAddress: { name: 'Anonymous' },
        isInsideOrganization: false,
        isRemovable: false,
        role: 'none',
        allowedRoles: SHARING_ROLES,
      },
    ];
    holder.calendarPermissions.set(calendarId, list);
  }
  return list;
}

function calendars(mbx: GraphMailbox): GraphFolder[] {
  return [...mbx.folders.values()].filter((f) => f.type === 'IPF.Appointment' && f.parentId !== undefined);
}

function calendarOf(ctx: RouteContext): GraphFolder {
  const mbx = ctx.mailbox!;
  const id = ctx.params['calendar'];
  const found = id === undefined ? ctx.state.store.folder(mbx, 'calendar') : calendars(mbx).find((f) => f.id === id);
  if (!found) throw notFound(`calendar ${id ?? 'calendar'}`);
  return found;
}

function calendarJson(ctx: RouteContext, f: GraphFolder): Record<string, unknown> {
  return {
    id: f.id,
    name: f.displayName,
    isDefaultCalendar: f.wellKnown === 'calendar',
    canShare: true,
    canEdit: true,
    canViewPrivateItems: true,
    isRemovable: f.wellKnown !== 'calendar',
    owner: { name: ctx.mailbox!.smtp, address: ctx.mailbox!.smtp },
  };
}

function listCalendars(ctx: RouteContext): Reply {
  const value = calendars(ctx.mailbox!).map((f) => calendarJson(ctx, f));
  return {
    status: 200,
    json: { '@odata.context': `${ctx.state.base}/v1.0/$metadata#users('${ctx.mailbox!.smtp}')/calendars`, value },
    csdlType: 'Collection(graph.calendar)',
  };
}

function getCalendar(ctx: RouteContext): Reply {
  return { status: 200, json: calendarJson(ctx, calendarOf(ctx)), csdlType: 'graph.calendar' };
}

function listPermissions(ctx: RouteContext): Reply {
  const value = calendarPermissionsOf(ctx.mailbox!, calendarOf(ctx).id);
  return {
    status: 200,
    json: { '@odata.context': `${ctx.state.base}/v1.0/$metadata#Collection(microsoft.graph.calendarPermission)`, value },
    csdlType: 'Collection(graph.calendarPermission)',
  };
}

function createPermission(ctx: RouteContext): Reply {
  const list = calendarPermissionsOf(ctx.mailbox!, calendarOf(ctx).id);
  const body = JSON.parse(ctx.req.body.toString('utf8')) as Partial<CalendarPermission>;
  const address = body.emailAddress?.address?.toLowerCase();
  if (!address)
    throw badRequest(
      'emailAddress.address is required: the fixed entries (My Organization, Anonymous) cannot be created, only updated.',
      'ErrorInvalidRequest',
    );
  if (typeof body.role !== 'string') throw badRequest('role is required for a calendar permission.', 'ErrorInvalidRequest');
  const user = ctx.state.store.find(address);
  if (!user || user.kind === 'group')
    throw new GraphError(400, 'ErrorInvalidUser', `The user '${address}' could not be found in this organization.`);
  if (user === ctx.mailbox) throw badRequest('A calendar cannot be shared with its owner.', 'ErrorInvalidRequest');
  if (!DELEGATE_ROLES.includes(body.role))
    throw badRequest(`The role '${body.role}' cannot be given; allowed: ${DELEGATE_ROLES.join(', ')}.`, 'ErrorInvalidRequest');
  if (list.some((p) => p.emailAddress.address?.toLowerCase() === address))
    throw new GraphError(
      409,
      'ErrorItemAlreadyExists',
      `The calendar is already shared with ${address}; update that permission's role instead.`,
    );
  const permission: CalendarPermission = {
    id: randomUUID(),
    emailAddress: { name: body.emailAddress?.name ?? address, address },
    isInsideOrganization: true,
    isRemovable: true,
    role: body.role,
    allowedRoles: DELEGATE_ROLES,
  };
  list.push(permission);
  return { status: 201, json: permission, csdlType: 'graph.calendarPermission' };
}

function updatePermission(ctx: RouteContext): Reply {
  const list = calendarPermissionsOf(ctx.mailbox!, calendarOf(ctx).id);
  const permission = list.find((p) => p.id === ctx.params['permission']);
  if (!permission) throw notFound(`calendarPermission ${ctx.params['permission']}`);
  const body = JSON.parse(ctx.req.body.toString('utf8')) as Record<string, unknown>;
  const other = Object.keys(body).filter((k) => k !== 'role' && !k.includes('@'));
  if (other.length) throw badRequest(`Only role can be updated on a calendar permission, not ${other.join(', ')}.`, 'ErrorInvalidRequest');
  if (typeof body['role'] !== 'string' || !permission.allowedRoles.includes(body['role'])) {
    throw badRequest(
      `The role '${String(body['role'])}' is not allowed for this entry; allowed: ${permission.allowedRoles.join(', ')}.`,
      'ErrorInvalidRequest',
    );
  }
  permission.role = body['role'];
  return { status: 200, json: permission, csdlType: 'graph.calendarPermission' };
}

const DEFAULT = ['users', ':user', 'calendar'];
const NAMED = ['users', ':user', 'calendars', ':calendar'];

export const CALENDAR_ROUTES: Route[] = [
  { method: 'GET', path: ['users', ':user', 'calendars'], permissions: READ, handle: listCalendars },
  { method: 'GET', path: DEFAULT, permissions: READ, handle: getCalendar },
  { method: 'GET', path: NAMED, permissions: READ, handle: getCalendar },
  ...[DEFAULT, NAMED].flatMap((base): Route[] => [
    { method: 'GET', path: [...base, 'calendarPermissions'], permissions: READ, handle: listPermissions },
    {
      method: 'POST',
      path: [...base, 'calendarPermissions'],
      permissions: WRITE,
      requestType: 'graph.calendarPermission',
      handle: createPermission,
    },
    {
      method: 'PATCH',
      path: [...base, 'calendarPermissions', ':permission'],
      permissions: WRITE,
      requestType: 'graph.calendarPermission',
      handle: updatePermission,
    },
  ]),
];
