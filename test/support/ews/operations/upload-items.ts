/**
 * UploadItems (messages.xsd `UploadItemsType`, Exchange 2010 SP1 and later): each `t:Item`
 * recreates an exported item from its `t:Data` in `t:ParentFolderId`. CreateAction CreateNew
 * always makes a new item (new ItemId); Update overwrites the item named by `t:ItemId` (which
 * must exist); UpdateOrCreate updates it when it exists, else creates. `IsAssociated` makes it a
 * folder-associated item. The size limit applies as in CreateItem. Data that is not an export
 * of this server is refused with ErrorInvalidRequest.
 */
import { computeSize, decodeExport, insertImported, replaceContent } from '../items.js';
import { EwsError, type EwsContext, perMessage, resolveFolder, responseEnvelope, versionAtLeast } from '../soap.js';
import { NS, type XmlElement, child } from '../xml.js';
import { EXPORT_MIN_VERSION } from './export-items.js';
import { checkSize, itemIdXml, resolveItem } from './item-common.js';

export function uploadItems(req: XmlElement, ctx: EwsContext): string {
  const messages = (child(req, NS.messages, 'Items')?.children ?? []).map((up) =>
    perMessage('UploadItems', () => {
      if (!versionAtLeast(ctx, EXPORT_MIN_VERSION)) {
        throw new EwsError('ErrorInvalidServerVersion', `UploadItems requires RequestServerVersion ${EXPORT_MIN_VERSION} or later.`);
      }
      const action = up.attrs['CreateAction'];
      const imported = decodeExport(child(up, NS.types, 'Data')?.text.trim() ?? '');
      if (!imported) throw new EwsError('ErrorInvalidRequest', 'The uploaded data is not an exported item.');
      const associated = up.attrs['IsAssociated'];
      if (associated !== undefined) imported.item.isAssociated = associated === 'true' || associated === '1';
      checkSize(ctx, computeSize(imported.item));
      const { mbx, folder } = resolveFolder(ctx, child(up, NS.types, 'ParentFolderId')!);
      const idEl = child(up, NS.types, 'ItemId');
      if (action === 'Update' || action === 'UpdateOrCreate') {
        let existing: ReturnType<typeof resolveItem> | undefined;
        try {
          existing = idEl ? resolveItem(ctx, idEl) : undefined;
        } catch (err) {
          if (!(err instanceof EwsError) || err.code !== 'ErrorItemNotFound' || action === 'Update') throw err;
        }
        if (!existing && action === 'Update') throw new EwsError('ErrorItemNotFound', 'The specified object was not found in the store.');
        if (existing) {
          replaceContent(ctx.store, existing.mbx, existing.item, imported);
          return itemIdXml(existing.item, 'm');
        }
      }
      const created = insertImported(ctx.store, mbx, folder, imported);
      return itemIdXml(created, 'm');
    }),
  );
  return responseEnvelope('UploadItems', messages);
}
