/**
 * Mailbox id lookup and the folder and item listings of Graph's mailbox import/export API
 * (../shared/GRAPH.md): `users/{id}/settings/exchange`, `admin/exchange/mailboxes/{id}/folders`
 * (list, get, childFolders, create, delta) and folder `items` / `items/delta`, with
 * `@odata.nextLink` / `@odata.deltaLink` paging and `Prefer: odata.maxpagesize`.
 */
import { PERMISSION } from './permissions.js';
import {
  type Reply, type Route, type RouteContext, GraphError, badRequest, decodeToken, encodeToken, notFound, pageSize,
} from './routing.js';
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

/** `$select=a,b` keeps those properties (and `id`, which Graph always returns). */
function selected(ctx: RouteContext, value: Record<string, unknown>): Record<string, unknown> {
  const select = ctx.req.query.get('$select');
  if (!select) return value;
  const keep = new Set(['id', ...select.split(',').map((s) => s.trim())]);
  return Object.fromEntries(Object.entries(value).filter(([k]) => keep.has(k)));
}

export function folderOf(ctx: RouteContext): GraphFolder {
  const f = ctx.state.store.folder(ctx.mailbox!, ctx.params['folder']!);
  if (!f) throw notFound(`folder ${ctx.params['folder']}`);
  return f;
}

interface Sequenced {
  id: string;
  seq: number;
}

interface PageSpec<T extends Sequenced> {
  /** Binds tokens to what they list (a folder id, or 'folders'). */
  scope: string;
  all: T[];
  /** Removed entries (delta only). */
  removed: Sequenced[];
  toJson(v: T): Record<string, unknown>;
  /** The path (after the version) links point at. */
  linkPath: string;
  delta: boolean;
  csdlType: string;
}

/**
 * One page of a listing or delta. Entries are ordered by change number; a skip token remembers
 * the window (`since`, `upTo`) and the last number sent, a delta token the number the round
 * ended at, so changes made while a client pages through come in the next round, never lost.
 */
function page<T extends Sequenced>(ctx: RouteContext, spec: PageSpec<T>): Reply {
  const { req, state } = ctx;
  const mbx = ctx.mailbox!;
  const skip = req.query.get('$skiptoken');
  const delta = req.query.get('$deltatoken');
  let since = 0;
  let upTo = spec.delta ? mbx.seq : Number.MAX_SAFE_INTEGER;
  let after = 0;
  if (skip || delta) {
    const t = decodeToken((skip ?? delta)!, skip ? '$skiptoken' : '$deltatoken');
    if (t['s'] !== spec.scope) throw badRequest('The token belongs to another listing. Use each link only for the listing that returned it.', 'InvalidRequest');
    since = Number(t['since'] ?? 0);
    if (skip) {
      upTo = Number(t['upTo']);
      after = Number(t['after']);
    }
  }
  const inWindow = (v: Sequenced): boolean => v.seq > since && v.seq <= upTo && v.seq > after;
  const entries: { seq: number; json: Record<string, unknown> }[] = [
    ...spec.all.filter(inWindow).map((v) => ({ seq: v.seq, json: selected(ctx, spec.toJson(v)) })),
    ...(since > 0 ? spec.removed.filter(inWindow).map((r) => ({ seq: r.seq, json: { '@removed': { reason: 'deleted' }, id: r.id } })) : []),
  ].sort((a, b) => a.seq - b.seq);
  const { size, applied } = pageSize(req);
  const shown = entries.slice(0, size);
  const link = (param: string, token: Record<string, unknown>): string => {
    // Graph writes `$skiptoken=` with the dollar sign as is (URLSearchParams would make it %24).
    const select = req.query.get('$select');
    const q = [...(select ? [`$select=${encodeURIComponent(select)}`] : []), `${param}=${encodeToken({ s: spec.scope, ...token })}`];
    return `${state.base}/${req.version}/${spec.linkPath}?${q.join('&')}`;
  };
  const body: Record<string, unknown> = { '@odata.context': `${state.base}/${req.version}/$metadata#${spec.linkPath}` };
  body['value'] = shown.map((e) => e.json);
  if (entries.length > size) body['@odata.nextLink'] = link('$skiptoken', { since, upTo, after: shown[shown.length - 1]!.seq });
  else if (spec.delta) body['@odata.deltaLink'] = link('$deltatoken', { since: upTo });
  return { status: 200, json: body, csdlType: spec.csdlType, ...(applied ? { headers: { 'Preference-Applied': applied } } : {}) };
}

