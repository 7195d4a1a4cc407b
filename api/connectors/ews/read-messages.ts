/**
 * readMessages: the first format both sides can use. `ews-export` (ExportItems: any item type,
 * every property) when the destination takes it and this server has it (Exchange 2010 SP1+);
 * else `rfc822` (GetItem with MIME content): mail only, and any other item type is a per-item
 * error row, never a silent drop. Small items go in batches bounded by count and bytes, several
 * batches in flight, results in input order; an item at or over the large-item threshold travels
 * alone and is decoded from the response stream into a temp file (never a whole string).
 */
import type { ContentFormat, MessageRef, ReadOptions, SourceMessage } from '../../core/connector.js';
import { ItemRejectedError, MailferryError } from '../../core/errors.js';
import { type EwsContext, itemIdXml, supportsExport } from './context.js';
import { itemError } from './map-error.js';
import { extractBase64Element, spooledStream } from './stream-base64.js';
import type { ResponseMessage } from './transport.js';
import { child, elementChildren, parseXml, text } from './xml.js';

export type ReadResult = SourceMessage | { ref: MessageRef; error: Error };

/** Read batches fetched ahead of the one being yielded. */
const BATCHES_AHEAD = 2;

export function chooseFormat(ctx: EwsContext, formats: readonly ContentFormat[]): ContentFormat | undefined {
  for (const f of formats) {
    if (f === 'ews-export' && supportsExport(ctx)) return f;
    if (f === 'rfc822') return f;
  }
  return undefined;
}

/** Why an item cannot travel in `format`, or undefined when it can. */
function refusal(
  ref: MessageRef,
  format: ContentFormat | undefined,
  formats: readonly ContentFormat[],
  ctx: EwsContext,
): Error | undefined {
  if (format === 'ews-export') return undefined;
  if (format === 'rfc822') {
    if (ref.itemType === 'mail') return undefined;
    if (formats.includes('ews-export')) {
      return new ItemRejectedError(
        `${ref.itemType} items need ExportItems (Exchange 2010 SP1 or later); this source server (${describeVersion(ctx)}) only gives Internet messages, so they cannot be copied.`,
      );
    }
    if (formats.includes('graph-export')) {
      return new ItemRejectedError(
        `This ${ITEM_NOUN[ref.itemType]} cannot be copied: Exchange Online over Microsoft Graph takes items from Exchange on premises as MIME here ` +
          '(its import refused the EWS export stream, or the support option EwsStreamToGraph=never is set), and MIME carries mail only. ' +
          'Copy it with an Exchange Online endpoint on EWS while the tenant still allows it.',
      );
    }
    return new ItemRejectedError(
      `An IMAP destination holds only mail; ${ref.itemType} items cannot be copied (an Exchange destination older than 2010 SP1 takes mail only too: it has no UploadItems).`,
    );
  }
  return new ItemRejectedError(`The destination takes none of the formats this EWS source can produce (${formats.join(', ') || 'none'}).`);
}

/** An item of each type, in an admin's words. */
const ITEM_NOUN: Readonly<Record<MessageRef['itemType'], string>> = {
  mail: 'message',
  contacts: 'contact',
  calendar: 'calendar item',
  tasks: 'task',
  notes: 'note',
  journal: 'journal entry',
  rules: 'inbox rule',
  permissions: 'folder permission',
};

function describeVersion(ctx: EwsContext): string {
  const v = ctx.transport.serverVersion;
  return v ? `version ${v.major}.${v.minor}` : ctx.transport.envelope.version;
}

