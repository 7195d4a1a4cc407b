/**
 * Moving items in and out: `exportItems` (≤ 20 ids, per-item errors as values),
 * `createImportSession` and its `importUrl` (`importItem`, one item per POST, no Authorization
 * header, its own `authtoken` until it expires), beta `mailFolders/{id}/importMime` (a real
 * received message, not a draft), and the v1.0 message routes a MIME path needs afterwards
 * (PATCH read state, flag, categories and the delivery time `SystemTime 0x0E06`; GET `$value` for the MIME).
 */
import { randomBytes } from 'node:crypto';
import { base64Length } from './base64.js';
import { type ItemContent, decodeBlob, encodeBlob, fromEwsExport, mimeHeader } from './item-blob.js';
import { propertyId } from './paging.js';
import { PERMISSION } from './permissions.js';
import { folderOf } from './routes-mailbox.js';
import {
  type ImportSession,
  type Reply,
  type Route,
  type RouteContext,
  type ServerState,
  GraphError,
  badRequest,
  notFound,
} from './routing.js';
import type { GraphItem, GraphMailbox } from './store.js';

export const MAX_EXPORT_IDS = 20;

/** The documented importItem request (GRAPH.md; the CSDL lacks it): property → JSON type. */
const IMPORT_ITEM_REQUEST: Record<string, 'string'> = {
  FolderId: 'string',
  Mode: 'string',
  Data: 'string',
  ItemId: 'string',
  ChangeKey: 'string',
};

export function checkImportItemResponse(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return ['importItem response: expected an object'];
  const out: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (k !== 'itemId' && k !== 'changeKey') out.push(`importItem response: unexpected property ${k}`);
    else if (typeof v !== 'string' || !v) out.push(`importItem response: ${k} must be a non-empty string`);
  }
  if (!('itemId' in body) || !('changeKey' in body)) out.push('importItem response: itemId and changeKey are required');
  return out;
}

function decodeBase64(text: string, what: string): Buffer {
  const length = base64Length(text, { spaces: true });
  if (!length || length % 4 === 1) throw badRequest(`${what} is not valid base64.`, 'ErrorInvalidRequest');
  return Buffer.from(text, 'base64'); // Node's decoder skips whitespace, as the check did
}

function exportItems(ctx: RouteContext): Reply {
  const body = JSON.parse(ctx.req.body.toString('utf8')) as Record<string, unknown>;
  const ids = body['ItemIds'] ?? body['itemIds'];
  if (!Array.isArray(ids) || ids.length === 0)
    throw badRequest('ItemIds is required: list the ids of the items to export.', 'ErrorInvalidRequest');
  if (ids.length > MAX_EXPORT_IDS)
    throw badRequest(`ItemIds holds ${ids.length} ids; exportItems takes at most ${MAX_EXPORT_IDS} per call.`, 'ErrorInvalidRequest');
  const mbx = ctx.mailbox!;
  const value = ids.map((id) => {
    const item = typeof id === 'string' ? mbx.items.get(id) : undefined;
    if (!item)
      return { itemId: String(id), error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } };
    return { itemId: item.id, changeKey: item.changeKey, data: item.blob.toString('base64') };
  });
  return {
    status: 200,
    json: { '@odata.context': `${ctx.state.base}/${ctx.req.version}/$metadata#Collection(microsoft.graph.exportItemResponse)`, value },
    csdlType: 'Collection(graph.exportItemResponse)',
  };
}

function createImportSession(ctx: RouteContext): Reply {
  const { state } = ctx;
  const mbx = ctx.mailbox!;
  const session: ImportSession = {
    token: randomBytes(32).toString('base64url'),
    mailboxId: mbx.id,
    appId: ctx.caller.appId,
    expiresAt: state.now() + state.importSessionLifetimeMs,
  };
  state.sessions.set(session.token, session);
  return {
    status: 201,
    json: {
      '@odata.context': `${state.base}/${ctx.req.version}/$metadata#microsoft.graph.mailboxItemImportSession`,
      importUrl: `${state.base}/api/gv1.0/Mailboxes('${mbx.id}')/importItem?authtoken=${session.token}`,
      expirationDateTime: new Date(session.expiresAt).toISOString(),
    },
    csdlType: 'graph.mailboxItemImportSession',
  };
}

/** The content an importItem `Data` stands for: this server's stream, or (when accepted) the EWS test server's. */
function importedContent(state: ServerState, data: Buffer): { content: ItemContent; blob: Buffer; origin: GraphItem['origin'] } {
  const own = decodeBlob(data);
  if (own) return { content: own, blob: data, origin: 'importItem' };
  const ews = fromEwsExport(data);
  if (ews && state.acceptEwsExport) return { content: ews, blob: encodeBlob(ews), origin: 'ews-export' };
  if (ews) state.ewsExportRefusals++;
  const why = ews ? 'an Exchange Web Services export, which this mailbox does not accept' : 'not an export stream';
  throw badRequest(
    `The item data could not be imported: it is ${why}. Export the item with exportItems, or import mail as MIME.`,
    'ErrorCorruptData',
  );
}

