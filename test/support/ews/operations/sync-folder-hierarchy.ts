/**
 * SyncFolderHierarchy (messages.xsd `SyncFolderHierarchyType`): the folders under SyncFolderId
 * (default: the whole mailbox below its root) created, changed (renamed, moved, class changed)
 * or deleted since a SyncState; all changes in one response, parents before children.
 * Item counts are not part of a folder's sync identity (count changes are not reported).
 *
 * SyncState is opaque to callers: base64 of `{"v":1,"r":<root id>,"k":[[id, digest], …]}`, the
 * folders the caller knows and what it knows of each.
 */
import type { Mailbox, StoredFolder } from '../mailbox-store.js';
import {
  EwsError,
  type EwsContext,
  folderIdElements,
  folderXml,
  perMessage,
  readFolderShape,
  resolveFolder,
  responseEnvelope,
} from '../soap.js';
import { NS, type XmlElement, child, escapeXml } from '../xml.js';
import { distinguishedFolder } from './item-common.js';

const STATE_VERSION = 1;

interface HierarchyState {
  v: number;
  r: string;
  k: [string, string][];
}

function digest(f: StoredFolder): string {
  return JSON.stringify([f.displayName, f.parentId, f.folderClass]);
}

function readState(raw: string | undefined, rootId: string): Map<string, string> {
  if (!raw) return new Map();
  try {
    const st = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as HierarchyState;
    if (st.v === STATE_VERSION && st.r === rootId && Array.isArray(st.k)) return new Map(st.k);
  } catch {
    // fall through
  }
  throw new EwsError('ErrorInvalidSyncStateData', 'Synchronization state data is corrupt or otherwise invalid.');
}

export function syncFolderHierarchy(req: XmlElement, ctx: EwsContext): string {
  const shape = readFolderShape(child(req, NS.messages, 'FolderShape'));
  const idEl = folderIdElements(child(req, NS.messages, 'SyncFolderId'))[0];
  const message = perMessage('SyncFolderHierarchy', () => {
    const { mbx, folder: root } = idEl ? resolveFolder(ctx, idEl) : distinguishedFolder(ctx, 'root');
    const known = readState(child(req, NS.messages, 'SyncState')?.text.trim(), root.id);
    const now: StoredFolder[] = ctx.store.descendantsOf(mbx as Mailbox, root.id);
    const changes: string[] = [];
    for (const f of now) {
      const was = known.get(f.id);
      if (was === digest(f)) continue;
      const kind = was === undefined ? 'Create' : 'Update';
      changes.push(`<t:${kind}>${folderXml(ctx, mbx, f, shape)}</t:${kind}>`);
    }
    const present = new Set(now.map((f) => f.id));
    for (const id of known.keys()) if (!present.has(id)) changes.push(`<t:Delete><t:FolderId Id="${escapeXml(id)}"/></t:Delete>`);
    const state: HierarchyState = { v: STATE_VERSION, r: root.id, k: now.map((f) => [f.id, digest(f)]) };
    return (
      `<m:SyncState>${Buffer.from(JSON.stringify(state), 'utf8').toString('base64')}</m:SyncState>` +
      `<m:IncludesLastFolderInRange>true</m:IncludesLastFolderInRange><m:Changes>${changes.join('')}</m:Changes>`
    );
  });
  return responseEnvelope('SyncFolderHierarchy', [message]);
}
