/**
 * The bench corpus: a seeded, realistic mailbox. Sizes follow what real mailboxes hold (most
 * mail is a few KB of text, some carries an attachment, a few carry big ones), spread over
 * nested folders with the flags and dates people leave behind.
 */
import { Prng } from './prng.js';

export const KB = 1024;
export const MB = 1024 * KB;

/** Source folders, '/'-separated (the source Dovecot's separator). Weights: share of messages. */
export const FOLDERS: ReadonlyArray<{ path: string; weight: number; year?: number }> = [
  { path: 'INBOX', weight: 30 },
  { path: 'Sent', weight: 14 },
  { path: 'Drafts', weight: 1 },
  { path: 'Trash', weight: 4 },
  { path: 'Archive', weight: 6 },
  { path: 'Archive/2021', weight: 6, year: 2021 },
  { path: 'Archive/2022', weight: 6, year: 2022 },
  { path: 'Archive/2023', weight: 6, year: 2023 },
  { path: 'Projects', weight: 3 },
  { path: 'Projects/Apollo', weight: 5 },
  { path: 'Projects/Apollo/Specs', weight: 2 },
  { path: 'Projects/Zephyr', weight: 4 },
  { path: 'Clients', weight: 2 },
  { path: 'Clients/Contoso Ltd', weight: 4 },
  { path: 'Newsletters', weight: 5 },
  { path: 'Receipts', weight: 2 },
];

/** Size classes. Most mail: log-normal text around a median, kept inside 2-50 KB. */
const SMALL_MIN = 2 * KB;
const SMALL_MAX = 50 * KB;
const SMALL_MEDIAN = 9 * KB;
const SMALL_SIGMA = 0.8;
/** Some mail carries an attachment of 100 KB-1 MB (log-uniform). */
const MEDIUM_SHARE = 0.05;
const MEDIUM_MIN = 100 * KB;
const MEDIUM_MAX = MB;
/** A few carry 2-5 MB. */
const LARGE_SHARE = 0.005;
const LARGE_MIN = 2 * MB;
const LARGE_MAX = 5 * MB;
/** Plus this many very large ones (8-12 MB) spread through the corpus, whatever its size. */
const HUGE_COUNT = 3;
const HUGE_MIN = 8 * MB;
const HUGE_MAX = 12 * MB;
/** Below this a message is plain text; above it, text plus a base64 attachment. */
const ATTACHMENT_FROM = 16 * KB;

/** Flag odds for received mail. */
const SEEN_SHARE = 0.78;
const ANSWERED_SHARE = 0.12;
const FLAGGED_SHARE = 0.04;
const FORWARDED_SHARE = 0.03;
const KEYWORD_SHARE = 0.02;
const KEYWORDS = ['$Label1', 'Project-X', '$Junk', 'NonJunk'];

/** Internal dates: the last few years for live folders, the folder's year for Archive/YYYY. */
const RECENT_FROM = Date.UTC(2022, 0, 1);
const RECENT_TO = Date.UTC(2025, 11, 31);
const SECOND = 1000;
const YEAR_MS = 365 * 24 * 3600 * SECOND;

/** Shared text and base64 pools: messages take slices, so building 500 MB stays fast. */
const BASE64_POOL_BYTES = 16 * MB;
const TEXT_POOL_LINES = 4096;
const BASE64_LINE = 76;
const CRLF = '\r\n';
const WORDS = (
  'the project meeting budget report draft review please attached thanks regards schedule update ' +
  'client invoice contract delivery quarter team release design spec question answer tomorrow today week ' +
  'call notes follow up agenda decision risk plan status migration server mailbox folder issue'
).split(' ');

export interface CorpusMessage {
  index: number;
  folder: string;
  raw: Buffer;
  flags: string[];
  /** Epoch ms, whole seconds (IMAP internal dates have one-second resolution). */
  internalDate: number;
}

export interface Corpus {
  messages: CorpusMessage[];
  bytes: number;
  /** Source folder path → messages, in append order. */
  byFolder: Map<string, CorpusMessage[]>;
}

