/**
 * DeleteItem (messages.xsd `DeleteItemType`): HardDelete and SoftDelete remove the item (the
 * test server keeps no recoverable-items dumpster), MoveToDeletedItems moves it to Deleted Items
 * with a new ItemId (an item already there is soft-deleted). Deleting an exception's ItemId
 * deletes that occurrence from its master's recurrence. Calendar items need
 * SendMeetingCancellations and tasks AffectedTaskOccurrences, as in Exchange.
 */
import { deleteOccurrence, itemElement, itemStorage, moveItem, removeItem } from '../items.js';
import { EwsError, type EwsContext, perMessage, responseEnvelope } from '../soap.js';
import { NS, type XmlElement, child } from '../xml.js';
import { itemIdElements, resolveItem } from './item-common.js';

export function deleteItem(req: XmlElement, ctx: EwsContext): string {
  const deleteType = req.attrs['DeleteType'];
  const messages = itemIdElements(child(req, NS.messages, 'ItemIds')).map((idEl) =>
    perMessage('DeleteItem', () => {
      const { mbx, item } = resolveItem(ctx, idEl);
      const element = itemElement(item);
      if (element === 'CalendarItem' && !req.attrs['SendMeetingCancellations']) {
        throw new EwsError('ErrorSendMeetingCancellationsRequired', 'SendMeetingCancellations attribute is required for calendar items.');
      }
      if (element === 'Task' && !req.attrs['AffectedTaskOccurrences']) {
        throw new EwsError('ErrorAffectedTaskOccurrencesRequired', 'AffectedTaskOccurrences attribute is required for task items.');
      }
      if (item.masterId) {
        const master = itemStorage(mbx).byId.get(item.masterId)!;
        master.exceptionIds = master.exceptionIds.filter((id) => id !== item.id);
        itemStorage(mbx).byId.delete(item.id);
        deleteOccurrence(ctx.store, mbx, master, item.originalStart!);
        return '';
      }
      const deleted = mbx.folders.get(mbx.byDistinguished.get('deleteditems') ?? '');
      if (deleteType === 'MoveToDeletedItems' && deleted && item.folderId !== deleted.id) {
        moveItem(ctx.store, mbx, item, deleted);
      } else removeItem(ctx.store, mbx, item);
      return '';
    }),
  );
  return responseEnvelope('DeleteItem', messages);
}
