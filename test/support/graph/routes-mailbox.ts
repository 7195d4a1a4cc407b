/**
 * Mailbox id lookup and the folder and item listings of Graph's mailbox import/export API
 * (../shared/GRAPH.md): `users/{id}/settings/exchange`, `admin/exchange/mailboxes/{id}/folders`
 * (list, get, childFolders, create, delta) and folder `items` / `items/delta`, with
 * `@odata.nextLink` / `@odata.deltaLink` paging and `Prefer: odata.maxpagesize`.
 */
import { PERMISSION } from './permissions.js';
import { type ExtendedPropertyId, page } from './paging.js';
import { type Reply, type Route, type RouteContext, GraphError, badRequest, notFound } from './routing.js';
import type { GraphFolder, GraphItem, GraphMailbox } from './store.js';

const FOLDER_READ = { app: [PERMISSION.folderRead, PERMISSION.folderReadWrite], delegated: [] };
const FOLDER_WRITE = { app: [PERMISSION.folderReadWrite], delegated: [] };
const ITEM_READ = { app: [PERMISSION.itemRead], delegated: [] };
const MBX = ['admin', 'exchange', 'mailboxes', ':mbx'];

export function mailboxPath(mbx: GraphMailbox): string {
  return `admin/exchange/mailboxes('${mbx.id}')`;
}

export function folderJson(ctx: RouteContext, f: GraphFolder): Record<string, unknown> {
  const { store } = ctx.state;
  const mbx = ctx.mailbox!;
  return {
    id: f.id,
    displayName: f.displayName,
    ...(f.parentId ? { parentFolderId: f.parentId } : {}),
    childFolderCount: store.children(mbx, f.id).length,
    totalItemCount: store.totalItemCount(mbx, f.id),
    type: f.type,
  };
}

function itemJson(item: GraphItem): Record<string, unknown> {
  return {
    id: item.id,
    changeKey: item.changeKey,
    type: item.content.type,
    size: item.blob.length,
    createdDateTime: item.createdDateTime,
    lastModifiedDateTime: item.lastModifiedDateTime,
    categories: item.content.categories,
  };
}

/** PR_MESSAGE_DELIVERY_TIME (MS-OXPROPS): when the item arrived in the mailbox (receivedDateTime of a message). */
const DELIVERY_TIME_TAG = 0x0e06;

/** The single-value extended properties this server keeps: the delivery time of items that have one. */
function extendedProperty(item: GraphItem, id: ExtendedPropertyId): string | undefined {
  if (id.type.toLowerCase() !== 'systemtime' || id.tag !== DELIVERY_TIME_TAG || !item.content.receivedDateTime) return undefined;
  return new Date(item.content.receivedDateTime).toISOString().replace(/\.000Z$/, 'Z');
}

export function folderOf(ctx: RouteContext): GraphFolder {
  const f = ctx.state.store.folder(ctx.mailbox!, ctx.params['folder']!);
  if (!f) throw notFound(`folder ${ctx.params['folder']}`);
  return f;
}

function createFolder(ctx: RouteContext, parent: GraphFolder): Reply {
  const body = JSON.parse(ctx.req.body.toString('utf8')) as { displayName?: unknown; type?: unknown };
  if (typeof body.displayName !== 'string' || !body.displayName.trim())
    throw badRequest('displayName is required: name the new folder.', 'ErrorInvalidRequest');
  const { store } = ctx.state;
  const mbx = ctx.mailbox!;
  if (store.children(mbx, parent.id).some((f) => f.displayName.toLowerCase() === (body.displayName as string).toLowerCase())) {
    throw new GraphError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
  }
  const type = typeof body.type === 'string' && body.type ? body.type : parent.type;
  const folder = store.addFolder(mbx, parent.id, body.displayName, type);
  return {
    status: 201,
    json: {
      '@odata.context': `${ctx.state.base}/${ctx.req.version}/$metadata#${mailboxPath(mbx)}/folders/$entity`,
      ...folderJson(ctx, folder),
    },
    csdlType: 'graph.mailboxFolder',
  };
}

function settingsExchange(ctx: RouteContext): Reply {
  const mbx = ctx.mailbox!;
  return {
    status: 200,
    json: {
      '@odata.context': `${ctx.state.base}/${ctx.req.version}/$metadata#users('${mbx.objectId}')/settings/exchange/$entity`,
      id: mbx.objectId,
      primaryMailboxId: mbx.id,
    },
    csdlType: 'graph.exchangeSettings',
  };
}

