/**
 * Reads source messages in the caller's order: small ones in batched
 * `UID FETCH set (UID BODY.PEEK[])`, large ones as lazy streams fetched in partial chunks
 * (RFC 3501 §6.4.5 `BODY[]<origin.octets>`) on a second connection, so a 40 MB message never
 * sits whole in memory and a download does not block the next batch.
 */
import type { Readable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import type { FolderInfo, MessageRef, SourceMessage } from '../../core/connector.js';
import { NotFoundError, type MailferryError } from '../../core/errors.js';
import { toSequenceSet } from './list-messages.js';

export interface ReadOptions {
  /** Messages above this many bytes are streamed instead of fetched whole. */
  largeMessageBytes: number;
  /** A batch holds at most this many bytes... */
  batchMaxBytes: number;
  /** ...and at most this many messages. */
  batchMaxCount: number;
  /** Bytes per partial FETCH while streaming a large message. */
  streamChunkBytes: number;
}

// Sized by `npm run bench` to keep a whole pass under 150 MB RSS without losing throughput:
// 8 MB batches and 1 MB stream thresholds peaked at 175–190 MB for the same rate.
export const DEFAULT_READ_OPTIONS: ReadOptions = {
  largeMessageBytes: 256 * 1024,
  batchMaxBytes: 2 * 1024 * 1024,
  batchMaxCount: 200,
  streamChunkBytes: 256 * 1024,
};

export type ReadResult = SourceMessage | { ref: MessageRef; error: Error };

/** Opens the folder read-only on the streaming connection and returns it. */
export type StreamingClient = (folder: FolderInfo) => Promise<ImapFlow>;

export async function* readMessages(
  client: ImapFlow,
  streaming: StreamingClient,
  folder: FolderInfo,
  refs: MessageRef[],
  mapError: (err: unknown) => MailferryError,
  options: ReadOptions = DEFAULT_READ_OPTIONS,
): AsyncGenerator<ReadResult> {
  if (refs.length === 0) return;
  await client.mailboxOpen(folder.path, { readOnly: true });
  for (const group of plan(refs, options)) {
    if (group.kind === 'large') {
      yield { ref: group.ref, content: () => openStream(streaming, folder, group.ref, options) };
      continue;
    }
    // The whole batch is collected before yielding: imapflow runs one command at a time, so a
    // consumer calling back into the session while a FETCH is mid-iteration would deadlock.
    yield* await fetchBatch(client, folder, group.refs, mapError);
  }
}

type Group = { kind: 'large'; ref: MessageRef } | { kind: 'batch'; refs: MessageRef[] };

/** Consecutive small refs form a batch bounded by count and bytes; order is kept. */
function plan(refs: MessageRef[], options: ReadOptions): Group[] {
  const groups: Group[] = [];
  let batch: MessageRef[] = [];
  let batchBytes = 0;
  const flush = (): void => {
    if (batch.length) groups.push({ kind: 'batch', refs: batch });
    batch = [];
    batchBytes = 0;
  };
  for (const ref of refs) {
    if (ref.size > options.largeMessageBytes) {
      flush();
      groups.push({ kind: 'large', ref });
      continue;
    }
    if (batch.length >= options.batchMaxCount || (batch.length > 0 && batchBytes + ref.size > options.batchMaxBytes)) flush();
    batch.push(ref);
    batchBytes += ref.size;
  }
  flush();
  return groups;
}

async function fetchBatch(
  client: ImapFlow,
  folder: FolderInfo,
  refs: MessageRef[],
  mapError: (err: unknown) => MailferryError,
): Promise<ReadResult[]> {
  const sources = new Map<number, Buffer>();
  const subjects = new Map<number, string | undefined>();
  let batchError: Error | undefined;
  try {
    const uids = refs.map((r) => r.uid).sort((a, b) => a - b);
    for await (const msg of client.fetch(toSequenceSet(uids), { uid: true, source: true, envelope: true }, { uid: true })) {
      if (msg.source) sources.set(msg.uid, msg.source);
      subjects.set(msg.uid, msg.envelope?.subject);
    }
  } catch (err) {
    // A failed batch fails its items, not the read: each comes back with the reason. A lost
    // connection is different: nothing more can be read, so it is thrown.
    const mapped = mapError(err);
    if (mapped.code === 'connection' || mapped.code === 'throttled') throw mapped;
    batchError = mapped;
  }
  return refs.map((ref) => {
    const source = sources.get(ref.uid);
    if (source) return { ref, content: source, subject: subjects.get(ref.uid) };
    return {
      ref,
      error:
        batchError ??
        new NotFoundError(`Message UID ${ref.uid} is no longer in "${folder.path}" (deleted since it was listed).`),
    };
  });
}

async function openStream(streaming: StreamingClient, folder: FolderInfo, ref: MessageRef, options: ReadOptions): Promise<Readable> {
  const client = await streaming(folder);
  const download = await client.download(String(ref.uid), undefined, { uid: true, chunkSize: options.streamChunkBytes });
  if (!('content' in download) || !download.content) {
    throw new NotFoundError(`Message UID ${ref.uid} is no longer in "${folder.path}" (deleted since it was listed).`);
  }
  return download.content;
}

export function isReadFailure(result: ReadResult): result is { ref: MessageRef; error: Error } {
  return 'error' in result && result.error instanceof Error;
}
