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
import type { AppendResult, ContentFormat, SourceMessage } from '../../core/connector.js';
import { ItemRejectedError, MailferryError, ensureError } from '../../core/errors.js';
import type { GraphContext } from './context.js';
import { exportedBase64 } from './export-items.js';
import type { ImportSessions } from './import-session.js';
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

export async function* appendMessages(ctx: GraphContext, target: ImportTarget, messages: AsyncIterable<SourceMessage>): AsyncGenerator<AppendResult> {
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
      const answer = await target.sessions.importItem(importBody(target.folderId, content), `Importing an item into ${ctx.mailbox}`);
      if (!answer.itemId) throw new MailferryError('internal', 'Microsoft Graph imported the item but named no item id.');
      return { ref: message.ref, destId: answer.itemId };
    }
    if (format === 'rfc822') {
      const destId = await importMime(ctx, target.folderId, content);
      await setMessageState(ctx, destId, message.ref.flags);
      return { ref: message.ref, destId };
    }
    return { ref: message.ref, error: new ItemRejectedError(`Exchange Online over Microsoft Graph cannot import an item in the ${format} format.`) };
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
 * `{"FolderId", "Mode": "create", "Data"}` as bytes, the stream's base64 written once: not built as
 * a string and encoded again by fetch (two more copies of every item in flight). Base64 needs no
 * JSON escaping.
 */
function importBody(folderId: string, content: Buffer): Buffer {
  const head = JSON.stringify({ FolderId: folderId, Mode: 'create' }).slice(0, -1);
  return Buffer.concat([Buffer.from(`${head},"Data":"`), Buffer.from(exportedBase64(content) ?? content.toString('base64'), 'latin1'), Buffer.from('"}')]);
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

async function importMime(ctx: GraphContext, folderId: string, mime: Buffer): Promise<string> {
  const { body } = await ctx.transport.send<{ id?: string; isDraft?: boolean }>({
    method: 'POST', url: `/beta/users/${encodeURIComponent(ctx.mailbox)}/mailFolders/${encodeURIComponent(folderId)}/importMime`,
    text: mime.toString('base64'), action: `Importing a message (MIME) into ${ctx.mailbox}`, permission: GRAPH_PERMISSIONS.mime,
  });
  if (!body?.id) throw new MailferryError('internal', 'Microsoft Graph imported the message but named no id.');
  return body.id;
}

/**
 * What MIME does not carry, set on the imported message: read state, follow-up flag, and IMAP
 * keywords as categories. The message is already imported, so a refusal here (Mail.ReadWrite not
 * granted, say) must not fail the item: it would be imported again. The endpoint check warns instead.
 */
async function setMessageState(ctx: GraphContext, messageId: string, flags: readonly string[]): Promise<void> {
  const isRead = flags.includes('\\Seen');
  const flagged = flags.includes('\\Flagged');
  const categories = flags.filter((f) => !f.startsWith('\\') && !f.startsWith('$'));
  if (!isRead && !flagged && categories.length === 0) return; // an imported message is unread and unflagged already
  try {
    await ctx.transport.send({
      method: 'PATCH', url: `/v1.0/users/${encodeURIComponent(ctx.mailbox)}/messages/${encodeURIComponent(messageId)}`,
      json: { isRead, ...(flagged ? { flag: { flagStatus: 'flagged' } } : {}), ...(categories.length ? { categories } : {}) },
      idempotent: true, action: `Setting the read state of a message in ${ctx.mailbox}`, permission: GRAPH_PERMISSIONS.mailWrite,
    });
  } catch {
    // Kept as imported (unread, unflagged): see the doc comment.
  }
}