/** POST {importUrl}: checks its own token, not an Authorization header. */
export function importItem(state: ServerState, mbx: GraphMailbox, raw: Buffer): Reply {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw badRequest('The request body is not JSON: send {"FolderId", "Mode", "Data"}.', 'ErrorInvalidRequest');
  }
  for (const [k, v] of Object.entries(body)) {
    if (!(k in IMPORT_ITEM_REQUEST))
      throw badRequest(
        `The property '${k}' is not part of an importItem request (FolderId, Mode, Data, ItemId, ChangeKey).`,
        'ErrorInvalidRequest',
      );
    if (typeof v !== IMPORT_ITEM_REQUEST[k]) throw badRequest(`${k} must be a string.`, 'ErrorInvalidRequest');
  }
  const mode = String(body['Mode'] ?? '').toLowerCase();
  if (mode !== 'create' && mode !== 'update') throw badRequest("Mode must be 'create' or 'update'.", 'ErrorInvalidRequest');
  if (typeof body['Data'] !== 'string')
    throw badRequest('Data is required: the base64 stream exportItems returned.', 'ErrorInvalidRequest');
  const { content, blob, origin } = importedContent(state, decodeBase64(body['Data'], 'Data'));
  const { store } = state;
  let item: GraphItem;
  if (mode === 'create') {
    const folder = typeof body['FolderId'] === 'string' ? store.folder(mbx, body['FolderId']) : undefined;
    if (!folder) throw notFound(`FolderId ${String(body['FolderId'] ?? '(missing)')}`);
    item = store.addItem(mbx, folder.id, blob, origin, content);
  } else {
    const target = typeof body['ItemId'] === 'string' ? mbx.items.get(body['ItemId']) : undefined;
    if (!target) throw notFound(`ItemId ${String(body['ItemId'] ?? '(missing)')}`);
    if (body['ChangeKey'] !== target.changeKey)
      throw new GraphError(
        409,
        'ErrorIrresolvableConflict',
        'The ChangeKey is out of date: the item changed since it was read. Read it again and retry.',
      );
    store.replaceItem(mbx, target, blob, content);
    item = target;
  }
  return { status: 200, json: { itemId: item.id, changeKey: item.changeKey }, shapeCheck: checkImportItemResponse };
}

/** A message resource for an item (the v1.0 `message` shape, the properties this server knows). */
export function messageJson(ctx: RouteContext, item: GraphItem): Record<string, unknown> {
  const c = item.content;
  const mime = c.mime ? Buffer.from(c.mime, 'base64') : undefined;
  const date = mime ? mimeHeader(mime, 'Date') : undefined;
  const sent = date && !Number.isNaN(Date.parse(date)) ? new Date(Date.parse(date)).toISOString() : undefined;
  const messageId = mime ? mimeHeader(mime, 'Message-ID') : undefined;
  return {
    '@odata.context': `${ctx.state.base}/${ctx.req.version}/$metadata#users('${ctx.mailbox!.objectId}')/messages/$entity`,
    id: item.id,
    createdDateTime: item.createdDateTime,
    lastModifiedDateTime: item.lastModifiedDateTime,
    changeKey: item.changeKey,
    categories: c.categories,
    receivedDateTime: c.receivedDateTime ?? item.createdDateTime,
    ...(sent ? { sentDateTime: sent } : {}),
    subject: c.subject ?? '',
    ...(messageId ? { internetMessageId: messageId } : {}),
    isDraft: c.isDraft,
    isRead: c.isRead,
    parentFolderId: item.folderId,
    flag: { flagStatus: c.flagged ? 'flagged' : 'notFlagged' },
  };
}

