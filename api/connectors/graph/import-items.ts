/**
 * appendMessages for a Graph destination, one item per request (Graph's import takes one item per
 * POST), up to the transport's window (4) in flight, results as they finish:
 *  - `graph-export` (and, where the tenant takes it, `ews-export`): `importItem` through the
 *    mailbox's import session, full fidelity for every item type;
 *  - `rfc822`: beta `importMime`, the message as sent (headers, parts, attachments), stored as a
 *    received message, not a draft (v1.0's `POST messages` with MIME always makes a draft).
 * A refused item is a result with its error (an EWS export stream Exchange Online refuses: with
 * `formatRefused`, so the engine sends it again as MIME); a lost connection, throttling or a missing
 * permission throws (the engine retries or reports the job with the advice).
 */
import { buffer } from 'node:stream/consumers';
import type { AppendResult, ContentFormat, MessageRef, SourceMessage } from '../../core/connector.js';
import { ItemRejectedError, MailferryError, ensureError } from '../../core/errors.js';
import type { GraphContext } from './context.js';
import type { ImportSessions } from './import-session.js';
import { DELIVERY_TIME_PROPERTY } from './list-items.js';
import { GRAPH_PERMISSIONS } from './permissions.js';

/** Errors that belong to one item: its row in the error log; anything else stops the folder. */
const ITEM_ERRORS = new Set(['rejected', 'too-large', 'not-found']);

export interface ImportTarget {
  folderId: string;
  sessions: ImportSessions;
  /** Formats this destination imports through importItem. */
  streams: readonly ContentFormat[];
  /** Streams this mailbox refused, and why: later items in them are refused without a request. */
  refused: Map<ContentFormat, Error>;
}

export async function* appendMessages(
  ctx: GraphContext,
  target: ImportTarget,
  messages: AsyncIterable<SourceMessage>,
): AsyncGenerator<AppendResult> {
  // Results go out as imports finish, and the engine commits each before it asks for the next
  // (commitEachWrite): what a crash leaves uncertain is only what is in flight. Two items of the
  // same size are never in flight together, so crash recovery, which can pair by size alone (no
  // marker rides on a Graph import), never mistakes one for the other.
  const inFlight = new Map<number, { size: number; done: Promise<{ id: number; result: AppendResult }> }>();
  const limit = ctx.transport.window.size;
  let next = 0;
  const settleOne = async (): Promise<AppendResult> => {
    const { id, result } = await Promise.race([...inFlight.values()].map((f) => f.done));
    inFlight.delete(id);
    return result;
  };
  const sizeInFlight = (size: number) => [...inFlight.values()].some((f) => f.size === size);
  for await (const message of messages) {
    while (inFlight.size >= limit || sizeInFlight(message.ref.size)) yield await settleOne();
    const id = next++;
    const done = importOne(ctx, target, message).then((result) => ({ id, result }));
    done.catch(() => undefined); // raced above and below; a rejection surfaces there
    inFlight.set(id, { size: message.ref.size, done });
  }
  while (inFlight.size > 0) yield await settleOne();
}

async function importOne(ctx: GraphContext, target: ImportTarget, message: SourceMessage): Promise<AppendResult> {
  const format = message.format ?? 'rfc822';
  const refusal = target.refused.get(format);
  if (refusal) return { ref: message.ref, error: refusal, formatRefused: format };
  try {
    const content = Buffer.isBuffer(message.content) ? message.content : await buffer(await message.content());
    if (target.streams.includes(format)) {
      const answer = await target.sessions.importItem(
        importBody(target.folderId, content, format),
        `Importing an item into ${ctx.mailbox}`,
      );
      if (!answer.itemId) throw new MailferryError('internal', 'Microsoft Graph imported the item but named no item id.');
      return { ref: message.ref, destId: answer.itemId };
    }
    if (format === 'rfc822') {
      const imported = await importMime(ctx, target.folderId, content);
      await setMessageState(ctx, imported, message.ref);
      return { ref: message.ref, destId: imported.id };
    }
    return {
      ref: message.ref,
      error: new ItemRejectedError(`Exchange Online over Microsoft Graph cannot import an item in the ${format} format.`),
    };
  } catch (raw) {
    const error = ensureError(raw);
    if (format === 'ews-export' && error.code === 'rejected') {
      const refused = target.refused.get(format) ?? ewsStreamRefused(ctx, error);
      target.refused.set(format, refused);
      return { ref: message.ref, error: refused, formatRefused: format };
    }
    if (ITEM_ERRORS.has(error.code)) return { ref: message.ref, error };
    throw error;
  }
}

/**
 * `{"FolderId", "Mode": "create", "Data"}` as the parts to write: the stream's base64 between two
 * JSON fragments, never built into one JSON string or one buffer of the item (base64 needs no JSON
 * escaping). A `graph-export` item is base64 already (the text exportItems gave, checked there) and
 * goes as it is; an EWS export stream is encoded in 64 KiB strings.
 */
