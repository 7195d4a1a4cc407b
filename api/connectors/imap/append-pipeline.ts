/**
 * Pipelined APPEND on our own connection (imap-wire.ts). With LITERAL+ (RFC 7888 §3) each
 * message goes out as `{N+}` without waiting for the server, keeping a bounded window of
 * commands and bytes in flight; without it we wait for each `+` continuation but still send
 * the next APPEND before the previous tagged response arrives (RFC 3501 §5.5).
 * Where the server has MULTIAPPEND (RFC 3502), runs of small messages go as one APPEND of up to
 * MULTIAPPEND_MAX_MESSAGES: one command, one tagged answer, and on Dovecot one transaction for
 * the run instead of one per message. A run is all or nothing (§3), so a refused run is sent
 * again message by message to find which one the server refuses and store the others.
 * Results come back in input order: a rejected item is a result, a lost connection throws.
 * The window's byte budget counts the buffers that sent commands keep alive until their answer;
 * a message streamed from the source keeps none once written and counts as a command only.
 */
import type { Readable } from 'node:stream';
import type { AppendResult, SourceMessage } from '../../core/connector.js';
import { ItemRejectedError, ItemTooLargeError, MailferryError, ensureError } from '../../core/errors.js';
import type { ImapWire, TaggedResponse } from './imap-wire.js';
import { encodeMailboxName, formatFlags, formatInternalDate, quote } from './imap-syntax.js';
import { throttledFromText } from './throttle.js';

export interface PipelineOptions {
  maxCommandsInFlight: number;
  maxBytesInFlight: number;
}

/** Bytes in flight bound memory (see DEFAULT_READ_OPTIONS); 4 MB kept the bench's rate. */
export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  maxCommandsInFlight: 32,
  maxBytesInFlight: 4 * 1024 * 1024,
};

/** RFC 7888 §4: LITERAL- servers accept non-synchronizing literals up to 4096 bytes only. */
const LITERAL_MINUS_MAX_BYTES = 4096;

/** How long a broken pipeline waits for answers to the APPENDs sent before the break. */
const ABORT_DRAIN_MS = 10_000;
/** Small messages are sent with their command in one socket write. */
const COALESCE_MAX_BYTES = 256 * 1024;
/** MULTIAPPEND runs: messages up to this size, this many per run, this many bytes per run. */
const MULTIAPPEND_MESSAGE_MAX_BYTES = 64 * 1024;
const MULTIAPPEND_MAX_MESSAGES = 32;
const MULTIAPPEND_MAX_BYTES = 512 * 1024;
const CRLF = Buffer.from('\r\n');

/** Size refusals: RFC 7889 TOOBIG, and the words servers use with a plain NO or RFC 5530 LIMIT. */
const TOO_LARGE_TEXT = /too (large|big)|size|exceed|maximum|limit/i;

type Settled = { response: TaggedResponse } | { error: MailferryError };

interface InFlight {
  /** One message, or a MULTIAPPEND run of several. */
  messages: SourceMessage[];
  /** Bytes of buffers this entry keeps alive until its answer (a streamed message: 0). */
  bytes: number;
  settled?: Settled;
  outcome: Promise<Settled>;
}