export interface CorpusOptions {
  /** How many 8-12 MB messages (default 3). */
  hugeCount?: number;
  /** Whether 0.5% of messages are 2-5 MB (default yes). The Graph bench takes neither, see graph-bench.ts. */
  large?: boolean;
  /** Only the 2-50 KB text messages most mail is (the fleet bench: 40,000 messages in minutes). */
  smallOnly?: boolean;
}

export function buildCorpus(count: number, seed: number, options: CorpusOptions = {}): Corpus {
  const pools = makePools(seed);
  const huge = options.hugeCount ?? HUGE_COUNT;
  const hugeAt = new Set(Array.from({ length: Math.min(huge, count) }, (_, i) => Math.floor(((i + 1) * count) / (huge + 1))));
  const totalWeight = FOLDERS.reduce((sum, f) => sum + f.weight, 0);
  const messages: CorpusMessage[] = [];
  for (let index = 0; index < count; index++) {
    const rng = Prng.forItem(seed, index);
    const folder = pickFolder(rng, totalWeight);
    const size = hugeAt.has(index) ? rng.int(HUGE_MIN, HUGE_MAX) : pickSize(rng, options.large ?? true, options.smallOnly ?? false);
    const internalDate = pickDate(rng, folder.year);
    messages.push({
      index,
      folder: folder.path,
      flags: pickFlags(rng, folder.path),
      internalDate,
      raw: buildMessage(rng, pools, index, seed, size, internalDate, folder.path),
    });
  }
  const byFolder = new Map<string, CorpusMessage[]>(FOLDERS.map((f) => [f.path, []]));
  for (const m of messages) byFolder.get(m.folder)!.push(m);
  return { messages, byFolder, bytes: messages.reduce((sum, m) => sum + m.raw.length, 0) };
}

function pickFolder(rng: Prng, totalWeight: number): (typeof FOLDERS)[number] {
  let ticket = rng.next() * totalWeight;
  for (const folder of FOLDERS) {
    ticket -= folder.weight;
    if (ticket < 0) return folder;
  }
  return FOLDERS[0]!;
}

function pickSize(rng: Prng, large: boolean, smallOnly: boolean): number {
  const roll = smallOnly ? 1 : rng.next();
  if (roll < LARGE_SHARE) return large ? rng.int(LARGE_MIN, LARGE_MAX) : rng.logUniform(MEDIUM_MIN, MEDIUM_MAX);
  if (roll < LARGE_SHARE + MEDIUM_SHARE) return rng.logUniform(MEDIUM_MIN, MEDIUM_MAX);
  for (;;) {
    // Redraw rather than clamp, so the edges of the range do not pile up.
    const size = Math.round(SMALL_MEDIAN * Math.exp(SMALL_SIGMA * rng.normal()));
    if (size >= SMALL_MIN && size <= SMALL_MAX) return size;
  }
}

function pickDate(rng: Prng, year?: number): number {
  const from = year === undefined ? RECENT_FROM : Date.UTC(year, 0, 1);
  const to = year === undefined ? RECENT_TO : from + YEAR_MS - SECOND;
  return Math.floor((from + rng.next() * (to - from)) / SECOND) * SECOND;
}

function pickFlags(rng: Prng, folder: string): string[] {
  if (folder === 'Drafts') return ['\\Draft', '\\Seen'];
  if (folder === 'Sent') return ['\\Seen'];
  const flags: string[] = [];
  if (rng.chance(SEEN_SHARE)) flags.push('\\Seen');
  if (rng.chance(ANSWERED_SHARE)) flags.push('\\Answered');
  if (rng.chance(FLAGGED_SHARE)) flags.push('\\Flagged');
  if (rng.chance(FORWARDED_SHARE)) flags.push('$Forwarded');
  if (rng.chance(KEYWORD_SHARE)) flags.push(rng.pick(KEYWORDS));
  return flags;
}

interface Pools {
  text: string[];
  /** Base64 lines with CRLF, BASE64_LINE + 2 bytes each. */
  base64: Buffer;
}

