/**
 * Folder permissions between two EWS mailboxes (GetFolder / UpdateFolder folder:PermissionSet),
 * users mapped by RecipientMapping; one setting per permission entry so a user the destination
 * cannot resolve is that entry's own error row.
 */
import type { MailboxSetting, SettingResult } from '../../core/connector.js';
import { ItemRejectedError, NotFoundError } from '../../core/errors.js';
import type { RecipientMappingRule } from '../../core/support-options.js';
import { mapAddress } from '../../core/recipient-mapping.js';
import { type EwsContext, folderIdXml } from './context.js';
import type { FolderIndex } from './ensure-folder.js';
import { child, descendants, elementChildren, escapeXml, text, serialize } from './xml.js';

interface PermissionData {
  /** The `t:Permission` / `t:CalendarPermission` element, user included. */
  xml: string;
  calendar: boolean;
  /** PrimarySmtpAddress of the user, or the DistinguishedUser (Default, Anonymous). */
  user: string;
  distinguished: boolean;
}

export async function exportPermissions(ctx: EwsContext, index: FolderIndex): Promise<MailboxSetting[]> {
  const folders = index.all();
  if (folders.length === 0) return [];
  const shape =
    '<m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:PermissionSet"/></t:AdditionalProperties></m:FolderShape>';
  const messages = await ctx.transport.callEach(
    folders,
    (part) => `<m:GetFolder>${shape}<m:FolderIds>${part.map((f) => folderIdXml(f.id)).join('')}</m:FolderIds></m:GetFolder>`,
  );
  const out: MailboxSetting[] = [];
  messages.forEach((m, i) => {
    if (m.responseClass === 'Error') return;
    const folder = folders[i]!;
    const set = child(elementChildren(child(m.element, 'Folders'))[0], 'PermissionSet');
    const list = child(set, 'Permissions') ?? child(set, 'CalendarPermissions');
    for (const p of elementChildren(list)) {
      const userId = child(p, 'UserId');
      const smtp = text(child(userId, 'PrimarySmtpAddress'));
      const distinguished = text(child(userId, 'DistinguishedUser'));
      const user = smtp ?? distinguished ?? '';
      out.push({
        type: 'permissions',
        label: `Permissions of ${folder.path} for ${user}`,
        folder: folder.path,
        data: { xml: serialize(p), calendar: p.localName === 'CalendarPermission', user, distinguished: !smtp } satisfies PermissionData,
      });
    }
  });
  return out;
}

export async function importPermissions(
  ctx: EwsContext,
  index: FolderIndex,
  settings: MailboxSetting[],
  folderPath: (p: string) => string | undefined,
  rules: readonly RecipientMappingRule[],
): Promise<SettingResult[]> {
  const results: SettingResult[] = [];
  const byFolder = new Map<string, { folderId: string; entries: { setting: MailboxSetting; xml: string; calendar: boolean }[] }>();
  for (const setting of settings) {
    const data = setting.data as PermissionData;
    const dest = setting.folder !== undefined ? folderPath(setting.folder) : undefined;
    const folder = dest ? index.byPathString(dest) : undefined;
    if (!folder) {
      results.push({ setting, error: new NotFoundError(`${setting.label}: the folder was not copied to the destination.`) });
      continue;
    }
    let xml = data.xml;
    if (!data.distinguished) {
      const mapped = mapAddress(data.user, rules);
      const resolved = await resolves(ctx, mapped);
      if (!resolved) {
        results.push({
          setting,
          error: new ItemRejectedError(
            `${setting.label}: the destination cannot resolve the user ${mapped}${mapped !== data.user ? ` (mapped from ${data.user})` : ''}; add a RecipientMapping or create that user first.`,
          ),
        });
        continue;
      }
      xml = xml.replace(
        /<t:UserId>[\s\S]*?<\/t:UserId>/,
        `<t:UserId><t:PrimarySmtpAddress>${escapeXml(mapped)}</t:PrimarySmtpAddress></t:UserId>`,
      );
    }
    const group = byFolder.get(folder.id) ?? { folderId: folder.id, entries: [] };
    group.entries.push({ setting, xml, calendar: data.calendar });
    byFolder.set(folder.id, group);
  }
  for (const { folderId, entries } of byFolder.values()) {
    const calendar = entries[0]!.calendar;
    const list = calendar ? 'CalendarPermissions' : 'Permissions';
    const element = calendar ? 'CalendarFolder' : 'Folder';
    const response = await ctx.transport.call(
      `<m:UpdateFolder><m:FolderChanges><t:FolderChange>${folderIdXml(folderId)}<t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:PermissionSet"/>` +
        `<t:${element}><t:PermissionSet><t:${list}>${entries.map((e) => e.xml).join('')}</t:${list}></t:PermissionSet></t:${element}></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`,
    );
    const m = response.messages[0];
    const error =
      m && m.responseClass === 'Error'
        ? new ItemRejectedError(`The destination refused the permissions (${m.code}: ${m.text}).`)
        : undefined;
    for (const e of entries) results.push(error ? { setting: e.setting, error } : { setting: e.setting });
  }
  return results;
}

async function resolves(ctx: EwsContext, address: string): Promise<boolean> {
  const response = await ctx.transport.call(
    `<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>SMTP:${escapeXml(address)}</m:UnresolvedEntry></m:ResolveNames>`,
  );
  const m = response.messages[0];
  if (!m || m.code === 'ErrorNameResolutionNoResults') return false;
  return descendants(m.element, 'EmailAddress').some((e) => (text(e) ?? '').toLowerCase() === address.toLowerCase());
}