function importMime(ctx: RouteContext): Reply {
  const type = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'text/plain')
    throw badRequest(
      `importMime takes the message as base64 text with Content-Type: text/plain, not '${type || '(none)'}'.`,
      'ErrorInvalidRequest',
    );
  const mime = decodeBase64(ctx.req.body.toString('latin1'), 'The request body');
  if (!/\r?\n\r?\n/.test(mime.subarray(0, 256 * 1024).toString('latin1')) || !/^[!-9;-~]+:/.test(mime.toString('latin1', 0, 200))) {
    throw badRequest(
      'The request body is not an RFC 5322 message (a header block, a blank line, then the body).',
      'ErrorMimeContentInvalid',
    );
  }
  const folder = folderOf(ctx);
  const date = mimeHeader(mime, 'Date');
  const received =
    date && !Number.isNaN(Date.parse(date)) ? new Date(Date.parse(date)).toISOString() : new Date(ctx.state.now()).toISOString();
  const content: ItemContent = {
    type: 'IPM.Note',
    mime: mime.toString('base64'),
    subject: mimeHeader(mime, 'Subject') ?? '',
    isRead: false,
    isDraft: false,
    flagged: false,
    categories: [],
    receivedDateTime: received,
  };
  const item = ctx.state.store.addItem(ctx.mailbox!, folder.id, encodeBlob(content), 'importMime');
  return { status: 201, json: messageJson(ctx, item), csdlType: 'graph.message' };
}

function messageOf(ctx: RouteContext): GraphItem {
  const item = ctx.mailbox!.items.get(ctx.params['message']!);
  if (!item) throw notFound(`message ${ctx.params['message']}`);
  return item;
}

/** PATCH a message: read state, flag and categories are what a migration sets after importMime. */
function patchMessage(ctx: RouteContext): Reply {
  const item = messageOf(ctx);
  const body = JSON.parse(ctx.req.body.toString('utf8')) as {
    isRead?: boolean;
    flag?: { flagStatus?: string };
    categories?: string[];
    singleValueExtendedProperties?: { id?: string; value?: string }[];
  };
  const next: ItemContent = { ...item.content };
  if (typeof body.isRead === 'boolean') next.isRead = body.isRead;
  if (body.flag?.flagStatus) next.flagged = body.flag.flagStatus === 'flagged';
  if (Array.isArray(body.categories)) next.categories = body.categories.map(String);
  for (const property of body.singleValueExtendedProperties ?? []) {
    const id = propertyId(property.id ?? '');
    const ms = Date.parse(property.value ?? '');
    // The one extended property this server keeps: PR_MESSAGE_DELIVERY_TIME, the message's receivedDateTime.
    if (id?.type.toLowerCase() !== 'systemtime' || id.tag !== 0x0e06) {
      throw badRequest(
        `This test server keeps only the extended property 'SystemTime 0x0E06' (delivery time), not '${property.id ?? ''}'.`,
        'ErrorInvalidProperty',
      );
    }
    if (Number.isNaN(ms))
      throw badRequest(
        `The value of 'SystemTime 0x0E06' must be an ISO 8601 date and time, not '${property.value ?? ''}'.`,
        'ErrorInvalidProperty',
      );
    next.receivedDateTime = new Date(ms).toISOString();
  }
  ctx.state.store.replaceItem(ctx.mailbox!, item, encodeBlob(next));
  return { status: 200, json: messageJson(ctx, item), csdlType: 'graph.message' };
}

function messageValue(ctx: RouteContext): Reply {
  const item = messageOf(ctx);
  if (!item.content.mime)
    throw new GraphError(
      400,
      'ErrorInvalidRequest',
      `The item is a ${item.content.type}, which has no MIME content; export it with exportItems.`,
    );
  return { status: 200, raw: Buffer.from(item.content.mime, 'base64'), contentType: 'message/rfc822' };
}

const MBX = ['admin', 'exchange', 'mailboxes', ':mbx'];

export const TRANSFER_ROUTES: Route[] = [
  {
    method: 'POST',
    path: [...MBX, 'exportItems'],
    permissions: { app: [PERMISSION.itemExport, PERMISSION.itemImportExport], delegated: [] },
    requestType: { ItemIds: 'Collection(Edm.String)', itemIds: 'Collection(Edm.String)' },
    handle: exportItems,
  },
  {
    method: 'POST',
    path: [...MBX, 'createImportSession'],
    permissions: { app: [PERMISSION.itemImportExport], delegated: [] },
    requestType: {},
    handle: createImportSession,
  },
  {
    method: 'POST',
    path: ['users', ':user', 'mailFolders', ':folder', 'importMime'],
    version: 'beta',
    permissions: { app: [PERMISSION.mimeImport], delegated: [] },
    handle: importMime,
  },
  {
    method: 'PATCH',
    path: ['users', ':user', 'messages', ':message'],
    permissions: { app: [PERMISSION.mailReadWrite], delegated: ['Mail.ReadWrite'] },
    requestType: 'graph.message',
    handle: patchMessage,
  },
  {
    method: 'GET',
    path: ['users', ':user', 'messages', ':message', '$value'],
    permissions: { app: [PERMISSION.mailRead, PERMISSION.mailReadWrite], delegated: ['Mail.Read', 'Mail.ReadWrite'] },
    handle: messageValue,
  },
];
