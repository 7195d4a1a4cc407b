/** Automatic replies between two EWS mailboxes (Get/SetUserOofSettings). */
import type { MailboxSetting } from '../../core/connector.js';
import type { EwsContext } from './context.js';
import { singleResponse } from './soap-response.js';
import { child, elementChildren, escapeXml, serialize } from './xml.js';

export async function exportOof(ctx: EwsContext): Promise<MailboxSetting[]> {
  const response = await ctx.transport.call(
    `<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>${escapeXml(ctx.mailbox)}</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>`,
  );
  const root = singleResponse(response, ctx.mailbox, 'Reading automatic replies');
  const settings = child(root, 'OofSettings');
  if (!settings) return [];
  const inner = elementChildren(settings).map(serialize).join('');
  return [{ type: 'oof', label: 'Automatic replies', data: { xml: inner } }];
}

export async function importOof(ctx: EwsContext, setting: MailboxSetting): Promise<void> {
  const { xml } = setting.data as { xml: string };
  const response = await ctx.transport.call(
    `<m:SetUserOofSettingsRequest><t:Mailbox><t:Address>${escapeXml(ctx.mailbox)}</t:Address></t:Mailbox><t:UserOofSettings>${xml}</t:UserOofSettings></m:SetUserOofSettingsRequest>`,
  );
  singleResponse(response, ctx.mailbox, 'Setting automatic replies');
}
