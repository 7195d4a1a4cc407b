/**
 * readMessages for a Graph source: `exportItems` in batches of at most 20 ids (Graph's limit) and
 * 4 MB of items by listed size, the next batch asked for while the last megabyte of one is being taken, results in the order asked. Each value is an item's opaque
 * full-fidelity stream (`graph-export`, as the base64 text Graph gives and takes) or its own
 * error, which becomes that item's error row.
 */
import type { ContentFormat, MessageRef, ReadOptions, SourceMessage } from '../../core/connector.js';
import { ItemRejectedError, MailferryError, ensureError } from '../../core/errors.js';
import { type GraphContext, type GraphLimits, mailboxPath } from './context.js';
import { type ExportedValue, isAnswerError, scanExportAnswer } from './export-answer.js';
import { exportItemError } from './map-error.js';
import { GRAPH_PERMISSIONS } from './permissions.js';

export type ReadResult = SourceMessage | { ref: MessageRef; error: Error };

/**
 * The next exportItems batch is asked for once the items of the current one not yet taken by the
 * engine come to this many bytes or fewer: enough to hide the export's round trip behind the
 * imports still to go, while a destination that is throttled or has spent its budget window (the
 * engine's read-ahead full, nothing taken from here) does not make this side export, and hold, 20
 * more items it cannot write yet. Asking for it as soon as a batch arrived kept two batches (up to
 * megabytes) alive through every budget window, long enough to outlive V8's young-generation
 * collections.
 */
export const EXPORT_AHEAD_BYTES = 1024 * 1024;

const contentBytes = (result: ReadResult) => ('content' in result && Buffer.isBuffer(result.content) ? result.content.length : 0);

export async function* readMessages(
  ctx: GraphContext,
  refs: MessageRef[],
  options: ReadOptions = { formats: ['rfc822'] },
): AsyncGenerator<ReadResult> {
  if (!options.formats.includes('graph-export')) {
    yield* readMime(ctx, refs, options.formats);
    return;
  }
  const batches = exportBatches(refs, ctx.limits);
  let next = 0;
  let pending: Promise<ReadResult[]> | undefined;
  const askNext = () => {
    if (pending || next >= batches.length) return;
    pending = exportBatch(ctx, batches[next++]!);
    pending.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
  };
  askNext();
  while (pending) {
    const results: (ReadResult | undefined)[] = await pending;
    pending = undefined;
    let left = results.reduce((n, r) => n + contentBytes(r!), 0);
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      results[i] = undefined; // from here on only the engine holds it (its read-ahead is bounded by bytes)
      left -= contentBytes(result);
      if (left <= EXPORT_AHEAD_BYTES) askNext();
      yield result;
    }
    askNext();
  }
}

