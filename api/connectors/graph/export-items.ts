/**
 * readMessages for a Graph source: `exportItems` in batches of at most 20 ids (Graph's limit),
 * two batches in flight, results in the order asked. Each value is an item's opaque
 * full-fidelity stream (`graph-export`) or its own error, which becomes that item's error row.
 */
import type { ContentFormat, MessageRef, ReadOptions, SourceMessage } from '../../core/connector.js';
import { ItemRejectedError, MailferryError } from '../../core/errors.js';
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
    // Reading MIME needs the Outlook mail API (messages/{id}/$value), which this connector does not use yet.
    const error = new ItemRejectedError(
      `This destination takes ${options.formats.join(', ') || 'nothing'}; Mailferry reads Exchange Online over Microsoft Graph only as its export stream, ` +
        'which only an Exchange Online (Graph) destination imports. For an IMAP destination, switch the source endpoint to EWS while the tenant allows it.',
    );
    for (const ref of refs) yield { ref, error };
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
    return { ref, format: FORMAT, content: Buffer.from(value.data, 'base64') };
  });
}
