/**
 * Inbox rules between two EWS mailboxes (GetInboxRules / UpdateInboxRules): move/copy targets
 * re-pointed to the destination's copy of the folder, addresses mapped by RecipientMapping, a rule
 * copied again replacing its earlier copy. Client-side (Outlook-only) rules are not exposed by EWS.
 */
import type { MailboxSetting } from '../../core/connector.js';
import { ItemRejectedError, NotFoundError } from '../../core/errors.js';
import type { RecipientMappingRule } from '../../core/support-options.js';
import { mapAddress } from '../../core/recipient-mapping.js';
import { type EwsContext, folderIdXml } from './context.js';
import type { FolderIndex } from './ensure-folder.js';
import { singleResponse } from './soap-response.js';
import { attr, child, children, descendants, escapeXml, text, unescapeXml, serialize } from './xml.js';

interface RuleData {
  xml: string;
  /** Source folder paths named by MoveToFolder / CopyToFolder, in document order. */
  folders: string[];
}

export async function exportRules(ctx: EwsContext, index: FolderIndex): Promise<MailboxSetting[]> {
  const response = await ctx.transport.call(
    `<m:GetInboxRules><m:MailboxSmtpAddress>${escapeXml(ctx.mailbox)}</m:MailboxSmtpAddress></m:GetInboxRules>`,
  );
  const root = singleResponse(response, ctx.mailbox, 'Reading inbox rules');
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
export async function destinationRuleIds(ctx: EwsContext): Promise<Map<string, string>> {
  const response = await ctx.transport.call(
    `<m:GetInboxRules><m:MailboxSmtpAddress>${escapeXml(ctx.mailbox)}</m:MailboxSmtpAddress></m:GetInboxRules>`,
  );
  const root = singleResponse(response, ctx.mailbox, 'Reading inbox rules');
  const ids = new Map<string, string>();
  for (const rule of children(child(root, 'InboxRules'), 'Rule')) {
    const id = text(child(rule, 'RuleId'));
    if (id) ids.set(text(child(rule, 'DisplayName')) ?? '', id);
  }
  return ids;
}

export async function importRule(
  ctx: EwsContext,
  index: FolderIndex,
  setting: MailboxSetting,
  folderPath: (p: string) => string | undefined,
  rules: readonly RecipientMappingRule[],
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
  if (missing !== undefined)
    throw new NotFoundError(`${setting.label} moves or copies to "${missing}", which was not copied to the destination.`);
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
    const errors = descendants(root, 'Error').map((e) =>
      `${text(child(e, 'FieldURI')) ?? ''} ${text(child(e, 'ErrorMessage')) ?? ''}`.trim(),
    );
    throw new ItemRejectedError(
      `${setting.label}: the destination refused the rule (${text(child(root, 'ResponseCode')) ?? ''}: ${text(child(root, 'MessageText')) ?? ''}${errors.length ? `; ${errors.join('; ')}` : ''}).`,
    );
  }
}
