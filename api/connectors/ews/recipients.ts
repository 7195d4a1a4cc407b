/**
 * RecipientMapping for typed items. The engine rewrites MIME headers itself for `rfc822`; an
 * `ews-export` blob is opaque, so after UploadItems we fix what EWS lets us change: a calendar
 * item's attendees (required, optional, resources). The organizer is read-only in EWS once an
 * item exists, so it keeps the source address (documented in the docs/endpoints.md section of this
 * connector); mail items in the export keep their original From/To as sent.
 */
import { mapAddress } from '../../core/recipient-mapping.js';
import type { RecipientMappingRule } from '../../core/support-options.js';
import { type EwsContext, itemIdXml } from './context.js';
import { child, children, elementChildren, escapeXml, serialize, text } from './xml.js';

const ATTENDEE_FIELDS = ['RequiredAttendees', 'OptionalAttendees', 'Resources'] as const;

/** Rewrites the attendees of the calendar items `ids` when a rule applies; returns how many items changed. */
export async function remapCalendarAttendees(ctx: EwsContext, ids: string[], rules: readonly RecipientMappingRule[]): Promise<number> {
  if (rules.length === 0 || ids.length === 0) return 0;
  const shape =
    '<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>' +
    ATTENDEE_FIELDS.map((f) => `<t:FieldURI FieldURI="calendar:${f}"/>`).join('') +
    '</t:AdditionalProperties></m:ItemShape>';
  const got = await ctx.transport.callEach(
    ids,
    (part) => `<m:GetItem>${shape}<m:ItemIds>${part.map(itemIdXml).join('')}</m:ItemIds></m:GetItem>`,
  );
  const changes: string[] = [];
  got.forEach((message, i) => {
    if (message.responseClass === 'Error') return;
    const item = elementChildren(child(message.element, 'Items'))[0];
    const updates: string[] = [];
    for (const field of ATTENDEE_FIELDS) {
      const attendees = children(child(item, field), 'Attendee');
      let changed = false;
      const rewritten = attendees.map((a) => {
        const mailbox = child(a, 'Mailbox');
        const email = text(child(mailbox, 'EmailAddress')) ?? '';
        const mapped = mapAddress(email.trim(), rules);
        if (mapped !== email.trim()) changed = true;
        // Only the address changes: the mailbox's other fields and the attendee's response
        // (ResponseType, LastResponseTime, proposed times) are written back as they were.
        const mailboxXml = elementChildren(mailbox)
          .map((e) => (e.localName === 'EmailAddress' ? `<t:EmailAddress>${escapeXml(mapped)}</t:EmailAddress>` : serialize(e)))
          .join('');
        const rest = elementChildren(a)
          .filter((e) => e.localName !== 'Mailbox')
          .map(serialize)
          .join('');
        return `<t:Attendee><t:Mailbox>${mailboxXml}</t:Mailbox>${rest}</t:Attendee>`;
      });
      if (changed) {
        updates.push(
          `<t:SetItemField><t:FieldURI FieldURI="calendar:${field}"/><t:CalendarItem><t:${field}>${rewritten.join('')}</t:${field}></t:CalendarItem></t:SetItemField>`,
        );
      }
    }
    if (updates.length) changes.push(`<t:ItemChange>${itemIdXml(ids[i]!)}<t:Updates>${updates.join('')}</t:Updates></t:ItemChange>`);
  });
  if (changes.length === 0) return 0;
  await ctx.transport.callEach(
    changes,
    (part) =>
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly" SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges>${part.join('')}</m:ItemChanges></m:UpdateItem>`,
  );
  return changes.length;
}
