/**
 * Mailbox settings a migration copies beside the items: inbox rules
 * (`users/{id}/mailFolders/inbox/messageRules`, list, create and update) and automatic replies
 * (`users/{id}/mailboxSettings`, read and PATCH). Bodies are checked against the v1.0 CSDL
 * (`graph.messageRule`, `graph.mailboxSettings`) like every other route; permission
 * MailboxSettings.ReadWrite (Read for reading), as Microsoft documents.
 */
import { randomUUID } from 'node:crypto';
import { PERMISSION } from './permissions.js';
import { type Reply, type Route, type RouteContext, badRequest, notFound } from './routing.js';
import type { GraphMailbox } from './store.js';

const READ = {
  app: [PERMISSION.settingsRead, PERMISSION.settingsReadWrite],
  delegated: ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'],
};
const WRITE = { app: [PERMISSION.settingsReadWrite], delegated: ['MailboxSettings.ReadWrite'] };
const RULES = ['users', ':user', 'mailFolders', 'inbox', 'messageRules'];

const DEFAULT_REPLIES = { status: 'disabled', externalAudience: 'all', internalReplyMessage: '', externalReplyMessage: '' };

export interface GraphSettings {
  rules: Record<string, unknown>[];
  automaticRepliesSetting: Record<string, unknown>;
}

/** The mailbox's settings, made on first use. */
export function settingsOf(mbx: GraphMailbox): GraphSettings {
  const holder = mbx as GraphMailbox & { settings?: GraphSettings };
  holder.settings ??= { rules: [], automaticRepliesSetting: { ...DEFAULT_REPLIES } };
  return holder.settings;
}

function listRules(ctx: RouteContext): Reply {
  const value = settingsOf(ctx.mailbox!).rules;
  return {
    status: 200,
    json: { '@odata.context': `${ctx.state.base}/v1.0/$metadata#Collection(microsoft.graph.messageRule)`, value },
    csdlType: 'Collection(graph.messageRule)',
  };
}

function checkFolders(ctx: RouteContext, actions: Record<string, unknown> | undefined): void {
  for (const key of ['moveToFolder', 'copyToFolder']) {
    const target = actions?.[key];
    if (target !== undefined && (typeof target !== 'string' || !ctx.state.store.folder(ctx.mailbox!, target))) {
      throw badRequest(`The folder ${String(target)} in actions.${key} does not exist in this mailbox.`, 'ErrorInvalidRequest');
    }
  }
}

function createRule(ctx: RouteContext): Reply {
  const body = JSON.parse(ctx.req.body.toString('utf8')) as Record<string, unknown>;
  if (typeof body['displayName'] !== 'string' || !body['displayName'])
    throw badRequest('displayName is required for a message rule.', 'ErrorInvalidRequest');
  if (typeof body['sequence'] !== 'number') throw badRequest('sequence is required for a message rule.', 'ErrorInvalidRequest');
  checkFolders(ctx, body['actions'] as Record<string, unknown> | undefined);
  const rule = { id: randomUUID(), ...body, hasError: false, isReadOnly: false };
  settingsOf(ctx.mailbox!).rules.push(rule);
  return { status: 201, json: rule, csdlType: 'graph.messageRule' };
}

function updateRule(ctx: RouteContext): Reply {
  const rules = settingsOf(ctx.mailbox!).rules;
  const index = rules.findIndex((r) => r['id'] === ctx.params['rule']);
  if (index < 0) throw notFound(`messageRule ${ctx.params['rule']}`);
  const body = JSON.parse(ctx.req.body.toString('utf8')) as Record<string, unknown>;
  for (const key of ['id', 'hasError', 'isReadOnly'])
    if (key in body) throw badRequest(`${key} is read-only on a message rule.`, 'ErrorInvalidRequest');
  checkFolders(ctx, body['actions'] as Record<string, unknown> | undefined);
  // PATCH replaces the properties it names, whole (conditions, actions and exceptions included).
  const rule = { ...rules[index]!, ...body };
  rules[index] = rule;
  return { status: 200, json: rule, csdlType: 'graph.messageRule' };
}

function getSettings(ctx: RouteContext): Reply {
  const { automaticRepliesSetting } = settingsOf(ctx.mailbox!);
  return {
    status: 200,
    json: { automaticRepliesSetting, timeZone: 'UTC', language: { locale: 'en-US' } },
    csdlType: 'graph.mailboxSettings',
  };
}

function patchSettings(ctx: RouteContext): Reply {
  const body = JSON.parse(ctx.req.body.toString('utf8')) as { automaticRepliesSetting?: Record<string, unknown> };
  const settings = settingsOf(ctx.mailbox!);
  if (body.automaticRepliesSetting)
    settings.automaticRepliesSetting = { ...settings.automaticRepliesSetting, ...body.automaticRepliesSetting };
  return getSettings(ctx);
}

export const SETTINGS_ROUTES: Route[] = [
  { method: 'GET', path: RULES, permissions: READ, handle: listRules },
  { method: 'POST', path: RULES, permissions: WRITE, requestType: 'graph.messageRule', handle: createRule },
  { method: 'PATCH', path: [...RULES, ':rule'], permissions: WRITE, requestType: 'graph.messageRule', handle: updateRule },
  { method: 'GET', path: ['users', ':user', 'mailboxSettings'], permissions: READ, handle: getSettings },
  {
    method: 'PATCH',
    path: ['users', ':user', 'mailboxSettings'],
    permissions: WRITE,
    requestType: 'graph.mailboxSettings',
    handle: patchSettings,
  },
];