export async function* appendPipeline(
  wire: ImapWire,
  path: string,
  messages: AsyncIterable<SourceMessage>,
  options: PipelineOptions = DEFAULT_PIPELINE_OPTIONS,
): AsyncGenerator<AppendResult> {
  const mailbox = quote(encodeMailboxName(path));
  await selectTarget(wire, path, mailbox);
  const window: InFlight[] = [];
  let bytesInFlight = 0;
  let multiappend = wire.capabilities.has('MULTIAPPEND');
  let run: { message: SourceMessage; bytes: number }[] = [];
  let runBytes = 0;
  const release = async (): Promise<AppendResult[]> => {
    const head = window.shift()!;
    bytesInFlight -= head.bytes;
    const settled = await head.outcome;
    if (head.messages.length === 1) return [toResult(head.messages[0]!, settled, wire)];
    if ('response' in settled && settled.response.status === 'OK') return runResults(head.messages, settled.response);
    if ('response' in settled) {
      const throttled = throttledFromText(settled.response.text, `${wire.where()}: APPEND`);
      if (throttled) throw throttled;
      // BAD: the server does not take MULTIAPPEND after all; NO: one message spoils the run.
      if (settled.response.status === 'BAD') multiappend = false;
      return appendOneByOne(wire, mailbox, head.messages);
    }
    throw settled.error;
  };
  const makeRoom = async function* (bytes: number): AsyncGenerator<AppendResult> {
    while (window.length > 0 && (window.length >= options.maxCommandsInFlight || bytesInFlight + bytes > options.maxBytesInFlight)) {
      yield* await release();
    }
  };
  const sendRun = async function* (): AsyncGenerator<AppendResult> {
    if (run.length === 0) return;
    const [messages, bytes] = [run, runBytes];
    run = [];
    runBytes = 0;
    yield* makeRoom(bytes);
    const entry =
      messages.length === 1 ? await send(wire, mailbox, messages[0]!.message, bytes) : await sendMultiappend(wire, mailbox, messages);
    window.push(entry);
    bytesInFlight += bytes;
  };

  try {
    for await (const message of messages) {
      const bytes = contentLength(message);
      if (multiappend && fitsRun(wire, message, bytes)) {
        run.push({ message, bytes });
        runBytes += bytes;
        if (run.length >= MULTIAPPEND_MAX_MESSAGES || runBytes >= MULTIAPPEND_MAX_BYTES) yield* sendRun();
      } else {
        yield* sendRun(); // input order is kept on the wire
        // The byte budget bounds the buffers that sent entries keep until their answer. A streamed
        // message keeps none once written, so it counts as a command only: it neither waits for
        // the window to drain before it nor holds the next messages back until its own answer
        // (two waits on the destination per large message; 130 of them in `npm run bench`).
        const held = Buffer.isBuffer(message.content) ? bytes : 0;
        yield* makeRoom(held);
        const entry = await send(wire, mailbox, message, bytes);
        entry.bytes = held;
        window.push(entry);
        bytesInFlight += held;
      }
      // Hand back what the server already answered, so the ledger can commit early.
      while (window.length > 0 && window[0]!.settled) yield* await release();
    }
    yield* sendRun();
    while (window.length > 0) yield* await release();
  } catch (err) {
    if (err instanceof StreamAbort) {
      // Commands sent before the broken literal are complete on the wire: let the server answer
      // them (bounded wait), then drop the connection that the half-sent literal has desynchronised.
      await Promise.race([Promise.all(window.map((e) => e.outcome)), delay(ABORT_DRAIN_MS)]);
      wire.destroy(err);
    }
    // Before giving up, report the writes the server confirmed before the failure: they are
    // stored, and the ledger should know them without a listRange recovery.
    // (A refused run is not sent again message by message on a connection that just failed.)
    const answered = (entry: InFlight | undefined) =>
      !!entry?.settled && 'response' in entry.settled && (entry.messages.length === 1 || entry.settled.response.status === 'OK');
    while (answered(window[0])) {
      const results = await release().catch(() => undefined);
      if (!results) break;
      yield* results;
    }
    throw err;
  }
}

/**
 * APPEND works on any mailbox, selected or not (RFC 3501 §6.3.11), but servers such as Dovecot
 * open and close an unselected target for every message. Selecting it first keeps it open:
 * 2–4× more APPENDs per second in `npm run bench`. A refused SELECT (no right to read, say) is
 * not fatal: the APPENDs then report their own errors.
 */
async function selectTarget(wire: ImapWire, path: string, mailbox: string): Promise<void> {
  if (wire.selected?.path === path && !wire.selected.readOnly) return;
  wire.selected = undefined;
  const response = await wire.run(`SELECT ${mailbox}`);
  if (response.status === 'OK') wire.selected = { path, readOnly: false };
}

function contentLength(message: SourceMessage): number {
  return Buffer.isBuffer(message.content) ? message.content.length : message.ref.size;
}

