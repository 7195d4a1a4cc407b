/**
 * What every Graph operation file needs: the transport, the mailbox (its address and the id
 * Exchange gave it), and the paths of the mailbox import/export API.
 */
import type { GraphTransport } from './transport.js';

export interface GraphLimits {
  /** Items per exportItems request: Graph takes at most 20. */
  exportBatch: number;
  /**
   * ...and at most this many bytes of items by their listed size (one item alone may be larger):
   * an answer carries each item base64-encoded and is held whole until it is read, so twenty
   * 1 MB items would make a 27 MB answer.
   */
  exportBatchBytes: number;
  /** Items per page of a listing (`Prefer: odata.maxpagesize`). */
  pageSize: number;
  /** Renew an import session this long before it expires. */
  sessionMarginMs: number;
}

export const DEFAULT_GRAPH_LIMITS: GraphLimits = {
  exportBatch: 20,
  exportBatchBytes: 4 * 1024 * 1024,
  pageSize: 1000,
  sessionMarginMs: 5 * 60_000,
};

export interface GraphContext {
  transport: GraphTransport;
  /** The mailbox's SMTP address (the item's source or destination address). */
  mailbox: string;
  /** `MBX:…`, from users/{upn}/settings/exchange; never built by us. */
  mailboxId: string;
  limits: GraphLimits;
  now(): number;
}

/** `/v1.0/admin/exchange/mailboxes/{id}` + `rest`. */
export function mailboxPath(ctx: Pick<GraphContext, 'mailboxId'>, rest: string): string {
  return `/v1.0/admin/exchange/mailboxes/${encodeURIComponent(ctx.mailboxId)}${rest}`;
}
