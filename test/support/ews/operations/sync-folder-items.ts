/**
 * SyncFolderItems (messages.xsd `SyncFolderItemsType`): the changes in one folder since a
 * SyncState, at most MaxChangesReturned (≤ 512, the schema's and Exchange's cap) per call, oldest
 * change first; IncludesLastItemInRange=false while more are pending. No SyncState = everything
 * in the folder as Create. Several changes to one item collapse into the latest: Create if the
 * caller never saw it, Update if its content changed, ReadFlagChange if only IsRead did. A Delete
 * is reported for items that left the folder (deleted or moved) after the caller saw them.
 *
 * SyncState is opaque to callers: base64 of `{"v":1,"f":<folder id>,"w":<watermark>,"s":<scope>}`,
 * the watermark being the mailbox-wide change counter up to which the caller is in sync.
 */
import { type StoredItem, itemStorage, itemXml, readItemShape } from '../items.js';
import { EwsError, type EwsContext, folderIdElements, perMessage, resolveFolder, responseEnvelope } from '../soap.js';
import { NS, type XmlElement, child, escapeXml } from '../xml.js';
import { itemIdXml, renderContext } from './item-common.js';

const STATE_VERSION = 1;

interface SyncState {
  v: number;
  f: string;
  w: number;
  s: string;
}

function readState(raw: string | undefined, folderId: string, scope: string): number {
  if (!raw) return 0;
  try {
    const st = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as SyncState;
    if (st.v === STATE_VERSION && st.f === folderId && st.s === scope && Number.isInteger(st.w)) return st.w;
  } catch {
    // fall through
  }
  throw new EwsError('ErrorInvalidSyncStateData', 'Synchronization state data is corrupt or otherwise invalid.');
}

function writeState(folderId: string, w: number, scope: string): string {
  return Buffer.from(JSON.stringify({ v: STATE_VERSION, f: folderId, w, s: scope } satisfies SyncState), 'utf8').toString('base64');
}

type Change =
  | { seq: number; kind: 'Create' | 'Update' | 'ReadFlagChange'; item: StoredItem }
  | { seq: number; kind: 'Delete'; itemId: string };

export function syncFolderItems(req: XmlElement, ctx: EwsContext): string {
  const shape = readItemShape(child(req, NS.messages, 'ItemShape'));
  const idEl = folderIdElements(child(req, NS.messages, 'SyncFolderId'))[0]!;
  const max = Number(child(req, NS.messages, 'MaxChangesReturned')?.text.trim());
  const scope = child(req, NS.messages, 'SyncScope')?.text.trim() ?? 'NormalItems';
  const ignore = new Set((child(req, NS.messages, 'Ignore')?.children ?? []).map((i) => i.attrs['Id']));
  const message = perMessage('SyncFolderItems', () => {
    const { mbx, folder } = resolveFolder(ctx, idEl);
    const w = readState(child(req, NS.messages, 'SyncState')?.text.trim(), folder.id, scope);
    const storage = itemStorage(mbx);
    const withAssociated = scope === 'NormalAndAssociatedItems';
    const changes: Change[] = [];
    for (const id of storage.byFolder.get(folder.id) ?? []) {
      const item = storage.byId.get(id)!;
      if (item.isAssociated && !withAssociated) continue;
      const last = Math.max(item.seqContent, item.seqRead);
      if (last <= w) continue;
      const kind = item.seqCreated > w ? 'Create' : item.seqContent > w ? 'Update' : 'ReadFlagChange';
      changes.push({ seq: last, kind, item });
    }
    for (const t of storage.tombstones) {
      if (t.folderId === folder.id && t.seq > w && t.seqCreated <= w && (!t.isAssociated || withAssociated)) {
        changes.push({ seq: t.seq, kind: 'Delete', itemId: t.itemId });
      }
    }
    changes.sort((a, b) => a.seq - b.seq);
    const batch = changes.slice(0, max);
    const watermark = batch.length === changes.length ? storage.changeSeq : batch[batch.length - 1]!.seq;
    const rc = renderContext(ctx, mbx, true);
    const xml = batch
      .filter((c) => !ignore.has(c.kind === 'Delete' ? c.itemId : c.item.id))
      .map((c) => {
        if (c.kind === 'Delete') return `<t:Delete><t:ItemId Id="${escapeXml(c.itemId)}"/></t:Delete>`;
        if (c.kind === 'ReadFlagChange')
          return `<t:ReadFlagChange>${itemIdXml(c.item)}<t:IsRead>${c.item.isRead}</t:IsRead></t:ReadFlagChange>`;
        return `<t:${c.kind}>${itemXml(rc, c.item, shape)}</t:${c.kind}>`;
      })
      .join('');
    return (
      `<m:SyncState>${writeState(folder.id, watermark, scope)}</m:SyncState>` +
      `<m:IncludesLastItemInRange>${batch.length === changes.length}</m:IncludesLastItemInRange><m:Changes>${xml}</m:Changes>`
    );
  });
  return responseEnvelope('SyncFolderItems', [message]);
}
