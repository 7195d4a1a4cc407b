/**
 * ResolveNames (messages.xsd ResolveNamesType): resolves `m:UnresolvedEntry` against the
 * directory (every mailbox of the store, Groups mailboxes included) by prefix of the SMTP
 * address, its local part or the display name, case-insensitively. `SMTP:` in front means
 * "by SMTP address": `SMTP:` alone matches every mailbox, which is how migration tools list the
 * mailboxes an admin can reach ("Autodiscover items"), 100 at most per call.
 *
 * Answers as Exchange does: one match → Success; several → ResponseClass Warning with
 * ErrorNameResolutionMultipleResults and the ResolutionSet; none → Error
 * ErrorNameResolutionNoResults. A ResolutionSet holds at most 100 entries (types.xsd
 * ArrayOfResolutionType maxOccurs=100); IncludesLastItemInRange is false when more matched.
 * SearchScope Contacts looks only in the caller's contacts (the store keeps none here).
 */
import type { Mailbox } from '../mailbox-store.js';
import { NS, type XmlElement, child, escapeXml } from '../xml.js';
import { type EwsContext, responseEnvelope } from '../soap.js';

const MAX_RESOLUTIONS = 100;

function displayNameOf(m: Mailbox): string {
  if (m.displayName) return m.displayName;
  const local = m.smtp.split('@')[0]!;
  return local.charAt(0).toUpperCase() + local.slice(1);
}

function resolutionXml(m: Mailbox, fullContact: boolean): string {
  const name = escapeXml(displayNameOf(m));
  const type = m.kind === 'group' ? 'GroupMailbox' : 'Mailbox';
  const mailbox = `<t:Mailbox><t:Name>${name}</t:Name><t:EmailAddress>${escapeXml(m.smtp)}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>${type}</t:MailboxType></t:Mailbox>`;
  const contact = fullContact
    ? `<t:Contact><t:DisplayName>${name}</t:DisplayName><t:EmailAddresses><t:Entry Key="EmailAddress1">SMTP:${escapeXml(m.smtp)}</t:Entry></t:EmailAddresses>` +
      `<t:ContactSource>ActiveDirectory</t:ContactSource></t:Contact>`
    : '';
  return `<t:Resolution>${mailbox}${contact}</t:Resolution>`;
}

export function resolveNames(req: XmlElement, ctx: EwsContext): string {
  const raw = child(req, NS.messages, 'UnresolvedEntry')?.text.trim() ?? '';
  const scope = req.attrs['SearchScope'] ?? 'ActiveDirectoryContacts';
  const fullContact = req.attrs['ReturnFullContactData'] === 'true' || req.attrs['ReturnFullContactData'] === '1';
  const smtpOnly = /^smtp:/i.test(raw);
  const needle = (smtpOnly ? raw.slice('smtp:'.length) : raw).toLowerCase();
  const directory = scope === 'Contacts' ? [] : [...ctx.store.mailboxes.values()];
  const matches = directory
    .filter((m) => {
      if (m.smtp.startsWith(needle)) return true;
      if (smtpOnly) return false;
      return displayNameOf(m).toLowerCase().startsWith(needle);
    })
    .sort((a, b) => displayNameOf(a).localeCompare(displayNameOf(b)) || a.smtp.localeCompare(b.smtp));
  if (matches.length === 0) {
    return responseEnvelope('ResolveNames', [
      `<m:ResolveNamesResponseMessage ResponseClass="Error"><m:MessageText>No results were found.</m:MessageText>` +
        `<m:ResponseCode>ErrorNameResolutionNoResults</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:ResolveNamesResponseMessage>`,
    ]);
  }
  const page = matches.slice(0, MAX_RESOLUTIONS);
  const set =
    `<m:ResolutionSet TotalItemsInView="${page.length}" IncludesLastItemInRange="${page.length === matches.length}">` +
    `${page.map((m) => resolutionXml(m, fullContact)).join('')}</m:ResolutionSet>`;
  const head =
    matches.length === 1
      ? `<m:ResolveNamesResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>`
      : `<m:ResolveNamesResponseMessage ResponseClass="Warning"><m:MessageText>Multiple results were found.</m:MessageText>` +
        `<m:ResponseCode>ErrorNameResolutionMultipleResults</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>`;
  return responseEnvelope('ResolveNames', [`${head}${set}</m:ResolveNamesResponseMessage>`]);
}
