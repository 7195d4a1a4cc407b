/**
 * Reads source messages in the caller's order: small ones in batched `UID FETCH set (UID
 * BODY.PEEK[])` on our own connection (imap-wire.ts), several batches in flight at once up to a
 * byte budget, so the server is never idle waiting for us to ask again (imapflow keeps one command
 * in flight); large ones as lazy streams, one FETCH each on the same connection whose body is
 * handed on as it arrives (the connection pausing while the writer is behind), so a 40 MB message
 * never sits whole in memory.
 */
import { Readable } from 'node:stream';
import type { FolderInfo, MessageRef, SourceMessage } from '../../core/connector.js';
import { MailferryError, NotFoundError } from '../../core/errors.js';
import { parseResponse, text, type Token } from './imap-response.js';
import type { ImapWire, LiteralSink, TaggedResponse } from './imap-wire.js';
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
  /** While a large message streams, the connection stops reading when this many bytes wait for the writer. */
  streamBufferBytes: number;
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
  streamBufferBytes: 1024 * 1024,
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
  // Only the batches' bodies: a large message's FETCH (streamMessage) answers on the same connection.
  const batched = new Set(groups.flatMap((group) => (group.kind === 'batch' ? group.refs.map((r) => r.uid) : [])));
  const bodies = new Map<number, Buffer>();
  const spoiled = new Spoiled(wire);
  const unsubscribe = wire.onUntagged((response) => {
    const line = response.parts[0]!;
    // `* n FETCH (UID u BODY[] {size}…)`; unsolicited FETCHes (flag changes) carry no body.
    if (response.literals.length === 0 || !/^\* \d+ FETCH /i.test(line)) return;
    const { values, whole } = parseResponse({ parts: [line.slice(2), ...response.parts.slice(1)], literals: response.literals });
    const body = bodyOf(values[2]);
    if (!body || !batched.has(body.uid)) return;
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
        yield { ref: group.ref, content: () => streamMessage(live, folder, group.ref, options) };
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
 * A large message as one `UID FETCH uid (UID BODY.PEEK[])` on the session's connection, its
 * literal streamed as it arrives (imap-wire.ts routeLiterals): the bytes go to the writer as views
 * of the received chunks, and the connection stops reading while `streamBufferBytes` wait for the
 * writer, so a 40 MB message never sits whole in memory. (Partial FETCHes of 256 KB cost a round
 * trip each and, in `npm run bench`, 4 of a 10.6 s pass.) A server that names the UID after the
 * body cannot be routed: that body is read whole, then handed on.
 */
function streamMessage(live: LiveWire, folder: FolderInfo, ref: MessageRef, options: ReadOptions): Promise<Readable> {
  return (async () => {
    const wire = await live();
    if (wire.selected?.path !== folder.path) await examine(wire, folder.path);
    const stream = new Readable({ highWaterMark: options.streamBufferBytes, read: () => wire.resumeReading() });
    let routed = false;
    let whole: Buffer | undefined;
    let spoiled = false;
    const sink: LiteralSink = {
      // A stream the writer dropped takes what is still coming and forgets it.
      write: (chunk) => stream.destroyed || stream.push(chunk),
      end: (response) => {
        const { values, whole: ended } = parseResponse({
          parts: [response.parts[0]!.slice(2), ...response.parts.slice(1)],
          literals: response.literals,
        });
        if (!ended || values.length !== 3) spoiled = true;
      },
      fail: (reason) => stream.destroy(reason),
    };
    const unroute = wire.routeLiterals((parts, _size) => {
      if (routed || parts.length !== 1) return undefined;
      const head = BODY_LITERAL_HEAD.exec(parts[0]!);
      if (!head || Number(head[1]) !== ref.uid) return undefined;
      routed = true;
      return sink;
    });
    const unsubscribe = wire.onUntagged((response) => {
      if (routed || response.literals.length === 0 || !/^\* \d+ FETCH /i.test(response.parts[0]!)) return;
      const body = bodyOf(
        parseResponse({ parts: [response.parts[0]!.slice(2), ...response.parts.slice(1)], literals: response.literals }).values[2],
      );
      if (body?.uid === ref.uid) whole = body.bytes;
    });
    wire.run(`UID FETCH ${ref.uid} (UID BODY.PEEK[])`).then(
      (response) => {
        unroute();
        unsubscribe();
        if (response.status !== 'OK') stream.destroy(commandFailed(wire, 'UID FETCH', response));
        else if (spoiled) {
          stream.destroy(
            new MailferryError(
              'internal',
              `${wire.where()}: the server's FETCH answer for message UID ${ref.uid} does not end after its body ` +
                '(a literal size that does not match the message?); the message is not copied rather than copied damaged.',
            ),
          );
        } else if (routed) stream.push(null);
        else if (whole) {
          stream.push(whole);
          stream.push(null);
        } else stream.destroy(new NotFoundError(`Message UID ${ref.uid} is no longer in "${folder.path}" (deleted since it was listed).`));
      },
      (err: unknown) => {
        unroute();
        unsubscribe();
        stream.destroy(err as Error);
      },
    );
    return stream;
  })();
}

/** `* n FETCH (UID u BODY[] {size}`: the answer to streamMessage's FETCH, as Dovecot and most servers order it. */
const BODY_LITERAL_HEAD = /^\* \d+ FETCH \(UID (\d+) BODY\[\] \{\d+\}$/i;

export function isReadFailure(result: ReadResult): result is { ref: MessageRef; error: Error } {
  return 'error' in result && result.error instanceof Error;
}