/** A run member goes without waiting for the server: a whole buffer under a non-synchronizing literal. */
function fitsRun(wire: ImapWire, message: SourceMessage, bytes: number): boolean {
  if (!Buffer.isBuffer(message.content) || bytes > MULTIAPPEND_MESSAGE_MAX_BYTES) return false;
  const caps = wire.capabilities;
  return caps.has('LITERAL+') || (caps.has('LITERAL-') && bytes <= LITERAL_MINUS_MAX_BYTES);
}

function inFlight(wire: ImapWire, tag: string, messages: SourceMessage[], bytes: number): InFlight {
  const done = wire.expect(tag);
  const entry: InFlight = {
    messages,
    bytes,
    outcome: done.then(
      (response) => (entry.settled = { response }),
      (err: unknown) => (entry.settled = { error: ensureError(err) }),
    ),
  };
  return entry;
}

/** RFC 3502 §6: `APPEND mailbox (flags) date {N+} msg (flags) date {N+} msg`, in one write. */
async function sendMultiappend(wire: ImapWire, mailbox: string, run: { message: SourceMessage; bytes: number }[]): Promise<InFlight> {
  const tag = wire.nextTag();
  const entry = inFlight(
    wire,
    tag,
    run.map((m) => m.message),
    run.reduce((sum, m) => sum + m.bytes, 0),
  );
  const parts: Buffer[] = [Buffer.from(`${tag} APPEND ${mailbox}`, 'latin1')];
  for (const { message, bytes } of run) {
    parts.push(
      Buffer.from(` ${formatFlags(message.ref.flags)} ${formatInternalDate(message.ref.internalDate)} {${bytes}+}\r\n`, 'latin1'),
      message.content as Buffer,
    );
  }
  parts.push(CRLF);
  // One corked write of the parts as they are: no copy of the run into one buffer.
  await wire.writeAll(parts);
  return entry;
}

/** A refused run, message by message (pipelined), so the others are stored and the refused one named. */
async function appendOneByOne(wire: ImapWire, mailbox: string, messages: SourceMessage[]): Promise<AppendResult[]> {
  const entries: InFlight[] = [];
  for (const message of messages) entries.push(await send(wire, mailbox, message, contentLength(message)));
  const results: AppendResult[] = [];
  for (const entry of entries) results.push(toResult(entry.messages[0]!, await entry.outcome, wire));
  return results;
}

/** RFC 4315 §3: a run's APPENDUID names its UIDs as a set, in the order the messages were given. */
function runResults(messages: SourceMessage[], response: TaggedResponse): AppendResult[] {
  const [validity, set] = response.code === 'APPENDUID' ? (response.codeArgs ?? '').split(' ') : [];
  const uids = validity && set ? expandUidSet(set) : [];
  const named = uids.length === messages.length;
  return messages.map((message, i) => ({ ref: message.ref, destId: named ? `${validity}:${uids[i]}` : undefined }));
}

function expandUidSet(set: string): number[] {
  const uids: number[] = [];
  for (const part of set.split(',')) {
    const [from, to] = part.split(':').map(Number);
    if (!Number.isInteger(from)) return [];
    if (to === undefined) uids.push(from!);
    else if (Number.isInteger(to)) for (let uid = Math.min(from!, to); uid <= Math.max(from!, to); uid++) uids.push(uid);
  }
  return uids;
}

