/**
 * Mailbox settings between two EWS mailboxes: inbox rules (GetInboxRules / UpdateInboxRules,
 * move/copy targets re-pointed to the destination's copy of the folder), automatic replies
 * (Get/SetUserOofSettings) and folder permissions (GetFolder / UpdateFolder folder:PermissionSet,
 * users mapped by RecipientMapping; one setting per permission entry so a user the destination
 * cannot resolve is that entry's own error row). Data is XML text, opaque to the engine.
 * Client-side (Outlook-only) rules are not exposed by EWS and are not copied.
 */
import type { MailboxSetting, SettingResult } from '../../core/connector.js';
import { ItemRejectedError, MailferryError, NotFoundError } from '../../core/errors.js';
import type { RecipientMappingRule } from '../../core/support-options.js';
import { type EwsContext, folderIdXml } from './context.js';
import type { FolderIndex } from './ensure-folder.js';
import { fromCode } from './map-error.js';
import { mapAddress } from '../../core/recipient-mapping.js';
import { NS, attr, child, children, descendants, elementChildren, escapeXml, text, unescapeXml } from './xml.js';

/** Serialises a DOM element back to XML with `t:` / `m:` prefixes, escaping everything. */
export function serialize(node: Element): string {
  const prefix = node.namespaceURI === NS.messages ? 'm' : 't';
  const attrs: string[] = [];
  for (let i = 0; i < node.attributes.length; i++) {
    const a = node.attributes.item(i)!;
    if (a.name.startsWith('xmlns')) continue;
    attrs.push(` ${a.name}="${escapeXml(a.value)}"`);
  }
  const kids = elementChildren(node);
  const inner = kids.length ? kids.map(serialize).join('') : escapeXml(node.textContent ?? '');
  return `<${prefix}:${node.localName}${attrs.join('')}>${inner}</${prefix}:${node.localName}>`;
}

function single(ctx: EwsContext, response: { root: Element }, action: string): Element {
  const root = response.root;
  const holder = child(root, 'ResponseMessage') ?? root;
  const cls = attr(holder, 'ResponseClass');
  if (cls === 'Error') {
    throw fromCode({ element: holder, responseClass: 'Error', code: text(child(holder, 'ResponseCode')) ?? '', text: text(child(holder, 'MessageText')) ?? '', values: {} }, `${action} (${ctx.mailbox})`);
  }
  return root;
}

export async function exportSettings(ctx: EwsContext, index: FolderIndex, types: readonly MailboxSetting['type'][]): Promise<MailboxSetting[]> {
  const out: MailboxSetting[] = [];
  if (types.includes('rules')) out.push(...(await exportRules(ctx, index)));
  if (types.includes('oof')) out.push(...(await exportOof(ctx)));
  if (types.includes('permissions')) out.push(...(await exportPermissions(ctx, index)));
  return out;
}

