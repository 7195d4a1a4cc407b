/**
 * appendMessages for a Graph destination, one item per request (Graph's import takes one item per
 * POST), up to the transport's window (4) in flight, results in input order:
 *  - `graph-export` (and, where the tenant takes it, `ews-export`): `importItem` through the
 *    mailbox's import session, full fidelity for every item type;
 *  - `rfc822`: beta `importMime`, the message as sent (headers, parts, attachments), stored as a
 *    received message, not a draft (v1.0's `POST messages` with MIME always makes a draft).
 * A refused item is a result with its error; a lost connection, throttling or a missing
 * permission throws (the engine retries or reports the job with the advice).
 */
import { buffer } from 'node:stream/consumers';
import type { AppendResult, ContentFormat, SourceMessage } from '../../core/connector.js';
import { ItemRejectedError, MailferryError, ensureError } from '../../core/errors.js';
import type { GraphContext } from './context.js';
import type { ImportSessions } from './import-session.js';
import { GRAPH_PERMISSIONS } from './permissions.js';

/** Errors that belong to one item: its row in the error log; anything else stops the folder. */
const ITEM_ERRORS = new Set(['rejected', 'too-large', 'not-found']);

export interface ImportTarget {
  folderId: string;
  sessions: ImportSessions;
  /** Formats this destination imports through importItem. */
  streams: readonly ContentFormat[];
}

export async function* appendMessages(ctx: GraphContext, target: ImportTarget, messages: AsyncIterable<SourceMessage>): AsyncGenerator<AppendResult> {
  const inFlight: Promise<AppendResult>[] = [];
  const limit = ctx.transport.window.size;
  for await (const message of messages) {
    const written = importOne(ctx, target, message);
    written.catch(() => undefined); // awaited in order below
    inFlight.push(written);
    while (inFlight.length >= limit) yield await inFlight.shift()!;
  }
  while (inFlight.length > 0) yield await inFlight.shift()!;
}

async function importOne(ctx: GraphContext, target: ImportTarget, message: SourceMessage): Promise<AppendResult> {
  const format = message.format ?? 'rfc822';
  try {
    const content = Buffer.isBuffer(message.content) ? message.content : await buffer(await message.content());
    if (target.streams.includes(format)) {
      const answer = await target.sessions.importItem(
        { FolderId: target.folderId, Mode: 'create', Data: content.toString('base64') },
        `Importing an item into ${ctx.mailbox}`,
      );
      if (!answer.itemId) throw new MailferryError('internal', 'Microsoft Graph imported the item but named no item id.');
      return { ref: message.ref, destId: answer.itemId };
    }
    if (format === 'rfc822') return { ref: message.ref, destId: await importMime(ctx, target.folderId, content) };
    return { ref: message.ref, error: new ItemRejectedError(`Exchange Online over Microsoft Graph cannot import an item in the ${format} format.`) };
  } catch (raw) {
    const error = ensureError(raw);
    if (ITEM_ERRORS.has(error.code)) return { ref: message.ref, error };
    throw error;
  }
}

async function importMime(ctx: GraphContext, folderId: string, mime: Buffer): Promise<string> {
  const { body } = await ctx.transport.send<{ id?: string; isDraft?: boolean }>({
    method: 'POST', url: `/beta/users/${encodeURIComponent(ctx.mailbox)}/mailFolders/${encodeURIComponent(folderId)}/importMime`,
    text: mime.toString('base64'), action: `Importing a message (MIME) into ${ctx.mailbox}`, permission: GRAPH_PERMISSIONS.mime,
  });
  if (!body?.id) throw new MailferryError('internal', 'Microsoft Graph imported the message but named no id.');
  return body.id;
}