/** Consecutive refs, at most `exportBatch` of them and `exportBatchBytes` by listed size (a larger item alone), order kept. */
export function exportBatches(refs: readonly MessageRef[], limits: Pick<GraphLimits, 'exportBatch' | 'exportBatchBytes'>): MessageRef[][] {
  const batches: MessageRef[][] = [];
  let batch: MessageRef[] = [];
  let bytes = 0;
  for (const ref of refs) {
    if (batch.length >= limits.exportBatch || (batch.length > 0 && bytes + ref.size > limits.exportBatchBytes)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(ref);
    bytes += ref.size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

const FORMAT: ContentFormat = 'graph-export';

/**
 * For a destination that takes no Graph export stream (IMAP, Exchange over EWS): each mail item's MIME through
 * `users/{id}/messages/{id}/$value` (Mail.Read), up to 4 at once, in order. That the mailbox API's
 * item ids name the same messages there is what our test server does; Microsoft has not said so.
 * Calendar items, contacts, tasks and notes have no MIME: each is an error row saying so.
 */
async function* readMime(ctx: GraphContext, refs: MessageRef[], formats: readonly ContentFormat[]): AsyncGenerator<ReadResult> {
  if (!formats.includes('rfc822')) {
    const error = new ItemRejectedError(
      `The destination takes none of the formats Exchange Online over Graph gives (${formats.join(', ') || 'none'}).`,
    );
    for (const ref of refs) yield { ref, error };
    return;
  }
  const onlyMail = (itemType: string) =>
    formats.includes('ews-export')
      ? // An EWS destination (Exchange 2010 SP1 and later) imports its own export streams, and Microsoft documents Graph's only for import into Exchange Online.
        `An Exchange destination over EWS takes from Exchange Online over Graph only mail, as MIME (Graph's export stream imports only into Exchange Online); ${itemType} items cannot be copied there.`
      : `An IMAP destination holds only mail (an Exchange destination older than 2010 SP1 takes mail only too: it has no UploadItems); ${itemType} items cannot be copied there.`;
  const one = async (ref: MessageRef): Promise<ReadResult> => {
    if (ref.itemType !== 'mail') return { ref, error: new ItemRejectedError(onlyMail(ref.itemType)) };
    try {
      const { body } = await ctx.transport.send<Buffer>({
        method: 'GET',
        url: `/v1.0/users/${encodeURIComponent(ctx.mailbox)}/messages/${encodeURIComponent(ref.key)}/$value`,
        raw: true,
        action: `Reading a message of ${ctx.mailbox} as MIME`,
        permission: GRAPH_PERMISSIONS.mailWrite,
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
  const action = `Exporting ${refs.length} items from ${ctx.mailbox}`;
  const { body: answer } = await ctx.transport.send<Buffer>({
    method: 'POST',
    url: mailboxPath(ctx, '/exportItems'),
    json: { ItemIds: refs.map((r) => r.key) },
    idempotent: true,
    raw: true,
    action,
    permission: GRAPH_PERMISSIONS.export,
  });
  let values: ExportedValue[];
  try {
    values = scanExportAnswer(answer);
  } catch (error) {
    if (!isAnswerError(error)) throw error;
    throw new MailferryError(
      'internal',
      `${action}: Microsoft Graph sent an answer that is not an exportItems result (${(error as Error).message}).`,
    );
  }
  const byId = new Map(values.map((v) => [v.itemId, v]));
  return refs.map((ref, i): ReadResult => {
    const value = byId.get(ref.key) ?? values[i];
    if (!value)
      return { ref, error: new MailferryError('internal', `Microsoft Graph returned nothing for item ${i + 1} of an export batch.`) };
    if (value.error || value.data === undefined) return { ref, error: exportItemError(value.error ?? { code: 'ErrorNoData' }, ref.key) };
    return { ref, format: FORMAT, content: streamText(value.data) };
  });
}

/** Bytes of the base64 alphabet (padding apart): what may go into an import body between quotes as it is. */
const BASE64_BYTE = new Uint8Array(256);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_BYTE[ch.charCodeAt(0)] = 1;
const PAD = 0x3d; // '='

/** Whether the bytes are padded base64 as Graph writes it: the alphabet, then at most two '=' ending a length that is a multiple of 4. */
function isPaddedBase64(data: Buffer): boolean {
  if (data.length % 4 !== 0) return false;
  let end = data.length;
  if (end > 0 && data[end - 1] === PAD) end--;
  if (end > 0 && data[end - 1] === PAD) end--;
  for (let i = 0; i < end; i++) if (!BASE64_BYTE[data[i]!]) return false;
  return true;
}

/**
 * An item's `graph-export` content: its stream as the base64 text exportItems gave, copied out of
 * the answer (so the answer's bytes are dropped with its batch) and imported as it came. Decoding
 * it here and encoding it again for importItem cost the client a tenth of its CPU in an
 * Exchange Online → Exchange Online pass, and made two more copies of each item for the garbage
 * collector. Text that is not padded base64 (a server that wrapped or escaped it, or put '=' mid-text) is
 * decoded and encoded again, so nothing but well-formed base64 is ever written between an import
 * body's quotes.
 */
export function streamText(data: Buffer): Buffer {
  if (isPaddedBase64(data)) return Buffer.from(data);
  return Buffer.from(Buffer.from(data.toString('latin1'), 'base64').toString('base64'), 'latin1');
}
