/**
 * Microsoft 365 Groups over Graph: Groups mailboxes have no import/export (GRAPH.md), so the
 * lossy path is a conversation posted to the group, `POST /groups/{id}/threads`, which takes the
 * DELEGATED Group.ReadWrite.All only (an app-only token gets 403). The original sender and dates
 * are not kept: the post is stored as sent now by the signed-in user. Also `GET /groups` with
 * `$filter=mail eq '…'` to find a group's id, and `GET /groups/{id}/threads` (newest first, paged,
 * each with its `preview`) to list what was posted.
 */
import { encodeBlob } from './item-blob.js';
import { PERMISSION } from './permissions.js';
import { type Reply, type Route, type RouteContext, GraphError, badRequest } from './routing.js';
import type { GraphItem, GraphMailbox } from './store.js';

function groupOf(ctx: RouteContext): GraphMailbox {
  const mbx = ctx.state.store.find(ctx.params['group']!);
  if (mbx?.kind !== 'group' || mbx.objectId !== ctx.params['group']!.toLowerCase()) {
    throw new GraphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${ctx.params['group']}' does not exist or one of its queried reference-property objects are not present. Use the group's id (GET /groups?$filter=mail eq '…').`,
    );
  }
  return mbx;
}

function groupJson(m: GraphMailbox): Record<string, unknown> {
  return {
    id: m.objectId,
    mail: m.smtp,
    displayName: m.smtp.split('@')[0]!,
    mailEnabled: true,
    securityEnabled: false,
    groupTypes: ['Unified'],
  };
}

function listGroups(ctx: RouteContext): Reply {
  const filter = ctx.req.query.get('$filter');
  const groups = [...ctx.state.store.mailboxes.values()].filter((m) => m.kind === 'group');
  let shown = groups;
  if (filter) {
    const m = /^mail eq '([^']*)'$/i.exec(filter.trim());
    if (!m) throw badRequest(`This test server filters groups by mail only: $filter=mail eq 'team@contoso.com' (got '${filter}').`);
    shown = groups.filter((g) => g.smtp === m[1]!.toLowerCase());
  }
  return {
    status: 200,
    json: { '@odata.context': `${ctx.state.base}/${ctx.req.version}/$metadata#groups`, value: shown.map(groupJson) },
    csdlType: 'Collection(graph.group)',
  };
}

interface ThreadBody {
  topic?: string;
  posts?: { body?: { contentType?: string; content?: string } }[];
}

/** The thread Graph describes for a post this server stored (one post per thread here). */
function threadJson(item: GraphItem, upn: string): Record<string, unknown> {
  const content = item.content.body ?? '';
  const delivered = item.content.receivedDateTime ?? new Date(0).toISOString();
  return {
    id: item.id,
    topic: item.content.subject ?? '',
    hasAttachments: false,
    lastDeliveredDateTime: delivered,
    uniqueSenders: [upn],
    // Graph's preview: the start of the newest post's text, markup removed.
    preview: content
      .replace(/<[^>]*>/g, ' ')
      .replace(/&nbsp;/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 255),
    isLocked: false,
    toRecipients: [],
    ccRecipients: [],
  };
}

/** GET /groups/{id}/threads: newest first, in pages (`$top`, `@odata.nextLink` with `$skip`). */
function listThreads(ctx: RouteContext): Reply {
  const group = groupOf(ctx);
  const inbox = ctx.state.store.folder(group, 'inbox')!;
  const threads = ctx.state.store
    .itemsIn(group, inbox.id)
    .filter((i) => i.origin === 'groupThread')
    .sort((a, b) => (b.content.receivedDateTime ?? '').localeCompare(a.content.receivedDateTime ?? '') || b.seq - a.seq);
  for (const name of ctx.req.query.keys()) {
    if (!['$top', '$skip', '$select'].includes(name))
      throw badRequest(`This test server lists threads with $top, $skip and $select only (got ${name}).`);
  }
  const top = Math.min(Number(ctx.req.query.get('$top') ?? THREAD_PAGE), THREAD_PAGE);
  const skip = Number(ctx.req.query.get('$skip') ?? 0);
  const page = threads.slice(skip, skip + top);
  const base = `${ctx.state.base}/${ctx.req.version}/groups/${group.objectId}/threads`;
  const next = skip + top < threads.length ? `${base}?$top=${top}&$skip=${skip + top}` : undefined;
  return {
    status: 200,
    json: {
      '@odata.context': `${ctx.state.base}/${ctx.req.version}/$metadata#groups('${group.objectId}')/threads`,
      value: page.map((i) => threadJson(i, ctx.state.threadAuthors.get(i.id) ?? '')),
      ...(next ? { '@odata.nextLink': next } : {}),
    },
    csdlType: 'Collection(graph.conversationThread)',
  };
}

const THREAD_PAGE = 10;

function postThread(ctx: RouteContext): Reply {
  const group = groupOf(ctx);
  const body = JSON.parse(ctx.req.body.toString('utf8')) as ThreadBody;
  if (typeof body.topic !== 'string' || !body.topic)
    throw badRequest('topic is required: the conversation subject.', 'ErrorInvalidRequest');
  const post = body.posts?.[0]?.body;
  if (!post || typeof post.content !== 'string')
    throw badRequest('posts[0].body.content is required: the first post of the conversation.', 'ErrorInvalidRequest');
  const inbox = ctx.state.store.folder(group, 'inbox')!;
  const now = new Date(ctx.state.now()).toISOString();
  const item = ctx.state.store.addItem(
    group,
    inbox.id,
    encodeBlob({
      type: 'IPM.Post',
      subject: body.topic,
      body: post.content,
      isRead: true,
      isDraft: false,
      flagged: false,
      categories: [],
      receivedDateTime: now,
    }),
    'groupThread',
  );
  ctx.state.threadCount++;
  if (ctx.caller.kind === 'user') ctx.state.threadAuthors.set(item.id, ctx.caller.upn);
  return {
    status: 201,
    json: {
      '@odata.context': `${ctx.state.base}/${ctx.req.version}/$metadata#groups('${group.objectId}')/threads/$entity`,
      ...threadJson(item, ctx.caller.kind === 'user' ? ctx.caller.upn : ''),
    },
    csdlType: 'graph.conversationThread',
  };
}

export const GROUP_ROUTES: Route[] = [
  {
    method: 'GET',
    path: ['groups'],
    permissions: { app: [PERMISSION.groupRead, PERMISSION.groupReadWrite], delegated: [PERMISSION.groupRead, PERMISSION.groupReadWrite] },
    handle: listGroups,
  },
  {
    method: 'GET',
    path: ['groups', ':group', 'threads'],
    permissions: { app: [], delegated: [PERMISSION.groupRead, PERMISSION.groupReadWrite] },
    handle: listThreads,
  },
  {
    method: 'POST',
    path: ['groups', ':group', 'threads'],
    permissions: { app: [], delegated: [PERMISSION.groupReadWrite] },
    requestType: 'graph.conversationThread',
    handle: postThread,
  },
];
