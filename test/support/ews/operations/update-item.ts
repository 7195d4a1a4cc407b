/**
 * UpdateItem (messages.xsd `UpdateItemType`): SetItemField / DeleteItemField / AppendToItemField
 * on any stored property (FieldURI), dictionary entry (IndexedFieldURI) or extended property
 * (ExtendedFieldURI). ConflictResolution NeverOverwrite refuses a stale ChangeKey
 * (ErrorIrresolvableConflict); AutoResolve and AlwaysOverwrite apply the change. Messages need
 * MessageDisposition and calendar items SendMeetingInvitationsOrCancellations, as in Exchange.
 * Changing only IsRead is a read-flag change for SyncFolderItems; anything else an update.
 */
import { type StoredItem, applyElement, deleteExtended, fieldUriToElement, itemElement, readExtendedUri, touchItem } from '../items.js';
import { EwsError, type EwsContext, responseEnvelope } from '../soap.js';
import { NS, type XmlElement, child } from '../xml.js';
import { checkSize, idOnlyXml, resolveItem, perItemInfoMessage } from './item-common.js';
import { computeSize } from '../items.js';

const INDEXED_ELEMENT: Record<string, string> = {
  'contacts:EmailAddress': 'EmailAddresses',
  'contacts:PhoneNumber': 'PhoneNumbers',
  'contacts:ImAddress': 'ImAddresses',
};

function indexedElement(uri: string): string {
  return INDEXED_ELEMENT[uri] ?? (uri.startsWith('contacts:PhysicalAddress') ? 'PhysicalAddresses' : fieldUriToElement(uri));
}

function applyChange(item: StoredItem, change: XmlElement): boolean {
  const path = change.children[0]!;
  const itemEl = change.children[1];
  const readOnly = path.local === 'FieldURI' && path.attrs['FieldURI'] === 'message:IsRead';
  if (change.local === 'DeleteItemField') {
    if (path.local === 'ExtendedFieldURI') deleteExtended(item, readExtendedUri(path));
    else if (path.local === 'IndexedFieldURI') {
      const node = item.fields.get(indexedElement(path.attrs['FieldURI']!));
      if (node?.c) node.c = node.c.filter((e) => e.a?.['Key'] !== path.attrs['FieldIndex']);
      if (node && node.c?.length === 0) item.fields.delete(node.n);
    } else {
      const name = fieldUriToElement(path.attrs['FieldURI']!);
      if (name === 'Flag') delete item.flag;
      else item.fields.delete(name);
    }
    return readOnly;
  }
  const props = itemEl?.children ?? [];
  if (change.local === 'AppendToItemField') {
    for (const p of props) {
      const existing = item.fields.get(p.local);
      if (!existing) applyElement(item, p);
      else if (existing.c) {
        const before = existing.c;
        applyElement(item, p);
        item.fields.get(p.local)!.c = [...before, ...(item.fields.get(p.local)!.c ?? [])];
      } else if (p.local === 'Body') existing.t = (existing.t ?? '') + p.text;
      else throw new EwsError('ErrorInvalidPropertyAppend', `The property ${p.local} cannot be appended to.`);
    }
    return false;
  }
  // SetItemField: an indexed path carries a dictionary with the one entry to set.
  if (path.local === 'IndexedFieldURI') {
    for (const p of props) {
      const existing = item.fields.get(p.local);
      const before = (existing?.c ?? []).filter((e) => e.a?.['Key'] !== path.attrs['FieldIndex']);
      applyElement(item, p);
      const node = item.fields.get(p.local)!;
      node.c = [...before, ...(node.c ?? [])];
    }
    return false;
  }
  for (const p of props) applyElement(item, p);
  return readOnly;
}

export function updateItem(req: XmlElement, ctx: EwsContext): string {
  const conflict = req.attrs['ConflictResolution'];
  const disposition = req.attrs['MessageDisposition'];
  const invitations = req.attrs['SendMeetingInvitationsOrCancellations'];
  const changes = child(req, NS.messages, 'ItemChanges')?.children ?? [];
  const messages = changes.map((change) =>
    perItemInfoMessage('UpdateItem', () => {
      const idEl = change.children[0]!;
      const { mbx, item } = resolveItem(ctx, idEl);
      const element = itemElement(item);
      if (element === 'Message' && !disposition)
        throw new EwsError('ErrorMessageDispositionRequired', 'MessageDisposition attribute is required.');
      if (element === 'CalendarItem' && !invitations) {
        throw new EwsError(
          'ErrorSendMeetingInvitationsOrCancellationsRequired',
          'SendMeetingInvitationsOrCancellations attribute is required for calendar items.',
        );
      }
      const changeKey = idEl.attrs['ChangeKey'];
      if (conflict === 'NeverOverwrite' && changeKey && changeKey !== item.changeKey) {
        throw new EwsError(
          'ErrorIrresolvableConflict',
          'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
        );
      }
      // Work on a copy, so a refused change (too large) leaves the item as it was.
      const draft: StoredItem = {
        ...item,
        fields: new Map([...item.fields].map(([k, v]) => [k, structuredClone(v)])),
        extended: [...item.extended],
      };
      let readOnly = true;
      for (const c of child(change, NS.types, 'Updates')?.children ?? []) readOnly = applyChange(draft, c) && readOnly;
      checkSize(ctx, computeSize(draft));
      Object.assign(item, draft);
      touchItem(ctx.store, mbx, item, readOnly);
      return `<m:Items>${idOnlyXml(item)}</m:Items><m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>`;
    }),
  );
  return responseEnvelope('UpdateItem', messages);
}
