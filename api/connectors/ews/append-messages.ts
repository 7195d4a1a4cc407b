/**
 * appendMessages: `ews-export` items through UploadItems (CreateNew), `rfc822` through CreateItem
 * (SaveOnly) with the MIME content plus what MIME loses as MAPI properties (delivery time, read
 * state, follow-up flag; keywords as categories). Every write carries the marker (item-props.ts):
 * CreateItem sets it in the same request; UploadItems cannot, so an UpdateItem follows at once.
 * Batches by count and bytes, several in flight, results in input order; large items go alone
 * with a streamed base64 body. Per-item refusals are results; a lost connection throws.
 */
import { buffer } from 'node:stream/consumers';
import type { AppendResult, ContentFormat, SourceMessage } from '../../core/connector.js';
import { ItemRejectedError, MailferryError } from '../../core/errors.js';
import type { RecipientMappingRule } from '../../core/support-options.js';
import { type EwsContext, folderIdXml, itemIdXml, supportsExport } from './context.js';
import {
  DELIVERY_TIME_URI,
  FLAG_STATUS_FLAGGED,
  FLAG_STATUS_URI,
  MARKER_URI,
  MESSAGE_FLAGS_URI,
  MSGFLAG_READ,
  extendedProperty,
} from './item-props.js';
import { itemError } from './map-error.js';
import { remapCalendarAttendees } from './recipients.js';
import { base64Chunks } from './stream-base64.js';
import { isBusy, type ResponseMessage } from './transport.js';
import { ENVELOPE_TAIL, attr, child, elementChildren, escapeXml } from './xml.js';

const BATCHES_IN_FLIGHT = 4;

export interface AppendOptions {
  recipientMappings: readonly RecipientMappingRule[];
}

interface Written {
  message: SourceMessage;
  id?: string;
  error?: Error;
}

export async function* appendMessages(
  ctx: EwsContext,
  folderId: string,
  messages: AsyncIterable<SourceMessage>,
  options: AppendOptions,
): AsyncGenerator<AppendResult> {
  const queue: Promise<Written[]>[] = [];
  let batch: SourceMessage[] = [];
  let batchFormat: ContentFormat | undefined;
  let bytes = 0;
  const start = (items: SourceMessage[]) => {
    const p = writeBatch(ctx, folderId, items, options);
    p.catch(() => undefined);
    queue.push(p);
  };
  const flush = () => {
    if (batch.length) start(batch);
    batch = [];
    bytes = 0;
    batchFormat = undefined;
  };
  const drain = async function* (max: number): AsyncGenerator<AppendResult> {
    while (queue.length > max) {
      for (const w of await queue.shift()!) yield toResult(w);
    }
  };
  for await (const incoming of messages) {
    const format = incoming.format ?? 'rfc822';
    // A source streams what it considers large (IMAP: over 256 KB); below our own streaming
    // threshold it is read at once and batched, so a few medium messages do not break every
    // batch into single-item requests (and the source's connection is not held behind them).
    const message =
      !Buffer.isBuffer(incoming.content) && incoming.ref.size < ctx.limits.largeItemBytes
        ? { ...incoming, content: await buffer(await incoming.content()) }
        : incoming;
    if (!Buffer.isBuffer(message.content)) {
      flush();
      start([message]);
    } else {
      const size = message.content.length;
      if (batch.length && (batchFormat !== format || batch.length >= ctx.limits.batchItems || bytes + size > ctx.limits.batchBytes))
        flush();
      batch.push(message);
      batchFormat = format;
      bytes += size;
      if (batch.length >= ctx.limits.batchItems || bytes >= ctx.limits.batchBytes) flush();
    }
    yield* drain(BATCHES_IN_FLIGHT);
  }
  flush();
  yield* drain(0);
}

function toResult(w: Written): AppendResult {
  return w.error ? { ref: w.message.ref, error: w.error } : { ref: w.message.ref, destId: w.id };
}

async function writeBatch(ctx: EwsContext, folderId: string, items: SourceMessage[], options: AppendOptions): Promise<Written[]> {
  const format = items[0]!.format ?? 'rfc822';
  if (format === 'ews-export' && !supportsExport(ctx)) {
    return items.map((message) => ({
      message,
      error: new ItemRejectedError(
        'This destination server has no UploadItems (Exchange 2010 SP1 or later), so exported items cannot be written.',
      ),
    }));
  }
  let messages: ResponseMessage[];
  if (items.length === 1 && !Buffer.isBuffer(items[0]!.content)) {
    messages = [await sendStreamed(ctx, folderId, items[0]!)];
  } else {
    messages = await ctx.transport.callEach(items, (part) =>
      format === 'ews-export' ? uploadBody(folderId, part) : createBody(folderId, part),
    );
  }
  const written: Written[] = items.map((message, i) => {
    const m = messages[i]!;
    if (m.responseClass === 'Error') return { message, error: itemError(m, 'Writing the item', message.ref.size) };
    const id =
      format === 'ews-export'
        ? attr(child(m.element, 'ItemId'), 'Id')
        : attr(child(elementChildren(child(m.element, 'Items'))[0], 'ItemId'), 'Id');
    return id
      ? { message, id }
      : { message, error: new MailferryError('internal', 'The server confirmed the write but named no item id.') };
  });
  if (format === 'ews-export') {
    const done = written.filter((w) => w.id);
    await markUploaded(ctx, done);
    const calendar = done.filter((w) => w.message.ref.itemType === 'calendar').map((w) => w.id!);
    if (calendar.length && options.recipientMappings.length) {
      try {
        await remapCalendarAttendees(ctx, calendar, options.recipientMappings);
      } catch {
        // The items are written; attendees keep their source addresses (reported nowhere else to put it).
      }
    }
  }
  return written;
}