async function send(wire: ImapWire, mailbox: string, message: SourceMessage, bytes: number): Promise<InFlight> {
  const tag = wire.nextTag();
  const entry = inFlight(wire, tag, [message], bytes);
  const done = entry.outcome;
  const caps = wire.capabilities;
  const nonSync = caps.has('LITERAL+') || (caps.has('LITERAL-') && bytes <= LITERAL_MINUS_MAX_BYTES);
  const head =
    `${tag} APPEND ${mailbox} ${formatFlags(message.ref.flags)} ${formatInternalDate(message.ref.internalDate)} ` +
    `{${bytes}${nonSync ? '+' : ''}}\r\n`;
  if (nonSync && Buffer.isBuffer(message.content) && bytes <= COALESCE_MAX_BYTES) {
    // One (corked) write per small message: separate head/body/CRLF segments cost a round of
    // delayed-ACK waits on some stacks and halve the rate on loopback.
    await wire.writeAll([Buffer.from(head, 'latin1'), message.content, CRLF]);
    return entry;
  }
  if (nonSync) {
    await wire.write(head);
  } else {
    const go = wire.expectContinuation();
    await wire.write(head);
    // The server may refuse before the literal (e.g. a size limit): then no body is sent.
    const first = await Promise.race([done.then(() => 'tagged' as const), go.promise.then(() => 'go' as const)]);
    if (first === 'tagged') {
      go.cancel();
      return entry;
    }
  }
  await writeBody(wire, message, bytes);
  await wire.write('\r\n');
  return entry;
}

async function writeBody(wire: ImapWire, message: SourceMessage, bytes: number): Promise<void> {
  if (Buffer.isBuffer(message.content)) {
    await wire.write(message.content);
    return;
  }
  let stream: Readable;
  try {
    stream = await wire.whileFeeding(message.content());
  } catch (err) {
    // The literal size is already announced; the connection cannot be resynchronised.
    throw new StreamAbort(`could not open the source stream for UID ${message.ref.uid}: ${ensureError(err).message}`, err);
  }
  let written = 0;
  try {
    for await (const chunk of fed(wire, stream as AsyncIterable<Buffer | string>)) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      written += buf.length;
      if (written > bytes) break;
      await wire.write(buf);
    }
  } catch (err) {
    throw new StreamAbort(`the source stream for UID ${message.ref.uid} failed after ${written} bytes: ${ensureError(err).message}`, err);
  }
  if (written !== bytes) {
    stream.destroy();
    throw new StreamAbort(
      `the source stream for UID ${message.ref.uid} gave ${written > bytes ? 'more than' : 'only'} ${written} bytes, ` +
        `but its size is ${bytes} bytes (RFC822.SIZE); the connection was dropped to avoid storing a damaged message`,
    );
  }
}

/** The source's chunks; while we wait for one, the server owes nothing (imap-wire.ts whileFeeding). */
async function* fed<T>(wire: ImapWire, source: AsyncIterable<T>): AsyncGenerator<T> {
  const chunks = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await wire.whileFeeding(chunks.next());
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await chunks.return?.();
  }
}

/** A source stream broke mid-literal; the pipeline drains earlier results, then drops the wire. */
class StreamAbort extends MailferryError {
  constructor(why: string, cause?: unknown) {
    super('internal', `APPEND aborted: ${why}.`, { cause });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function toResult(message: SourceMessage, settled: Settled, wire: ImapWire): AppendResult {
  const { ref } = message;
  if ('error' in settled) throw settled.error;
  const { response } = settled;
  if (response.status === 'OK') {
    // RFC 4315 §3 APPENDUID uidvalidity uid. Without UIDPLUS the id stays unknown and the
    // engine falls back to listRange.
    const [validity, uid] = response.code === 'APPENDUID' ? (response.codeArgs ?? '').split(' ') : [];
    return { ref, destId: validity && uid ? `${validity}:${uid}` : undefined };
  }
  const said = `${response.status}${response.code ? ` [${response.code}]` : ''} ${response.text}`.trim();
  // Microsoft 365 throttles with NO/BAD text; everything after it would be refused too.
  const throttled = throttledFromText(response.text, `${wire.where()}: APPEND`);
  if (throttled) throw throttled;
  // OVERQUOTA (RFC 5530 §3) is a full mailbox, not an oversize message.
  const tooLarge = response.code === 'TOOBIG' || (response.code !== 'OVERQUOTA' && TOO_LARGE_TEXT.test(response.text));
  if (response.status === 'NO' && tooLarge) {
    return { ref, error: new ItemTooLargeError(`The destination refused the message (${ref.size} bytes) as too large: ${said}`) };
  }
  return { ref, error: new ItemRejectedError(`The destination refused the message: ${said}`) };
}