function createFolder(ctx: RouteContext, parent: GraphFolder): Reply {
  const body = JSON.parse(ctx.req.body.toString('utf8')) as { displayName?: unknown; type?: unknown };
  if (typeof body.displayName !== 'string' || !body.displayName.trim()) throw badRequest('displayName is required: name the new folder.', 'ErrorInvalidRequest');
  const { store } = ctx.state;
  const mbx = ctx.mailbox!;
  if (store.children(mbx, parent.id).some((f) => f.displayName.toLowerCase() === (body.displayName as string).toLowerCase())) {
    throw new GraphError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
  }
  const type = typeof body.type === 'string' && body.type ? body.type : parent.type;
  const folder = store.addFolder(mbx, parent.id, body.displayName, type);
  return { status: 201, json: { '@odata.context': `${ctx.state.base}/${ctx.req.version}/$metadata#${mailboxPath(mbx)}/folders/$entity`, ...folderJson(ctx, folder) }, csdlType: 'graph.mailboxFolder' };
}

function settingsExchange(ctx: RouteContext): Reply {
  const mbx = ctx.mailbox!;
  return {
    status: 200,
    json: { '@odata.context': `${ctx.state.base}/${ctx.req.version}/$metadata#users('${mbx.objectId}')/settings/exchange/$entity`, id: mbx.objectId, primaryMailboxId: mbx.id },
    csdlType: 'graph.exchangeSettings',
  };
}

function folderCollection(ctx: RouteContext, folders: GraphFolder[], linkPath: string): Reply {
  return page(ctx, { scope: linkPath, all: folders, removed: [], toJson: (f) => folderJson(ctx, f), linkPath, delta: false, csdlType: 'Collection(graph.mailboxFolder)' });
}

export const MAILBOX_ROUTES: Route[] = [
  { method: 'GET', path: ['users', ':user', 'settings', 'exchange'], permissions: { app: [PERMISSION.userRead], delegated: [] }, handle: settingsExchange },
  {
    method: 'GET', path: [...MBX, 'folders'], permissions: FOLDER_READ,
    handle: (ctx) => folderCollection(ctx, ctx.state.store.children(ctx.mailbox!, ctx.mailbox!.rootId), `${mailboxPath(ctx.mailbox!)}/folders`),
  },
  {
    method: 'GET', path: [...MBX, 'folders', 'delta'], permissions: FOLDER_READ,
    handle: (ctx) => {
      const mbx = ctx.mailbox!;
      const all = [...mbx.folders.values()].filter((f) => f.id !== mbx.rootId);
      const linkPath = `${mailboxPath(mbx)}/folders/delta`;
      return page(ctx, { scope: 'folders', all, removed: [], toJson: (f) => folderJson(ctx, f), linkPath, delta: true, csdlType: 'Collection(graph.mailboxFolder)' });
    },
  },
  {
    method: 'GET', path: [...MBX, 'folders', ':folder'], permissions: FOLDER_READ,
    handle: (ctx) => ({ status: 200, json: { '@odata.context': `${ctx.state.base}/${ctx.req.version}/$metadata#${mailboxPath(ctx.mailbox!)}/folders/$entity`, ...folderJson(ctx, folderOf(ctx)) }, csdlType: 'graph.mailboxFolder' }),
  },
  {
    method: 'GET', path: [...MBX, 'folders', ':folder', 'childFolders'], permissions: FOLDER_READ,
    handle: (ctx) => {
      const f = folderOf(ctx);
      return folderCollection(ctx, ctx.state.store.children(ctx.mailbox!, f.id), `${mailboxPath(ctx.mailbox!)}/folders('${f.id}')/childFolders`);
    },
  },
  { method: 'POST', path: [...MBX, 'folders'], permissions: FOLDER_WRITE, requestType: 'graph.mailboxFolder', handle: (ctx) => createFolder(ctx, ctx.mailbox!.folders.get(ctx.mailbox!.rootId)!) },
  { method: 'POST', path: [...MBX, 'folders', ':folder', 'childFolders'], permissions: FOLDER_WRITE, requestType: 'graph.mailboxFolder', handle: (ctx) => createFolder(ctx, folderOf(ctx)) },
  {
    method: 'GET', path: [...MBX, 'folders', ':folder', 'items'], permissions: ITEM_READ,
    handle: (ctx) => {
      const f = folderOf(ctx);
      const linkPath = `${mailboxPath(ctx.mailbox!)}/folders('${f.id}')/items`;
      return page(ctx, { scope: f.id, all: ctx.state.store.itemsIn(ctx.mailbox!, f.id), removed: [], toJson: itemJson, linkPath, delta: false, csdlType: 'Collection(graph.mailboxItem)' });
    },
  },
  {
    method: 'GET', path: [...MBX, 'folders', ':folder', 'items', 'delta'], permissions: ITEM_READ,
    handle: (ctx) => {
      const f = folderOf(ctx);
      const mbx = ctx.mailbox!;
      const linkPath = `${mailboxPath(mbx)}/folders('${f.id}')/items/delta`;
      const removed = mbx.tombstones.filter((t) => t.folderId === f.id);
      return page(ctx, { scope: f.id, all: ctx.state.store.itemsIn(mbx, f.id), removed, toJson: itemJson, linkPath, delta: true, csdlType: 'Collection(graph.mailboxItem)' });
    },
  },
];
