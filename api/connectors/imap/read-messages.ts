/**
 * Reads source messages in the caller's order: small ones in batched `UID FETCH set (UID
 * BODY.PEEK[])` on our own connection (imap-wire.ts), several batches in flight at once up to a
 * byte budget, so the server is never idle waiting for us to ask again (imapflow keeps one command
 * in flight); large ones as lazy streams fetched in partial chunks (RFC 3501 §6.4.5
 * `BODY[]<origin.octets>`) on the same connection, a few parts in flight, so a 40 MB message never
 * sits whole in memory.
 */
import { Readable } from 'node:stream';
import type { FolderInfo, MessageRef, SourceMessage } from '../../core/connector.js';
import { MailferryError, NotFoundError } from '../../core/errors.js';
import { parseResponse, text, type Token } from './imap-response.js';
import type { ImapWire, TaggedResponse } from './imap-wire.js';
import { toSequenceSet } from './list-messages.js';
import { throttledFromText } from './throttle.js';
import { mailboxArgument } from './wire-commands.js';
import { commandFailed } from './wire-fetch.js';

export interface ReadOptions {
  /** Messages above this many bytes are streamed instead of fetched whole. */
  largeMessageBytes: number;
  /** A batch holds at most this many bytes... */
  batchMaxBytes: number;
  /** ...and at most this many messages. */
  batchMaxCount: number;
  /** Bytes per partial FETCH while streaming a large message... */
  streamChunkBytes: number;
  /** ...and how many of them are asked for ahead of the writer. */
  streamPartsInFlight: number;
  /** Batches in flight at once on the connection... */
  batchesInFlight: number;
  /** ...holding at most this many bytes between them (the first batch always goes). */
  bytesInFlight: number;
}

// Sized by `npm run bench` to keep a whole pass under 150 MB RSS without losing throughput
// (8 MB batches and 1 MB stream thresholds peaked at 175–190 MB for the same rate): 1 MB
// batches, four of them (4 MB) in flight, so the server streams the next while one is written.
export const DEFAULT_READ_OPTIONS: ReadOptions = {
  largeMessageBytes: 256 * 1024,
  batchMaxBytes: 1024 * 1024,
  batchMaxCount: 100,
  streamChunkBytes: 256 * 1024,
  streamPartsInFlight: 2,
  batchesInFlight: 4,
  bytesInFlight: 4 * 1024 * 1024,
};

export type ReadResult = SourceMessage | { ref: MessageRef; error: Error };

/** The session's connection, logged in again if it was lost. */
export type LiveWire = () => Promise<ImapWire>;

type Group = { kind: 'large'; ref: MessageRef; bytes: 0 } | { kind: 'batch'; refs: MessageRef[]; bytes: number };

interface Batch {
  group: Group;
  /** The tagged answer, or the failure that ended the connection. */
  done: Promise<TaggedResponse | Error>;
}

export async function* readMessages(
  wire: ImapWire,
  live: LiveWire,
  folder: FolderInfo,
  refs: MessageRef[],
  mapError: (err: unknown) => MailferryError,
  options: ReadOptions = DEFAULT_READ_OPTIONS,
): AsyncGenerator<ReadResult> {
  if (refs.length === 0) return;
  await examine(wire, folder.path);
  const groups = plan(refs, options);
  const bodies = new Map<number, Buffer>();
  const spoiled = new Spoiled(wire);
  const unsubscribe = wire.onUntagged((response) => {
    const line = response.parts[0]!;
    // `* n FETCH (UID u BODY[] {size}…)`; unsolicited FETCHes (flag changes) carry no body.
    if (response.literals.length === 0 || !/^\* \d+ FETCH /i.test(line)) return;
    const { values, whole } = parseResponse({ parts: [line.slice(2), ...response.parts.slice(1)], literals: response.literals });
    const body = bodyOf(values[2]);
    if (!body) return;
    // A body whose response does not end where it should was cut or padded by a lying literal size.
    if (whole && values.length === 3) bodies.set(body.uid, body.bytes);
    else spoiled.uids.add(body.uid);
  });
  const inFlight: Batch[] = [];
  let next = 0;
  let bytesAhead = 0;
  const launch = (): void => {
    while (next < groups.length && inFlight.length < options.batchesInFlight) {
      const group = groups[next]!;
      if (inFlight.length > 0 && bytesAhead + group.bytes > options.bytesInFlight) return;
      next++;
      bytesAhead += group.bytes;
      const done =
        group.kind === 'large'
          ? Promise.resolve<TaggedResponse | Error>({ tag: '', status: 'OK', text: '' })
          : wire
              .run(`UID FETCH ${toSequenceSet(group.refs.map((r) => r.uid).sort((a, b) => a - b))} (UID BODY.PEEK[])`)
              .catch((err: unknown) => err as Error);
      inFlight.push({ group, done });
    }
  };
  try {
    launch();
    while (inFlight.length > 0) {
      const { group, done } = inFlight.shift()!;
      const outcome = await done;
      bytesAhead -= group.bytes;
      launch(); // the next batch is on the wire while this one is handed over
      if (group.kind === 'large') {
        yield { ref: group.ref, content: async () => streamMessage(live, folder, group.ref, options) };
        continue;
      }
      yield* batchResults(group.refs, outcome, bodies, folder, mapError, spoiled);
    }
  } finally {
    unsubscribe();
    if (inFlight.length > 0) {
      // The consumer stopped early: let the batches already asked for finish, so the connection
      // is clean for the next folder, and drop their bytes.
      await Promise.all(inFlight.map((batch) => batch.done));
      bodies.clear();
    }
  }
}