function folderCollection(ctx: RouteContext, folders: GraphFolder[], linkPath: string): Reply {
  return page(ctx, {
    scope: linkPath,
    all: folders,
    removed: [],
    toJson: (f) => folderJson(ctx, f),
    linkPath,
    delta: false,
    entityType: 'graph.mailboxFolder',
  });
}

/** When an item was received, for $filter and $orderby on receivedDateTime. */
function receivedOf(item: GraphItem): number {
  return Date.parse(item.content.receivedDateTime ?? item.createdDateTime);
}

export const MAILBOX_ROUTES: Route[] = [
  {
    method: 'GET',
    path: ['users', ':user', 'settings', 'exchange'],
    permissions: { app: [PERMISSION.userRead], delegated: [] },
    handle: settingsExchange,
  },
  {
    method: 'GET',
    path: [...MBX, 'folders'],
    permissions: FOLDER_READ,
    handle: (ctx) =>
      folderCollection(ctx, ctx.state.store.children(ctx.mailbox!, ctx.mailbox!.rootId), `${mailboxPath(ctx.mailbox!)}/folders`),
  },
  {
    method: 'GET',
    path: [...MBX, 'folders', 'delta'],
    permissions: FOLDER_READ,
    handle: (ctx) => {
      const mbx = ctx.mailbox!;
      const all = [...mbx.folders.values()].filter((f) => f.id !== mbx.rootId);
      const linkPath = `${mailboxPath(mbx)}/folders/delta`;
      return page(ctx, {
        scope: 'folders',
        all,
        removed: [],
        toJson: (f) => folderJson(ctx, f),
        linkPath,
        delta: true,
        entityType: 'graph.mailboxFolder',
      });
    },
  },
  {
    method: 'GET',
    path: [...MBX, 'folders', ':folder'],
    permissions: FOLDER_READ,
    handle: (ctx) => ({
      status: 200,
      json: {
        '@odata.context': `${ctx.state.base}/${ctx.req.version}/$metadata#${mailboxPath(ctx.mailbox!)}/folders/$entity`,
        ...folderJson(ctx, folderOf(ctx)),
      },
      csdlType: 'graph.mailboxFolder',
    }),
  },
  {
    method: 'GET',
    path: [...MBX, 'folders', ':folder', 'childFolders'],
    permissions: FOLDER_READ,
    handle: (ctx) => {
      const f = folderOf(ctx);
      return folderCollection(
        ctx,
        ctx.state.store.children(ctx.mailbox!, f.id),
        `${mailboxPath(ctx.mailbox!)}/folders('${f.id}')/childFolders`,
      );
    },
  },
  {
    method: 'POST',
    path: [...MBX, 'folders'],
    permissions: FOLDER_WRITE,
    requestType: 'graph.mailboxFolder',
    handle: (ctx) => createFolder(ctx, ctx.mailbox!.folders.get(ctx.mailbox!.rootId)!),
  },
  {
    method: 'POST',
    path: [...MBX, 'folders', ':folder', 'childFolders'],
    permissions: FOLDER_WRITE,
    requestType: 'graph.mailboxFolder',
    handle: (ctx) => createFolder(ctx, folderOf(ctx)),
  },
  {
    method: 'GET',
    path: [...MBX, 'folders', ':folder', 'items'],
    permissions: ITEM_READ,
    handle: (ctx) => {
      const f = folderOf(ctx);
      const linkPath = `${mailboxPath(ctx.mailbox!)}/folders('${f.id}')/items`;
      return page(ctx, {
        scope: f.id,
        all: ctx.state.store.itemsIn(ctx.mailbox!, f.id),
        removed: [],
        toJson: itemJson,
        linkPath,
        delta: false,
        entityType: 'graph.mailboxItem',
        receivedOf,
        createdOf: (i) => Date.parse(i.createdDateTime),
        extendedProperty,
      });
    },
  },
  {
    method: 'GET',
    path: [...MBX, 'folders', ':folder', 'items', 'delta'],
    permissions: ITEM_READ,
    handle: (ctx) => {
      const f = folderOf(ctx);
      const mbx = ctx.mailbox!;
      const linkPath = `${mailboxPath(mbx)}/folders('${f.id}')/items/delta`;
      const removed = mbx.tombstones.filter((t) => t.folderId === f.id);
      return page(ctx, {
        scope: f.id,
        all: ctx.state.store.itemsIn(mbx, f.id),
        removed,
        toJson: itemJson,
        linkPath,
        delta: true,
        entityType: 'graph.mailboxItem',
        receivedOf,
      });
    },
  },
];