/** The properties MIME loses, and the marker, for a CreateItem from MIME. */
function mimeProperties(message: SourceMessage): string {
  const { ref } = message;
  const seen = ref.flags.includes('\\Seen');
  const flagged = ref.flags.includes('\\Flagged');
  const categories = ref.flags.filter((f) => !f.startsWith('\\') && f.trim() !== '');
  const cats = categories.length
    ? `<t:Categories>${categories.map((c) => `<t:String>${escapeXml(c)}</t:String>`).join('')}</t:Categories>`
    : '';
  const props = [
    extendedProperty(DELIVERY_TIME_URI, new Date(ref.internalDate || Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z')),
    extendedProperty(MESSAGE_FLAGS_URI, String(seen ? MSGFLAG_READ : 0)),
    ...(flagged ? [extendedProperty(FLAG_STATUS_URI, String(FLAG_STATUS_FLAGGED))] : []),
    extendedProperty(MARKER_URI, ref.key),
  ];
  return `${cats}${props.join('')}`;
}

const CREATE_OPEN = (folderId: string) =>
  `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId>${folderIdXml(folderId)}</m:SavedItemFolderId><m:Items>`;
const CREATE_CLOSE = '</m:Items></m:CreateItem>';

/** Produced item by item while the request is sent: a batch's base64 never sits in one string. */
function createBody(folderId: string, items: SourceMessage[]): () => Iterable<string> {
  return function* () {
    yield CREATE_OPEN(folderId);
    for (const m of items)
      yield `<t:Message><t:MimeContent CharacterSet="UTF-8">${(m.content as Buffer).toString('base64')}</t:MimeContent>${mimeProperties(m)}</t:Message>`;
    yield CREATE_CLOSE;
  };
}

const UPLOAD_OPEN = '<m:UploadItems><m:Items>';
const UPLOAD_CLOSE = '</m:Items></m:UploadItems>';
const uploadItemOpen = (folderId: string) => `<t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${escapeXml(folderId)}"/><t:Data>`;
const UPLOAD_ITEM_CLOSE = '</t:Data></t:Item>';

function uploadBody(folderId: string, items: SourceMessage[]): () => Iterable<string> {
  return function* () {
    yield UPLOAD_OPEN;
    for (const m of items) yield uploadItemOpen(folderId) + (m.content as Buffer).toString('base64') + UPLOAD_ITEM_CLOSE;
    yield UPLOAD_CLOSE;
  };
}

/**
 * One large item, its base64 produced while the request is sent. Retried (re-read) while the
 * server says busy, waiting as the transport waits for any request: on its clock, ended by a
 * cancelled job, a back-off past the inline ceiling or the last attempt thrown as ThrottledError.
 */
async function sendStreamed(ctx: EwsContext, folderId: string, message: SourceMessage): Promise<ResponseMessage> {
  const format = message.format ?? 'rfc822';
  const head = ctx.transport.wrap('').slice(0, -ENVELOPE_TAIL.length);
  const [open, close] =
    format === 'ews-export'
      ? [UPLOAD_OPEN + uploadItemOpen(folderId), UPLOAD_ITEM_CLOSE + UPLOAD_CLOSE]
      : [
          `${CREATE_OPEN(folderId)}<t:Message><t:MimeContent CharacterSet="UTF-8">`,
          `</t:MimeContent>${mimeProperties(message)}</t:Message>${CREATE_CLOSE}`,
        ];
  const content = message.content as () => Promise<NodeJS.ReadableStream>;
  for (let attempt = 0; ; attempt++) {
    const body = async function* (): AsyncGenerator<string> {
      yield head + open;
      yield* base64Chunks((await content()) as AsyncIterable<Buffer>);
      yield close + ENVELOPE_TAIL;
    };
    const response = await ctx.transport.send(body);
    const m = response.messages[0];
    if (!m) throw new MailferryError('internal', 'The server sent no response message for the item.');
    if (!isBusy(m)) return m;
    await ctx.transport.waitOutBusy(ctx.transport.busyWaitMs(m), attempt);
  }
}

/** UploadItems cannot carry properties: the marker follows in one UpdateItem per batch. */
async function markUploaded(ctx: EwsContext, written: Written[]): Promise<void> {
  const element = (w: Written) =>
    (({ mail: 'Message', calendar: 'CalendarItem', contacts: 'Contact', tasks: 'Task' }) as Record<string, string>)[
      w.message.ref.itemType
    ] ?? 'Item';
  await setMarkers(
    ctx,
    written.map((w) => ({ id: w.id!, sourceKey: w.message.ref.key, element: element(w) })),
  );
}

/** Sets the marker on items already written (after UploadItems, or when crash recovery paired them). */
export async function setMarkers(ctx: EwsContext, items: { id: string; sourceKey: string; element: string }[]): Promise<void> {
  if (items.length === 0) return;
  const change = (w: { id: string; sourceKey: string; element: string }) =>
    `<t:ItemChange>${itemIdXml(w.id)}<t:Updates><t:SetItemField>${MARKER_URI}<t:${w.element}>${extendedProperty(MARKER_URI, w.sourceKey)}</t:${w.element}></t:SetItemField></t:Updates></t:ItemChange>`;
  await ctx.transport.callEach(
    items,
    (part) =>
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly" SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges>${part.map(change).join('')}</m:ItemChanges></m:UpdateItem>`,
  );
}
