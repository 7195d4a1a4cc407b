/**
 * ExportItems (messages.xsd `ExportItemsType`, Exchange 2010 SP1 and later): one response
 * message per id with the item's id and an opaque `m:Data` blob that carries every stored field
 * (items.ts `exportItem`: base64 of a versioned JSON, exceptions of a recurring master included).
 * An older RequestServerVersion is refused per message with ErrorInvalidServerVersion (see the
 * module note in items-operations docs: real Exchange may answer with a SOAP fault instead).
 */
import { exportItem } from '../items.js';
import { EwsError, type EwsContext, perMessage, responseEnvelope, versionAtLeast } from '../soap.js';
import { NS, type XmlElement, child } from '../xml.js';
import { itemIdElements, itemIdXml, resolveItem } from './item-common.js';

export const EXPORT_MIN_VERSION = 'Exchange2010_SP1';

export function exportItems(req: XmlElement, ctx: EwsContext): string {
  const messages = itemIdElements(child(req, NS.messages, 'ItemIds')).map((idEl) =>
    perMessage('ExportItems', () => {
      if (!versionAtLeast(ctx, EXPORT_MIN_VERSION)) {
        throw new EwsError('ErrorInvalidServerVersion', `ExportItems requires RequestServerVersion ${EXPORT_MIN_VERSION} or later.`);
      }
      const { mbx, item } = resolveItem(ctx, idEl);
      return `${itemIdXml(item, 'm')}<m:Data>${exportItem(mbx, item)}</m:Data>`;
    }),
  );
  return responseEnvelope('ExportItems', messages);
}