function makePools(seed: number): Pools {
  const rng = new Prng(seed);
  const text = Array.from({ length: TEXT_POOL_LINES }, () => {
    const words = Array.from({ length: rng.int(6, 12) }, () => rng.pick(WORDS));
    return `${words.join(' ')}.`;
  });
  // 3 random bytes become 4 base64 characters; 16 MB of base64 is a multiple of 4 random bytes.
  const random = Buffer.alloc((BASE64_POOL_BYTES * 3) / 4);
  for (let i = 0; i < random.length; i += 4) random.writeUInt32LE(Math.floor(rng.next() * 2 ** 32), i);
  const encoded = random.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i + BASE64_LINE <= encoded.length; i += BASE64_LINE) lines.push(encoded.slice(i, i + BASE64_LINE));
  return { text, base64: Buffer.from(lines.join(CRLF) + CRLF) };
}

function buildMessage(rng: Prng, pools: Pools, index: number, seed: number, size: number, internalDate: number, folder: string): Buffer {
  const sent = folder === 'Sent' || folder === 'Drafts';
  const peer = `${rng.pick(['anna', 'bruno', 'chen', 'dana', 'emeka', 'fatima', 'goran'])}.${rng.int(1, 99)}@${rng.pick(['contoso.com', 'fabrikam.net', 'example.org'])}`;
  const me = 'Bench User <bench@mailferry.test>';
  const subject = `${rng.pick(['Re: ', 'Fwd: ', '', '', ''])}${textLines(rng, pools, 1).replace(/\.$/, '').slice(0, 60)}`;
  const date = new Date(internalDate - rng.int(1, 600) * SECOND).toUTCString().replace('GMT', '+0000');
  const boundary = `=_bench_${seed}_${index}`;
  const withAttachment = size > ATTACHMENT_FROM;
  const head =
    [
      `Return-Path: <${sent ? 'bench@mailferry.test' : peer}>`,
      `Received: from mx${rng.int(1, 9)}.example.net (mx.example.net [192.0.2.${rng.int(1, 254)}])${CRLF}\tby mail.mailferry.test with ESMTPS id ${index.toString(36)}${seed.toString(36)}; ${date}`,
      `From: ${sent ? me : `<${peer}>`}`,
      `To: ${sent ? `<${peer}>` : me}`,
      `Subject: ${subject}`,
      `Date: ${date}`,
      `Message-ID: <bench.${seed}.${index}@mailferry.test>`,
      'MIME-Version: 1.0',
      withAttachment ? `Content-Type: multipart/mixed; boundary="${boundary}"` : 'Content-Type: text/plain; charset=utf-8',
    ].join(CRLF) +
    CRLF +
    CRLF;
  if (!withAttachment) {
    const body = fillText(rng, pools, Math.max(size - head.length, 1));
    return Buffer.from(head + body);
  }
  const text = fillText(rng, pools, rng.int(KB, 4 * KB));
  const partHead =
    `--${boundary}${CRLF}Content-Type: text/plain; charset=utf-8${CRLF}${CRLF}${text}${CRLF}` +
    `--${boundary}${CRLF}Content-Type: application/octet-stream; name="file-${index}.bin"${CRLF}` +
    `Content-Transfer-Encoding: base64${CRLF}Content-Disposition: attachment; filename="file-${index}.bin"${CRLF}${CRLF}`;
  const tail = `--${boundary}--${CRLF}`;
  const lineBytes = BASE64_LINE + CRLF.length;
  const lines = Math.max(1, Math.floor((size - head.length - partHead.length - tail.length) / lineBytes));
  const start = rng.int(0, pools.base64.length / lineBytes - lines - 1) * lineBytes;
  return Buffer.concat([Buffer.from(head + partHead), pools.base64.subarray(start, start + lines * lineBytes), Buffer.from(tail)]);
}

function textLines(rng: Prng, pools: Pools, count: number): string {
  const start = rng.int(0, pools.text.length - 1);
  return Array.from({ length: count }, (_, i) => pools.text[(start + i) % pools.text.length]).join(CRLF);
}

/** Plain text of about `bytes` bytes, ending with CRLF. */
function fillText(rng: Prng, pools: Pools, bytes: number): string {
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const line = textLines(rng, pools, 1) + CRLF;
    parts.push(line);
    length += line.length;
  }
  return parts.join('');
}