/** The read-only selection of a folder on our connection, kept across calls (EXAMINE, RFC 3501 §6.3.2). */
async function examine(wire: ImapWire, path: string): Promise<void> {
  if (wire.selected?.path === path && wire.selected.readOnly) return;
  wire.selected = undefined;
  const response = await wire.run(`EXAMINE ${mailboxArgument(path)}`);
  if (response.status !== 'OK') {
    throw new NotFoundError(
      `The folder "${path}" cannot be opened: ${response.status}${response.code ? ` [${response.code}]` : ''} ${response.text}`.trim(),
    );
  }
  wire.selected = { path, readOnly: true };
}

function bodyOf(list: Token | undefined): { uid: number; bytes: Buffer } | undefined {
  if (!Array.isArray(list)) return undefined;
  let uid: number | undefined;
  let bytes: Buffer | undefined;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = text(list[i]).toUpperCase();
    if (name === 'UID') uid = Number(text(list[i + 1]));
    else if (name === 'BODY[]' && Buffer.isBuffer(list[i + 1])) bytes = list[i + 1] as Buffer;
  }
  return uid !== undefined && bytes ? { uid, bytes } : undefined;
}

function* batchResults(
  refs: MessageRef[],
  outcome: TaggedResponse | Error,
  bodies: Map<number, Buffer>,
  folder: FolderInfo,
  mapError: (err: unknown) => MailferryError,
  spoiled: Spoiled,
): Generator<ReadResult> {
  // A lost connection: nothing more can be read, so it is thrown. A refused batch fails its
  // items, not the read: each comes back with the reason.
  if (outcome instanceof Error) throw mapError(outcome);
  let batchError: MailferryError | undefined;
  if (outcome.status !== 'OK') {
    const said = `${outcome.status}${outcome.code ? ` [${outcome.code}]` : ''} ${outcome.text}`.trim();
    // Microsoft 365 throttles with NO/BAD text; every batch after it would be refused too.
    const throttled = throttledFromText(outcome.text, 'UID FETCH');
    if (throttled) throw throttled;
    batchError = mapError(new Error(`UID FETCH failed: ${said}`));
  }
  for (const ref of refs) {
    const content = bodies.get(ref.uid);
    bodies.delete(ref.uid);
    if (content) yield { ref, content, subject: subjectOf(content) };
    else {
      yield {
        ref,
        error:
          batchError ??
          spoiled.error(ref.uid) ??
          new NotFoundError(`Message UID ${ref.uid} is no longer in "${folder.path}" (deleted since it was listed).`),
      };
    }
  }
}

/** What a server that answered out of the protocol did to the bodies of one read: no damaged bytes are copied. */
class Spoiled {
  readonly uids = new Set<number>();
  private readonly straysBefore: number;

  constructor(private readonly wire: ImapWire) {
    this.straysBefore = wire.strayLines;
  }

  error(uid: number): MailferryError | undefined {
    const where = this.wire.where();
    if (this.uids.has(uid)) {
      return new MailferryError(
        'internal',
        `${where}: the server's FETCH answer for message UID ${uid} does not end after its body (a literal size that does not match the message?); ` +
          'the message is not copied rather than copied damaged.',
      );
    }
    const strays = this.wire.strayLines - this.straysBefore;
    if (strays === 0) return undefined;
    return new MailferryError(
      'internal',
      `${where}: the server's FETCH answer did not hold message UID ${uid} in a form Mailferry can read ` +
        `(it sent ${strays} line${strays === 1 ? '' : 's'} that are no IMAP response: 8-bit garbage, or a literal size that does not match the message).`,
    );
  }
}

/** The Subject header as written (for error rows), unfolded; encoded words are left as they are. */
function subjectOf(message: Buffer): string | undefined {
  const headEnd = message.indexOf('\r\n\r\n');
  const head = message.subarray(0, headEnd < 0 ? Math.min(message.length, 16 * 1024) : headEnd).toString('latin1');
  const match = /(?:^|\r\n)subject:[ \t]*((?:[^\r\n]|\r\n[ \t])*)/i.exec(head);
  return match ? match[1]!.replace(/\r\n[ \t]/g, ' ') : undefined;
}