export async function importSettings(
  ctx: EwsContext, index: FolderIndex, settings: MailboxSetting[], folderPath: (p: string) => string | undefined, rules: readonly RecipientMappingRule[],
): Promise<SettingResult[]> {
  const results: SettingResult[] = [];
  const permissions: MailboxSetting[] = [];
  let existing: Map<string, string> | undefined;
  for (const setting of settings) {
    try {
      if (setting.type === 'rules') {
        existing ??= await destinationRuleIds(ctx);
        await importRule(ctx, index, setting, folderPath, rules, existing);
      }
      else if (setting.type === 'oof') await importOof(ctx, setting);
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

// ───────────── inbox rules ─────────────

interface RuleData {
  xml: string;
  /** Source folder paths named by MoveToFolder / CopyToFolder, in document order. */
  folders: string[];
}

async function exportRules(ctx: EwsContext, index: FolderIndex): Promise<MailboxSetting[]> {
  const response = await ctx.transport.call(`<m:GetInboxRules><m:MailboxSmtpAddress>${escapeXml(ctx.mailbox)}</m:MailboxSmtpAddress></m:GetInboxRules>`);
  const root = single(ctx, response, 'Reading inbox rules');
  return children(child(root, 'InboxRules'), 'Rule').map((rule) => {
    const name = text(child(rule, 'DisplayName')) ?? '';
    const folders: string[] = [];
    for (const target of [...descendants(rule, 'MoveToFolder'), ...descendants(rule, 'CopyToFolder')]) {
      const id = attr(child(target, 'FolderId'), 'Id');
      folders.push((id && index.byId(id)?.path) ?? '');
    }
    return { type: 'rules', label: `Inbox rule "${name}"`, data: { xml: serialize(rule), folders } satisfies RuleData };
  });
}

/** The destination's rules by display name → RuleId: a rule copied again replaces its earlier copy instead of adding a second one. */
async function destinationRuleIds(ctx: EwsContext): Promise<Map<string, string>> {
  const response = await ctx.transport.call(`<m:GetInboxRules><m:MailboxSmtpAddress>${escapeXml(ctx.mailbox)}</m:MailboxSmtpAddress></m:GetInboxRules>`);
  const root = single(ctx, response, 'Reading inbox rules');
  const ids = new Map<string, string>();
  for (const rule of children(child(root, 'InboxRules'), 'Rule')) {
    const id = text(child(rule, 'RuleId'));
    if (id) ids.set(text(child(rule, 'DisplayName')) ?? '', id);
  }
  return ids;
}

async function importRule(
  ctx: EwsContext, index: FolderIndex, setting: MailboxSetting, folderPath: (p: string) => string | undefined, rules: readonly RecipientMappingRule[],
  existing: Map<string, string>,
): Promise<void> {
  const data = setting.data as RuleData;
  let xml = data.xml.replace(/<t:RuleId>[^<]*<\/t:RuleId>/, '');
  // Re-point move/copy targets at the destination's copy of each folder, in order.
  let n = 0;
  let missing: string | undefined;
  xml = xml.replace(/<t:(MoveToFolder|CopyToFolder)>[\s\S]*?<\/t:\1>/g, (whole, tag: string) => {
    const source = data.folders[n++] ?? '';
    const dest = source ? folderPath(source) : undefined;
    const folder = dest ? index.byPathString(dest) : undefined;
    if (!folder) {
      missing ??= source || '(a folder outside the mailbox)';
      return whole;
    }
    return `<t:${tag}>${folderIdXml(folder.id)}</t:${tag}>`;
  });
  if (missing !== undefined) throw new NotFoundError(`${setting.label} moves or copies to "${missing}", which was not copied to the destination.`);
  xml = xml.replace(/(<t:EmailAddress>)([^<]*)(<\/t:EmailAddress>)/g, (whole, a: string, address: string, b: string) => {
    const original = unescapeXml(address);
    const mapped = mapAddress(original, rules);
    return mapped !== original ? `${a}${escapeXml(mapped)}${b}` : whole;
  });
  const name = /<t:DisplayName>([^<]*)<\/t:DisplayName>/.exec(xml)?.[1];
  const id = name !== undefined ? existing.get(unescapeXml(name)) : undefined;
  const operation = id
    ? `<t:SetRuleOperation>${xml.replace(/^<t:Rule>/, `<t:Rule><t:RuleId>${escapeXml(id)}</t:RuleId>`)}</t:SetRuleOperation>`
    : `<t:CreateRuleOperation>${xml}</t:CreateRuleOperation>`;
  const response = await ctx.transport.call(
    `<m:UpdateInboxRules><m:MailboxSmtpAddress>${escapeXml(ctx.mailbox)}</m:MailboxSmtpAddress><m:RemoveOutlookRuleBlob>true</m:RemoveOutlookRuleBlob>` +
      `<m:Operations>${operation}</m:Operations></m:UpdateInboxRules>`,
  );
  const root = response.root;
  if (attr(root, 'ResponseClass') === 'Error') {
    const errors = descendants(root, 'Error').map((e) => `${text(child(e, 'FieldURI')) ?? ''} ${text(child(e, 'ErrorMessage')) ?? ''}`.trim());
    throw new ItemRejectedError(`${setting.label}: the destination refused the rule (${text(child(root, 'ResponseCode')) ?? ''}: ${text(child(root, 'MessageText')) ?? ''}${errors.length ? `; ${errors.join('; ')}` : ''}).`);
  }
}

// ───────────── automatic replies ─────────────

async function exportOof(ctx: EwsContext): Promise<MailboxSetting[]> {
  const response = await ctx.transport.call(`<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>${escapeXml(ctx.mailbox)}</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>`);
  const root = single(ctx, response, 'Reading automatic replies');
  const settings = child(root, 'OofSettings');
  if (!settings) return [];
  const inner = elementChildren(settings).map(serialize).join('');
  return [{ type: 'oof', label: 'Automatic replies', data: { xml: inner } }];
}

async function importOof(ctx: EwsContext, setting: MailboxSetting): Promise<void> {
  const { xml } = setting.data as { xml: string };
  const response = await ctx.transport.call(
    `<m:SetUserOofSettingsRequest><t:Mailbox><t:Address>${escapeXml(ctx.mailbox)}</t:Address></t:Mailbox><t:UserOofSettings>${xml}</t:UserOofSettings></m:SetUserOofSettingsRequest>`,
  );
  single(ctx, response, 'Setting automatic replies');
}

// ───────────── folder permissions ─────────────

interface PermissionData {
  /** The `t:Permission` / `t:CalendarPermission` element, user included. */
  xml: string;
  calendar: boolean;
  /** PrimarySmtpAddress of the user, or the DistinguishedUser (Default, Anonymous). */
  user: string;
  distinguished: boolean;
}

async function exportPermissions(ctx: EwsContext, index: FolderIndex): Promise<MailboxSetting[]> {
  const folders = index.all();
  if (folders.length === 0) return [];
  const shape = '<m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:PermissionSet"/></t:AdditionalProperties></m:FolderShape>';
  const messages = await ctx.transport.callEach(folders, (part) => `<m:GetFolder>${shape}<m:FolderIds>${part.map((f) => folderIdXml(f.id)).join('')}</m:FolderIds></m:GetFolder>`);
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

async function importPermissions(
  ctx: EwsContext, index: FolderIndex, settings: MailboxSetting[], folderPath: (p: string) => string | undefined, rules: readonly RecipientMappingRule[],
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
        results.push({ setting, error: new ItemRejectedError(`${setting.label}: the destination cannot resolve the user ${mapped}${mapped !== data.user ? ` (mapped from ${data.user})` : ''}; add a RecipientMapping or create that user first.`) });
        continue;
      }
      xml = xml.replace(/<t:UserId>[\s\S]*?<\/t:UserId>/, `<t:UserId><t:PrimarySmtpAddress>${escapeXml(mapped)}</t:PrimarySmtpAddress></t:UserId>`);
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
    const error = m && m.responseClass === 'Error' ? new ItemRejectedError(`The destination refused the permissions (${m.code}: ${m.text}).`) : undefined;
    for (const e of entries) results.push(error ? { setting: e.setting, error } : { setting: e.setting });
  }
  return results;
}

async function resolves(ctx: EwsContext, address: string): Promise<boolean> {
  const response = await ctx.transport.call(`<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>SMTP:${escapeXml(address)}</m:UnresolvedEntry></m:ResolveNames>`);
  const m = response.messages[0];
  if (!m || m.code === 'ErrorNameResolutionNoResults') return false;
  return descendants(m.element, 'EmailAddress').some((e) => (text(e) ?? '').toLowerCase() === address.toLowerCase());
}
