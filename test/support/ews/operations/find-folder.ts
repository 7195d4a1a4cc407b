/**
 * FindFolder (messages.xsd `FindFolderType`): Shallow or Deep traversal under each parent,
 * `t:IndexedPageFolderView` paging (Offset from the Beginning or End, MaxEntriesReturned), and
 * the `t:IsEqualTo`/`t:Contains` restrictions on folder:DisplayName the connector uses.
 */
import type { StoredFolder } from '../mailbox-store.js';
import { NS, type XmlElement, child } from '../xml.js';
import {
  EwsError,
  type EwsContext,
  folderIdElements,
  folderXml,
  perMessage,
  readFolderShape,
  resolveFolder,
  responseEnvelope,
  versionAtLeast,
} from '../soap.js';

type Predicate = (f: StoredFolder) => boolean;

function restriction(el: XmlElement | undefined): Predicate {
  const expr = el?.children[0];
  if (!expr) return () => true;
  const field = child(expr, NS.types, 'FieldURI')?.attrs['FieldURI'];
  const constant =
    child(child(expr, NS.types, 'FieldURIOrConstant'), NS.types, 'Constant')?.attrs['Value'] ??
    child(expr, NS.types, 'Constant')?.attrs['Value'];
  if (field !== 'folder:DisplayName' || constant === undefined) {
    throw new EwsError(
      'ErrorInvalidRequest',
      `The EWS test server supports restrictions on folder:DisplayName only, not ${expr.local} on ${field}.`,
    );
  }
  if (expr.local === 'IsEqualTo') return (f) => f.displayName.toLowerCase() === constant.toLowerCase();
  if (expr.local === 'Contains') return (f) => f.displayName.toLowerCase().includes(constant.toLowerCase());
  throw new EwsError('ErrorInvalidRequest', `The EWS test server does not implement the ${expr.local} restriction.`);
}

export function findFolder(req: XmlElement, ctx: EwsContext): string {
  const traversal = req.attrs['Traversal'];
  const shape = readFolderShape(child(req, NS.messages, 'FolderShape'));
  const view = child(req, NS.messages, 'IndexedPageFolderView');
  const messages = folderIdElements(child(req, NS.messages, 'ParentFolderIds')).map((idEl) =>
    perMessage('FindFolder', () => {
      // SoftDeleted traversal arrived with Exchange 2010 SP1; the store keeps no soft-deleted folders.
      if (traversal === 'SoftDeleted' && !versionAtLeast(ctx, 'Exchange2010_SP1')) {
        throw new EwsError('ErrorInvalidRequest', 'SoftDeleted traversal requires Exchange2010_SP1 or later.');
      }
      if (child(req, NS.messages, 'FractionalPageFolderView')) {
        throw new EwsError('ErrorInvalidRequest', 'The EWS test server implements IndexedPageFolderView paging only.');
      }
      const { mbx, folder } = resolveFolder(ctx, idEl);
      const match = restriction(child(req, NS.messages, 'Restriction'));
      const all =
        traversal === 'Deep'
          ? ctx.store.descendantsOf(mbx, folder.id)
          : traversal === 'Shallow'
            ? ctx.store.childrenOf(mbx, folder.id)
            : [];
      const found = all.filter(match);
      const total = found.length;
      const max = view?.attrs['MaxEntriesReturned'] !== undefined ? Number(view.attrs['MaxEntriesReturned']) : total;
      const offset = Number(view?.attrs['Offset'] ?? 0);
      // BasePoint="End" counts the offset back from the last folder (types.xsd IndexBasePointType).
      const from = view?.attrs['BasePoint'] === 'End' ? Math.max(0, total - offset - max) : offset;
      const page = found.slice(from, Math.min(from + max, total));
      const next = from + page.length;
      return (
        `<m:RootFolder IndexedPagingOffset="${next}" TotalItemsInView="${total}" IncludesLastItemInRange="${next >= total}">` +
        `<t:Folders>${page.map((f) => folderXml(ctx, mbx, f, shape)).join('')}</t:Folders></m:RootFolder>`
      );
    }),
  );
  return responseEnvelope('FindFolder', messages);
}
