/**
 * readMessages for a Graph source: `exportItems` in batches of at most 20 ids (Graph's limit),
 * two batches in flight, results in the order asked. Each value is an item's opaque
 * full-fidelity stream (`graph-export`) or its own error, which becomes that item's error row.
 */
import type { ContentFormat, MessageRef, ReadOptions, SourceMessage } from '../../core/connector.js';
import { ItemRejectedError, MailferryError, ensureError } from '../../core/errors.js';
import { type GraphContext, mailboxPath } from './context.js';
import { exportItemError } from './map-error.js';
import { GRAPH_PERMISSIONS } from './permissions.js';

export type ReadResult = SourceMessage | { ref: MessageRef; error: Error };

interface ExportedItem {
  itemId?: string;
  changeKey?: string;
  data?: string;
  error?: { code?: string; message?: string };
}

/** Batches asked for ahead of the one being yielded: enough to hide a round trip, small for RSS. */
const BATCHES_AHEAD = 2;

export async function* readMessages(ctx: GraphContext, refs: MessageRef[], options: ReadOptions = { formats: ['rfc822'] }): AsyncGenerator<ReadResult> {
  if (!options.formats.includes('graph-export')) {
    yield* readMime(ctx, refs, options.formats);
    return;
  }
  const batches: MessageRef[][] = [];
  for (let i = 0; i < refs.length; i += ctx.limits.exportBatch) batches.push(refs.slice(i, i + ctx.limits.exportBatch));
  const inFlight: Promise<ReadResult[]>[] = [];
  let next = 0;
  const fill = () => {
    while (inFlight.length < BATCHES_AHEAD && next < batches.length) {
      const promise = exportBatch(ctx, batches[next++]!);
      promise.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
      inFlight.push(promise);
    }
  };
  fill();
  while (inFlight.length > 0) {
    const results = await inFlight.shift()!;
    fill();
    yield* results;
  }
}

const FORMAT: ContentFormat = 'graph-export';

/**
 * The base64 text each exported stream arrived as, kept beside its bytes while they live: an
 * import into Exchange Online sends that very text again, so it is not encoded a second time
 * (a copy of every item's size and the CPU to make it, in a pass that is bound by CPU).
 */
const arrivedAs = new WeakMap<Buffer, string>();

/** The base64 text `content` was exported as, if it came from exportItems. */
export function exportedBase64(content: Buffer): string | undefined {
  return arrivedAs.get(content);
}

/**
 * For a destination that takes Internet messages only (IMAP): each mail item's MIME through
 * `users/{id}/messages/{id}/$value` (Mail.Read), up to 4 at once, in order. That the mailbox API's
 * item ids name the same messages there is what our test server does; Microsoft has not said so.
 * Calendar items, contacts, tasks and notes have no MIME: each is an error row saying so.
 */
async function* readMime(ctx: GraphContext, refs: MessageRef[], formats: readonly ContentFormat[]): AsyncGenerator<ReadResult> {
  if (!formats.includes('rfc822')) {
    const error = new ItemRejectedError(`The destination takes none of the formats Exchange Online over Graph gives (${formats.join(', ') || 'none'}).`);
    for (const ref of refs) yield { ref, error };
    return;
  }
  const one = async (ref: MessageRef): Promise<ReadResult> => {
    if (ref.itemType !== 'mail') {
      return { ref, error: new ItemRejectedError(`An IMAP destination holds only mail; ${ref.itemType} items cannot be copied there.`) };
    }
    try {
      const { body } = await ctx.transport.send<Buffer>({
        method: 'GET', url: `/v1.0/users/${encodeURIComponent(ctx.mailbox)}/messages/${encodeURIComponent(ref.key)}/$value`, raw: true,
        action: `Reading a message of ${ctx.mailbox} as MIME`, permission: GRAPH_PERMISSIONS.mailWrite,
      });
      return { ref, format: 'rfc822', content: body };
    } catch (raw) {
      const error = ensureError(raw);
      if (error.code === 'rejected' || error.code === 'not-found') return { ref, error };
      throw error;
    }
  };
  for (let i = 0; i < refs.length; i += ctx.transport.window.size) {
    yield* await Promise.all(refs.slice(i, i + ctx.transport.window.size).map(one));
  }
}

async function exportBatch(ctx: GraphContext, refs: MessageRef[]): Promise<ReadResult[]> {
  const { body } = await ctx.transport.send<{ value?: ExportedItem[] }>({
    method: 'POST', url: mailboxPath(ctx, '/exportItems'), json: { ItemIds: refs.map((r) => r.key) }, idempotent: true,
    action: `Exporting ${refs.length} items from ${ctx.mailbox}`, permission: GRAPH_PERMISSIONS.export,
  });
  const byId = new Map((body?.value ?? []).map((v) => [v.itemId, v]));
  return refs.map((ref, i): ReadResult => {
    const value = byId.get(ref.key) ?? body?.value?.[i];
    if (!value) return { ref, error: new MailferryError('internal', `Microsoft Graph returned nothing for item ${i + 1} of an export batch.`) };
    if (value.error || value.data === undefined) return { ref, error: exportItemError(value.error ?? { code: 'ErrorNoData' }, ref.key) };
    const content = Buffer.from(value.data, 'base64');
    arrivedAs.set(content, value.data);
    return { ref, format: FORMAT, content };
  });
}
