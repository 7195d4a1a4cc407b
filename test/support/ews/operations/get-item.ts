/**
 * GetItem (messages.xsd `GetItemType`): one `GetItemResponseMessage` per requested id, in order
 * (a missing one answers ErrorItemNotFound, the others still succeed), each item in its
 * ItemClass's element with the properties the `m:ItemShape` asks for, in schema order.
 */
import { itemXml, readItemShape } from '../items.js';
import { type EwsContext, responseEnvelope } from '../soap.js';
import { NS, type XmlElement, child } from '../xml.js';
import { itemIdElements, renderContext, resolveItem, perItemInfoMessage } from './item-common.js';

export function getItem(req: XmlElement, ctx: EwsContext): string {
  const shape = readItemShape(child(req, NS.messages, 'ItemShape'));
  const messages = itemIdElements(child(req, NS.messages, 'ItemIds')).map((idEl) =>
    perItemInfoMessage('GetItem', () => {
      const { mbx, item } = resolveItem(ctx, idEl);
      return `<m:Items>${itemXml(renderContext(ctx, mbx, false), item, shape)}</m:Items>`;
    }),
  );
  return responseEnvelope('GetItem', messages);
}
