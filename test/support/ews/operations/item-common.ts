/** What the item operations share: resolving item ids, the render context, the size limit. */
import type { Mailbox, StoredFolder } from '../mailbox-store.js';
import { type RenderContext, type StoredItem, decodeItemId, itemElement, itemStorage, maxMessageBytes } from '../items.js';
import { EwsError, type EwsContext, errorMessage, openMailbox, resolveFolder, successMessage, versionAtLeast } from '../soap.js';
import { NS, type XmlElement, escapeXml } from '../xml.js';

export const NOT_FOUND = 'The specified object was not found in the store.';

/** Resolves a `t:ItemId` (or `t:RecurringMasterItemId`, answered with the master). */
export function resolveItem(ctx: EwsContext, idEl: XmlElement): { mbx: Mailbox; item: StoredItem } {
  if (idEl.local === 'OccurrenceItemId') {
    // The test server keeps exceptions but does not expand recurrences into numbered occurrences.
    throw new EwsError(
      'ErrorInvalidOperation',
      "The EWS test server does not address occurrences by InstanceIndex; use the exception's ItemId.",
    );
  }
  const id = idEl.local === 'RecurringMasterItemId' ? (idEl.attrs['OccurrenceId'] ?? '') : (idEl.attrs['Id'] ?? '');
  const decoded = decodeItemId(id);
  if (!decoded) throw new EwsError('ErrorInvalidIdMalformed', 'Id is malformed.');
  const mbx = openMailbox(ctx, decoded.smtp);
  let item = itemStorage(mbx).byId.get(id);
  if (!item) throw new EwsError('ErrorItemNotFound', NOT_FOUND);
  if (idEl.local === 'RecurringMasterItemId') {
    if (item.masterId) item = itemStorage(mbx).byId.get(item.masterId)!;
    else if (!item.fields.has('Recurrence')) throw new EwsError('ErrorItemNotFound', NOT_FOUND);
  }
  return { mbx, item };
}

/** The id elements of a NonEmptyArrayOfBaseItemIdsType, in document order. */
export function itemIdElements(container: XmlElement | undefined): XmlElement[] {
  return (container?.children ?? []).filter((c) => c.ns === NS.types);
}

export function renderContext(ctx: EwsContext, mbx: Mailbox, find: boolean): RenderContext {
  return { store: ctx.store, mbx, flagSupported: versionAtLeast(ctx, 'Exchange2013'), find };
}

export function itemIdXml(item: StoredItem, prefix = 't'): string {
  return `<${prefix}:ItemId Id="${escapeXml(item.id)}" ChangeKey="${escapeXml(item.changeKey)}"/>`;
}

/** `<t:Message><t:ItemId …/></t:Message>`: how CreateItem/UpdateItem name the item they touched. */
export function idOnlyXml(item: StoredItem): string {
  const element = itemElement(item);
  return `<t:${element}>${itemIdXml(item)}</t:${element}>`;
}

export function checkSize(ctx: EwsContext, size: number): void {
  if (size > maxMessageBytes(ctx.store)) {
    throw new EwsError('ErrorMessageSizeExceeded', 'The message exceeds the maximum supported size.');
  }
}

/** A folder of the caller's (or impersonated) mailbox by its distinguished name. */
export function distinguishedFolder(ctx: EwsContext, name: string): { mbx: Mailbox; folder: StoredFolder } {
  const el: XmlElement = {
    qname: 't:DistinguishedFolderId',
    local: 'DistinguishedFolderId',
    ns: NS.types,
    attrs: { Id: name },
    nsDecls: {},
    scope: {},
    children: [],
    text: '',
    start: 0,
    end: 0,
  };
  return resolveFolder(ctx, el);
}

/**
 * perMessage for responses of messages.xsd `ItemInfoResponseMessageType` (GetItem, CreateItem,
 * UpdateItem): their `m:Items` is required, so an error message carries an empty one, as
 * Exchange's do.
 */
/** Operations whose response messages are `ItemInfoResponseMessageType` (an error carries `<m:Items/>`). */
export const ITEM_INFO_OPERATIONS: ReadonlySet<string> = new Set([
  'GetItem',
  'CreateItem',
  'UpdateItem',
  'CopyItem',
  'MoveItem',
  'SendItem',
]);

/** An error response message with `<m:Items/>` where the operation's schema requires it. */
export function withRequiredItems(operation: string, message: string): string {
  if (!ITEM_INFO_OPERATIONS.has(operation)) return message;
  const close = `</m:${operation}ResponseMessage>`;
  return `${message.slice(0, message.length - close.length)}<m:Items/>${close}`;
}

export function perItemInfoMessage(operation: string, fn: () => string): string {
  try {
    return successMessage(operation, fn());
  } catch (err) {
    if (!(err instanceof EwsError)) throw err;
    return withRequiredItems(operation, errorMessage(operation, err));
  }
}
