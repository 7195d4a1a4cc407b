/**
 * Mailbox settings over Microsoft Graph, Exchange Online to Exchange Online: inbox rules
 * (settings-rules.ts), automatic replies (`users/{id}/mailboxSettings`) and calendar permissions
 * (settings-calendar.ts). What Graph cannot carry is an error row naming it: permissions of other
 * folders (Graph has calendar sharing only), and rules or replies read over EWS (another format;
 * not translated). Calendar permissions read over EWS are translated where a Graph role fits.
 */
import type { MailboxSetting, SettingResult } from '../../core/connector.js';
import { ItemRejectedError, ensureError } from '../../core/errors.js';
import type { RecipientMappingRule } from '../../core/support-options.js';
import type { GraphContext } from './context.js';
import type { GraphFolderIndex } from './folders.js';
import { GRAPH_PERMISSIONS } from './permissions.js';
import { exportCalendarPermissions, importCalendarPermissions } from './settings-calendar.js';
import { DestinationRules, type GraphSettingData, exportRules, importRule, userPath } from './settings-rules.js';

export async function exportGraphSettings(
  ctx: GraphContext,
  index: GraphFolderIndex,
  types: readonly MailboxSetting['type'][],
): Promise<MailboxSetting[]> {
  const out: MailboxSetting[] = [];
  if (types.includes('rules')) out.push(...(await exportRules(ctx, index)));
  if (types.includes('oof')) {
    const { body } = await ctx.transport.send<{ automaticRepliesSetting?: Record<string, unknown> }>({
      method: 'GET',
      url: userPath(ctx, '/mailboxSettings'),
      action: `Reading the automatic replies of ${ctx.mailbox}`,
      permission: GRAPH_PERMISSIONS.settings,
    });
    if (body?.automaticRepliesSetting)
      out.push({ type: 'oof', label: 'Automatic replies', data: { graph: body.automaticRepliesSetting } satisfies GraphSettingData });
  }
  if (types.includes('permissions')) out.push(...(await readCalendarPermissions(ctx, index)));
  return out;
}

/**
 * The calendar permissions, or, when the app may not read calendars (Calendars.ReadWrite not
 * granted, a mailbox outside its RBAC scope for calendars), one setting the engine reports as an
 * error row naming the permission to grant, while the rest of the item is copied.
 */
async function readCalendarPermissions(ctx: GraphContext, index: GraphFolderIndex): Promise<MailboxSetting[]> {
  try {
    return await exportCalendarPermissions(ctx, index);
  } catch (raw) {
    const error = ensureError(raw);
    if (error.code !== 'forbidden') throw error;
    return [{ type: 'permissions', label: 'Calendar permissions', data: undefined, unreadable: error }];
  }
}

export async function importGraphSettings(
  ctx: GraphContext,
  index: GraphFolderIndex,
  settings: MailboxSetting[],
  folderPath: (sourcePath: string) => string | undefined,
  recipientMappings: readonly RecipientMappingRule[] = [],
): Promise<SettingResult[]> {
  const results: SettingResult[] = [];
  const rules = new DestinationRules(ctx);
  for (const setting of settings.filter((s) => s.type !== 'permissions')) {
    try {
      const destRef = await importOne(ctx, index, setting, folderPath, rules);
      results.push(destRef ? { setting, destRef } : { setting });
    } catch (raw) {
      const error = ensureError(raw);
      if (error.code !== 'rejected' && error.code !== 'not-found') throw error;
      results.push({ setting, error });
    }
  }
  const permissions = settings.filter((s) => s.type === 'permissions');
  if (permissions.length) results.push(...(await importCalendarPermissions(ctx, index, permissions, folderPath, recipientMappings)));
  return results;
}

async function importOne(
  ctx: GraphContext,
  index: GraphFolderIndex,
  setting: MailboxSetting,
  folderPath: (sourcePath: string) => string | undefined,
  rules: DestinationRules,
): Promise<string | undefined> {
  const data = setting.data as Partial<GraphSettingData> | undefined;
  if (!data?.graph) {
    throw new ItemRejectedError(
      `${setting.label}: read over EWS, whose format Mailferry does not translate to Microsoft Graph. Set it again at the destination, or copy it with an Exchange Online endpoint on EWS while the tenant allows it.`,
    );
  }
  if (setting.type === 'rules') return importRule(ctx, index, setting, data as GraphSettingData, folderPath, rules);
  await ctx.transport.send({
    method: 'PATCH',
    url: userPath(ctx, '/mailboxSettings'),
    json: { automaticRepliesSetting: data.graph },
    idempotent: true,
    action: `Writing ${setting.label} in ${ctx.mailbox}`,
    permission: GRAPH_PERMISSIONS.settings,
  });
  return undefined;
}
