/**
 * Mailbox settings between two EWS mailboxes: inbox rules (settings-rules.ts), automatic replies
 * (settings-oof.ts) and folder permissions (settings-permissions.ts). Data is XML text, opaque to
 * the engine. A throttled, dropped or refused connection stops the job; any other failure is
 * that setting's own error row.
 */
import type { MailboxSetting, SettingResult } from '../../core/connector.js';
import { MailferryError } from '../../core/errors.js';
import type { RecipientMappingRule } from '../../core/support-options.js';
import type { EwsContext } from './context.js';
import type { FolderIndex } from './ensure-folder.js';
import { exportOof, importOof } from './settings-oof.js';
import { exportPermissions, importPermissions } from './settings-permissions.js';
import { destinationRuleIds, exportRules, importRule } from './settings-rules.js';

export async function exportSettings(
  ctx: EwsContext,
  index: FolderIndex,
  types: readonly MailboxSetting['type'][],
): Promise<MailboxSetting[]> {
  const out: MailboxSetting[] = [];
  if (types.includes('rules')) out.push(...(await exportRules(ctx, index)));
  if (types.includes('oof')) out.push(...(await exportOof(ctx)));
  if (types.includes('permissions')) out.push(...(await exportPermissions(ctx, index)));
  return out;
}

export async function importSettings(
  ctx: EwsContext,
  index: FolderIndex,
  settings: MailboxSetting[],
  folderPath: (p: string) => string | undefined,
  rules: readonly RecipientMappingRule[],
): Promise<SettingResult[]> {
  const results: SettingResult[] = [];
  const permissions: MailboxSetting[] = [];
  let existing: Map<string, string> | undefined;
  for (const setting of settings) {
    try {
      if (setting.type === 'rules') {
        existing ??= await destinationRuleIds(ctx);
        await importRule(ctx, index, setting, folderPath, rules, existing);
      } else if (setting.type === 'oof') await importOof(ctx, setting);
      else {
        permissions.push(setting);
        continue;
      }
      results.push({ setting });
    } catch (err) {
      if (err instanceof MailferryError && (err.code === 'throttled' || err.code === 'connection' || err.code === 'auth')) throw err;
      results.push({ setting, error: err as Error });
    }
  }
  results.push(...(await importPermissions(ctx, index, permissions, folderPath, rules)));
  return results;
}