/** Consecutive small refs form a batch bounded by count and bytes; order is kept. */
function plan(refs: MessageRef[], options: ReadOptions): Group[] {
  const groups: Group[] = [];
  let batch: MessageRef[] = [];
  let batchBytes = 0;
  const flush = (): void => {
    if (batch.length) groups.push({ kind: 'batch', refs: batch, bytes: batchBytes });
    batch = [];
    batchBytes = 0;
  };
  for (const ref of refs) {
    if (ref.size > options.largeMessageBytes) {
      flush();
      groups.push({ kind: 'large', ref, bytes: 0 });
      continue;
    }
    if (batch.length >= options.batchMaxCount || (batch.length > 0 && batchBytes + ref.size > options.batchMaxBytes)) flush();
    batch.push(ref);
    batchBytes += ref.size;
  }
  flush();
  return groups;
}

/**
 * A large message as a stream of partial FETCHes (`UID FETCH uid (UID BODY.PEEK[]<offset.count>)`)
 * on the session's connection: `streamPartsInFlight` parts are asked for ahead of the one handed
 * on, and no more than those (plus the one being written) are held. It ends at the first part shorter
 * than asked, not at RFC822.SIZE: a size that lies is the writer's to notice (append-pipeline.ts
 * counts the bytes against the size it announced), never a silently cut message.
 */
function streamMessage(live: LiveWire, folder: FolderInfo, ref: MessageRef, options: ReadOptions): Readable {
  const chunkBytes = options.streamChunkBytes;
  const depth = Math.max(1, options.streamPartsInFlight);
  async function* parts(): AsyncGenerator<Buffer> {
    const wire = await live();
    if (wire.selected?.path !== folder.path) await examine(wire, folder.path);
    // Parts asked for and not yet handed on; asking stops after the first short one comes back.
    const asked: Promise<Buffer | undefined>[] = [];
    let nextOffset = 0;
    let offset = 0;
    let ended = false;
    // Ahead only up to RFC822.SIZE (a part at the size itself finds the end of a message that
    // fills its last part exactly); past it one part at a time, for a size that lies.
    const ask = (): void => {
      while (!ended && (asked.length === 0 || (asked.length < depth && nextOffset <= ref.size))) {
        asked.push(fetchPart(wire, ref.uid, nextOffset, chunkBytes));
        nextOffset += chunkBytes;
      }
    };
    try {
      ask();
      while (asked.length > 0) {
        const part = await asked.shift()!;
        if (part === undefined && offset === 0) {
          throw new NotFoundError(`Message UID ${ref.uid} is no longer in "${folder.path}" (deleted since it was listed).`);
        }
        // Nothing past the end (or the message went away meanwhile: the writer counts the bytes
        // against RFC822.SIZE and drops the copy when they differ).
        if (part === undefined) return;
        offset += part.length;
        if (part.length < chunkBytes) ended = true;
        else ask();
        if (part.length) yield part;
        if (ended) return;
      }
    } finally {
      // Parts asked for past the end (or past a failure) are answered and dropped.
      for (const pending of asked) pending.catch(() => undefined);
    }
  }
  return Readable.from(parts(), { highWaterMark: 1 });
}

/** One part of a message, or undefined when the server sent none (the message was expunged). */
async function fetchPart(wire: ImapWire, uid: number, offset: number, count: number): Promise<Buffer | undefined> {
  let part: Buffer | undefined;
  let spoiled = false;
  const unsubscribe = wire.onUntagged((response) => {
    const line = response.parts[0]!;
    if (!/^\* \d+ FETCH /i.test(line) || !line.includes(`<${offset}>`)) return;
    const { values, whole } = parseResponse({ parts: [line.slice(2), ...response.parts.slice(1)], literals: response.literals });
    const found = partOf(values[2], offset);
    if (found?.uid !== uid) return;
    // As for a batch (readMessages): a part whose response does not end after it was cut or padded by a lying literal size.
    if (whole && values.length === 3) part = found.bytes;
    else spoiled = true;
  });
  const command = `UID FETCH ${uid} (UID BODY.PEEK[]<${offset}.${count}>)`;
  let response: TaggedResponse;
  try {
    response = await wire.run(command);
  } finally {
    unsubscribe();
  }
  if (response.status !== 'OK') throw commandFailed(wire, 'UID FETCH', response);
  if (spoiled) {
    throw new MailferryError(
      'internal',
      `${wire.where()}: the server's FETCH answer for part ${offset}–${offset + count} of message UID ${uid} does not end after its body ` +
        '(a literal size that does not match the message?); the message is not copied rather than copied damaged.',
    );
  }
  return part;
}

/** `UID u BODY[]<offset> {n}` (or a quoted string, or NIL for nothing left) from a FETCH response. */
function partOf(list: Token | undefined, offset: number): { uid: number; bytes: Buffer } | undefined {
  if (!Array.isArray(list)) return undefined;
  let uid: number | undefined;
  let bytes: Buffer | undefined;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = text(list[i]).toUpperCase();
    const value = list[i + 1];
    if (name === 'UID') uid = Number(text(value));
    else if (name === `BODY[]<${offset}>`) {
      bytes = Buffer.isBuffer(value) ? value : Buffer.from(typeof value === 'string' ? value : '', 'latin1');
    }
  }
  return uid !== undefined && bytes ? { uid, bytes } : undefined;
}

export function isReadFailure(result: ReadResult): result is { ref: MessageRef; error: Error } {
  return 'error' in result && result.error instanceof Error;
}
