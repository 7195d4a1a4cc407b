/**
 * CreateItem (messages.xsd `CreateItemType`): every item of `m:Items` is created in
 * `m:SavedItemFolderId` (or the folder Exchange picks: Drafts for SaveOnly messages, Sent Items
 * for SendAndSaveCopy, Calendar/Contacts/Tasks for those types), one response message each, in
 * order. MessageDisposition is required for messages and SendMeetingInvitations for calendar
 * items, as in Exchange. Sending delivers nothing: SendOnly stores nothing, SendAndSaveCopy
 * stores the sent copy; both answer with empty `m:Items`, like Exchange.
 */
import { CREATABLE_ELEMENTS, ewsDateTime, insertItem, itemFromRequest, computeSize } from '../items.js';
import { EwsError, type EwsContext, folderIdElements, resolveFolder, responseEnvelope } from '../soap.js';
import { NS, type XmlElement, child } from '../xml.js';
import { checkSize, distinguishedFolder, idOnlyXml, perItemInfoMessage } from './item-common.js';

const DEFAULT_FOLDER: Record<string, string> = {
  Message: 'drafts',
  Item: 'drafts',
  PostItem: 'drafts',
  CalendarItem: 'calendar',
  Contact: 'contacts',
  DistributionList: 'contacts',
  Task: 'tasks',
};

export function createItem(req: XmlElement, ctx: EwsContext): string {
  const disposition = req.attrs['MessageDisposition'];
  const invitations = req.attrs['SendMeetingInvitations'];
  const savedEl = folderIdElements(child(req, NS.messages, 'SavedItemFolderId'))[0];
  const sending = disposition === 'SendOnly' || disposition === 'SendAndSaveCopy';
  const messages = (child(req, NS.messages, 'Items')?.children ?? []).map((el) =>
    perItemInfoMessage('CreateItem', () => {
      if (!CREATABLE_ELEMENTS.has(el.local)) {
        throw new EwsError('ErrorInvalidRequest', `The EWS test server does not create ${el.local} items.`);
      }
      if (el.local === 'Message' && !disposition) {
        throw new EwsError('ErrorMessageDispositionRequired', 'MessageDisposition attribute is required.');
      }
      if (el.local === 'CalendarItem' && !invitations) {
        throw new EwsError('ErrorSendMeetingInvitationsRequired', 'SendMeetingInvitations attribute is required for calendar items.');
      }
      const target =
        savedEl && disposition !== 'SendOnly'
          ? resolveFolder(ctx, savedEl)
          : distinguishedFolder(ctx, sending ? 'sentitems' : DEFAULT_FOLDER[el.local]!);
      const item = itemFromRequest(el, target.mbx.smtp, { draft: !sending });
      if (sending) {
        item.isDraft = false;
        item.sent ??= ewsDateTime(Date.now());
      }
      checkSize(ctx, computeSize(item));
      if (disposition === 'SendOnly' && el.local === 'Message') return '<m:Items/>';
      const stored = insertItem(ctx.store, target.mbx, target.folder, item);
      return sending && el.local === 'Message' ? '<m:Items/>' : `<m:Items>${idOnlyXml(stored)}</m:Items>`;
    }),
  );
  return responseEnvelope('CreateItem', messages);
}