function importBody(folderId: string, content: Buffer, format: ContentFormat): (string | Buffer)[] {
  const head = JSON.stringify({ FolderId: folderId, Mode: 'create' }).slice(0, -1);
  return [`${head},"Data":"`, ...(format === 'graph-export' ? [content] : base64Parts(content)), '"}'];
}

/**
 * Exchange Online refused an on-premises EWS export stream (Microsoft has not said whether its
 * import takes one): the engine sends the item again as MIME, and the rest of the mailbox too.
 */
function ewsStreamRefused(ctx: GraphContext, error: Error): ItemRejectedError {
  return new ItemRejectedError(
    `Exchange Online (${ctx.mailbox}) refused the EWS export stream of Exchange on premises (${error.message.replace(/\.$/, '')}); ` +
      'mail goes as MIME instead, and items MIME cannot carry (calendar, contacts, tasks, notes) become error rows. ' +
      'The support option EwsStreamToGraph=never skips the attempt.',
    { cause: error },
  );
}

async function importMime(ctx: GraphContext, folderId: string, mime: Buffer): Promise<{ id: string; receivedDateTime?: string }> {
  const { body } = await ctx.transport.send<{ id?: string; isDraft?: boolean; receivedDateTime?: string }>({
    method: 'POST',
    url: `/beta/users/${encodeURIComponent(ctx.mailbox)}/mailFolders/${encodeURIComponent(folderId)}/importMime`,
    text: base64Parts(mime),
    action: `Importing a message (MIME) into ${ctx.mailbox}`,
    permission: GRAPH_PERMISSIONS.mime,
  });
  if (!body?.id) throw new MailferryError('internal', 'Microsoft Graph imported the message but named no id.');
  return { id: body.id, ...(body.receivedDateTime ? { receivedDateTime: body.receivedDateTime } : {}) };
}

const SECOND_MS = 1000;
/** Bytes encoded per part: a multiple of 3 (no padding inside), and its 64 KiB of text a small string V8 frees young. */
const BASE64_PART_BYTES = 48 * 1024;

/**
 * The message as base64 in parts of 64 KiB, written one after another: one string of the whole
 * message (a third larger than it) would sit in V8's large-object space, which only a full
 * collection frees.
 */
function base64Parts(bytes: Buffer): string[] {
  const parts: string[] = [];
  for (let at = 0; at < bytes.length; at += BASE64_PART_BYTES)
    parts.push(bytes.toString('base64', at, Math.min(bytes.length, at + BASE64_PART_BYTES)));
  return parts;
}

/**
 * What MIME does not carry, set on the imported message in one PATCH: read state, follow-up flag,
 * IMAP keywords as categories, and the source's internal date as the delivery time
 * (PR_MESSAGE_DELIVERY_TIME, `SystemTime 0x0E06`) when Exchange gave the message another one:
 * importMime takes the message alone, and Microsoft does not say where it takes the received time
 * from (our test server: the Date header). Setting that property after the import is
 * UNCONFIRMED on a real tenant (GRAPH.md: community practice sets it at creation).
 * The message is already imported, so a refusal here (Mail.ReadWrite not granted, say) must not
 * fail the item: it would be imported again. The endpoint check warns instead.
 */
async function setMessageState(ctx: GraphContext, imported: { id: string; receivedDateTime?: string }, ref: MessageRef): Promise<void> {
  const { flags, internalDate } = ref;
  const isRead = flags.includes('\\Seen');
  const flagged = flags.includes('\\Flagged');
  const categories = flags.filter((f) => !f.startsWith('\\') && !f.startsWith('$'));
  const received = Date.parse(imported.receivedDateTime ?? '');
  const redate = internalDate > 0 && Math.floor(received / SECOND_MS) !== Math.floor(internalDate / SECOND_MS);
  // An imported message is unread and unflagged already.
  if (!isRead && !flagged && categories.length === 0 && !redate) return;
  try {
    await ctx.transport.send({
      method: 'PATCH',
      url: `/v1.0/users/${encodeURIComponent(ctx.mailbox)}/messages/${encodeURIComponent(imported.id)}`,
      json: {
        ...(isRead ? { isRead } : {}),
        ...(flagged ? { flag: { flagStatus: 'flagged' } } : {}),
        ...(categories.length ? { categories } : {}),
        ...(redate ? { singleValueExtendedProperties: [{ id: DELIVERY_TIME_PROPERTY, value: new Date(internalDate).toISOString() }] } : {}),
      },
      idempotent: true,
      action: `Setting the read state and date of a message in ${ctx.mailbox}`,
      permission: GRAPH_PERMISSIONS.mailWrite,
    });
  } catch {
    // Kept as imported: see the doc comment.
  }
}
