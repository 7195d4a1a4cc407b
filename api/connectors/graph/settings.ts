/**
 * Inbox rules and automatic replies over Microsoft Graph (`users/{id}/mailFolders/inbox/messageRules`,
 * `users/{id}/mailboxSettings`), Exchange Online to Exchange Online. A rule that moves or copies
 * mail names a folder by id: the source's id travels as the folder's path and becomes the id of
 * its copy at the destination. What Graph cannot carry is an error row naming it: folder
 * permissions (Graph has calendar permissions only, not the import/export API's folders), and
 * rules, replies or permissions read over EWS (another format; not translated).
 */
import type { MailboxSetting, SettingResult } from '../../core/connector.js';
import { ItemRejectedError, ensureError } from '../../core/errors.js';
import type { GraphContext } from './context.js';
import type { GraphFolderIndex } from './folders.js';
import { GRAPH_PERMISSIONS } from './permissions.js';

type Rule = Record<string, unknown> & { displayName?: string; actions?: Record<string, unknown> };
/** What a Graph session exports: tagged, so a destination can tell it from an EWS setting. */
interface GraphSettingData {
  graph: Record<string, unknown>;
}
const FOLDER_ACTIONS = ['moveToFolder', 'copyToFolder'] as const;
/** Read-only or server-kept properties a new rule must not carry. */
const NOT_WRITTEN = ['id', 'hasError', 'isReadOnly', '@odata.etag'];

const userPath = (ctx: GraphContext, rest: string) => `/v1.0/users/${encodeURIComponent(ctx.mailbox)}${rest}`;

export async function exportGraphSettings(ctx: GraphContext, index: GraphFolderIndex, types: readonly MailboxSetting['type'][]): Promise<MailboxSetting[]> {
  const out: MailboxSetting[] = [];
  const read = { action: `Reading the mailbox settings of ${ctx.mailbox}`, permission: GRAPH_PERMISSIONS.settings };
  if (types.includes('rules')) {
    const { body } = await ctx.transport.send<{ value?: Rule[] }>({ method: 'GET', url: userPath(ctx, '/mailFolders/inbox/messageRules'), ...read });
    for (const rule of body?.value ?? []) {
      const data = Object.fromEntries(Object.entries(rule).filter(([k]) => !NOT_WRITTEN.includes(k)));
      const actions = { ...(rule.actions ?? {}) };
      for (const key of FOLDER_ACTIONS) {
        // The folder's path, not its id: ids differ between mailboxes.
        if (typeof actions[key] === 'string') actions[key] = { path: index.all().find((f) => (f as { id?: string }).id === actions[key])?.path ?? null };
      }
      out.push({ type: 'rules', label: `Inbox rule "${rule.displayName ?? ''}"`, data: { graph: { ...data, actions } } satisfies GraphSettingData });
    }
  }
  if (types.includes('oof')) {
    const { body } = await ctx.transport.send<{ automaticRepliesSetting?: Record<string, unknown> }>({ method: 'GET', url: userPath(ctx, '/mailboxSettings'), ...read });
    if (body?.automaticRepliesSetting) out.push({ type: 'oof', label: 'Automatic replies', data: { graph: body.automaticRepliesSetting } satisfies GraphSettingData });
  }
  if (types.includes('permissions')) {
    out.push({ type: 'permissions', label: 'Folder permissions', data: { notCopied: true } });
  }
  return out;
}

export async function importGraphSettings(
  ctx: GraphContext, index: GraphFolderIndex, settings: MailboxSetting[], folderPath: (sourcePath: string) => string | undefined,
): Promise<SettingResult[]> {
  const results: SettingResult[] = [];
  for (const setting of settings) {
    try {
      await importOne(ctx, index, setting, folderPath);
      results.push({ setting });
    } catch (raw) {
      const error = ensureError(raw);
      if (error.code !== 'rejected' && error.code !== 'not-found') throw error;
      results.push({ setting, error });
    }
  }
  return results;
}

async function importOne(ctx: GraphContext, index: GraphFolderIndex, setting: MailboxSetting, folderPath: (sourcePath: string) => string | undefined): Promise<void> {
  const data = setting.data as Partial<GraphSettingData> | undefined;
  if (setting.type === 'permissions') {
    throw new ItemRejectedError(`${setting.label}: not copied to Exchange Online over Microsoft Graph. Graph's mailbox import/export API has no folder permissions; set them again in Outlook or with Add-MailboxFolderPermission.`);
  }
  if (!data?.graph) {
    throw new ItemRejectedError(`${setting.label}: read over EWS, whose format Mailferry does not translate to Microsoft Graph. Set it again at the destination, or copy it with an Exchange Online endpoint on EWS while the tenant allows it.`);
  }
  const write = { action: `Writing ${setting.label} in ${ctx.mailbox}`, permission: GRAPH_PERMISSIONS.settings };
  if (setting.type === 'oof') {
    await ctx.transport.send({ method: 'PATCH', url: userPath(ctx, '/mailboxSettings'), json: { automaticRepliesSetting: data.graph }, idempotent: true, ...write });
    return;
  }
  const rule = { ...data.graph } as Rule;
  const actions = { ...(rule.actions ?? {}) };
  for (const key of FOLDER_ACTIONS) {
    const target = actions[key] as { path?: string | null } | undefined;
    if (target === undefined) continue;
    const destPath = target.path ? folderPath(target.path) : undefined;
    const folder = destPath ? index.byPathString(destPath) : undefined;
    if (!folder) throw new ItemRejectedError(`${setting.label}: the folder it ${key === 'moveToFolder' ? 'moves' : 'copies'} mail to (${target.path ?? 'unknown'}) was not copied, so the rule would point nowhere.`);
    actions[key] = folder.id;
  }
  await ctx.transport.send({ method: 'POST', url: userPath(ctx, '/mailFolders/inbox/messageRules'), json: { ...rule, actions }, ...write });
}