export async function* readMessages(
  ctx: EwsContext,
  refs: MessageRef[],
  options: ReadOptions = { formats: ['rfc822'] },
): AsyncGenerator<ReadResult> {
  const format = chooseFormat(ctx, options.formats);
  // Plan: per ref either an immediate error, a slot in a small batch, or a large single.
  type Job = { refs: MessageRef[]; large: boolean } | { error: ReadResult };
  const jobs: Job[] = [];
  let batch: MessageRef[] = [];
  let bytes = 0;
  const flush = () => {
    if (batch.length) jobs.push({ refs: batch, large: false });
    batch = [];
    bytes = 0;
  };
  for (const ref of refs) {
    const why = refusal(ref, format, options.formats, ctx);
    if (why) {
      flush();
      jobs.push({ error: { ref, error: why } });
      continue;
    }
    if (ref.size >= ctx.limits.largeItemBytes) {
      flush();
      jobs.push({ refs: [ref], large: true });
      continue;
    }
    if (batch.length >= ctx.limits.batchItems || (batch.length > 0 && bytes + ref.size > ctx.limits.batchBytes)) flush();
    batch.push(ref);
    bytes += ref.size;
  }
  flush();

  const run = (job: Job): Promise<ReadResult[]> => {
    if ('error' in job) return Promise.resolve([job.error]);
    return job.large ? readLarge(ctx, job.refs[0]!, format!) : readBatch(ctx, job.refs, format!);
  };
  const inFlight: Promise<ReadResult[]>[] = [];
  let next = 0;
  const fill = () => {
    while (next < jobs.length && inFlight.length < BATCHES_AHEAD) {
      const p = run(jobs[next++]!);
      p.catch(() => undefined); // awaited in order below
      inFlight.push(p);
    }
  };
  fill();
  while (inFlight.length) {
    const results = await inFlight.shift()!;
    fill();
    yield* results;
  }
}

function requestBody(format: ContentFormat, refs: MessageRef[]): string {
  const ids = refs.map((r) => itemIdXml(r.key)).join('');
  return format === 'ews-export'
    ? `<m:ExportItems><m:ItemIds>${ids}</m:ItemIds></m:ExportItems>`
    : '<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent>' +
        '<t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape>' +
        `<m:ItemIds>${ids}</m:ItemIds></m:GetItem>`;
}

async function readBatch(ctx: EwsContext, refs: MessageRef[], format: ContentFormat): Promise<ReadResult[]> {
  const messages = await ctx.transport.callEach(refs, (part) => requestBody(format, part));
  return refs.map((ref, i) => toResult(ref, messages[i]!, format));
}

function toResult(ref: MessageRef, message: ResponseMessage, format: ContentFormat): ReadResult {
  if (message.responseClass === 'Error') return { ref, error: itemError(message, 'Reading the item') };
  if (format === 'ews-export') {
    const data = message.payload ?? base64Of(child(message.element, 'Data'));
    if (data === undefined) return { ref, error: new MailferryError('internal', 'ExportItems returned no data for the item.') };
    return { ref, format, content: data };
  }
  const item = elementChildren(child(message.element, 'Items'))[0];
  const content = message.payload ?? base64Of(child(item, 'MimeContent'));
  if (content === undefined) return { ref, error: new ItemRejectedError('The server returned no MIME content for the item.') };
  const subject = text(child(item, 'Subject'));
  return { ref: { ...ref, size: content.length }, format, content, ...(subject !== undefined ? { subject } : {}) };
}

/** A small base64 element left in the document (large ones arrive as the message's payload). */
function base64Of(el: Element | undefined): Buffer | undefined {
  const value = text(el);
  return value === undefined ? undefined : Buffer.from(value, 'base64');
}

/** One large item: streamed from the response into a temp file, handed on as a stream of exactly its size. */
async function readLarge(ctx: EwsContext, ref: MessageRef, format: ContentFormat): Promise<ReadResult[]> {
  const response = await ctx.transport.open(ctx.transport.wrap(requestBody(format, [ref])));
  const extracted = await extractBase64Element(response, format === 'ews-export' ? ['Data'] : ['MimeContent']);
  if (!extracted.file) {
    const parsed = ctx.transport.parse(extracted.outside);
    const message = parsed.messages[0];
    if (message && message.responseClass === 'Error') return [{ ref, error: itemError(message, 'Reading the item') }];
    return [{ ref, error: new ItemRejectedError('The server returned no content for the item.') }];
  }
  const file = extracted.file;
  let subject: string | undefined;
  try {
    const rest = parseXml(extracted.outside.replace(/<\/(\w+:)?(MimeContent|Data)>/, ''));
    subject = rest.getElementsByTagNameNS('*', 'Subject')[0]?.textContent ?? undefined;
  } catch {
    subject = undefined;
  }
  return [
    {
      ref: { ...ref, size: extracted.bytes },
      format,
      content: () => spooledStream(file),
      ...(subject !== undefined ? { subject } : {}),
    },
  ];
}
