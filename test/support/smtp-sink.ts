/**
 * A real SMTP server (`smtp-server`) on a free loopback port that keeps every message it
 * receives, for tests of what Mailferry sends. Messages are decoded just enough to assert on:
 * unfolded headers and each text part's body (quoted-printable or base64 undone).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { waitUntil } from './wait-until.js';

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  raw: string;
  headers: Map<string, string>;
  text?: string;
  html?: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  messages: ReceivedMail[];
  /** Resolves with the first message (received or future) matching `predicate`. */
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** When set, clients must log in with exactly this user and password. */
  auth?: { user: string; pass: string };
  /** RCPT TO addresses the server refuses with 550. */
  rejectRecipients?: string[];
}

const WAIT_TIMEOUT_MS = 10_000;
const POLL_MS = 20;
const SMTP_MAILBOX_UNAVAILABLE = 550;

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    // Loopback and plain text: the test server offers no STARTTLS and allows AUTH without TLS.
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !options.auth,
    logger: false,
    onAuth(auth, _session, callback) {
      const expected = options.auth;
      if (expected && auth.username === expected.user && auth.password === expected.pass) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      if (options.rejectRecipients?.includes(address.address)) {
        return callback(Object.assign(new Error(`Mailbox ${address.address} does not exist`), { responseCode: SMTP_MAILBOX_UNAVAILABLE }));
      }
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const from = session.envelope.mailFrom;
        messages.push({
          envelopeFrom: from ? from.address : '',
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...decodeMessage(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    messages,
    async waitFor(predicate, timeoutMs = WAIT_TIMEOUT_MS) {
      return waitUntil('a matching e-mail', () => messages.find(predicate), {
        timeoutMs,
        intervalMs: POLL_MS,
        describe: () => `${messages.length} e-mail(s) received`,
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function decodeMessage(raw: string): Pick<ReceivedMail, 'headers' | 'text' | 'html'> {
  const { headers, body } = splitEntity(raw);
  const mail: Pick<ReceivedMail, 'headers' | 'text' | 'html'> = { headers };
  collectParts(headers, body, mail);
  return mail;
}

function collectParts(headers: Map<string, string>, body: string, mail: Pick<ReceivedMail, 'text' | 'html'>): void {
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      const entity = splitEntity(part.replace(/^\r\n/, ''));
      collectParts(entity.headers, entity.body, mail);
    }
    return;
  }
  // The CRLF before a boundary (RFC 2046 §5.1.1) or the end of DATA is not content; SMTP sends CRLF, tests compare LF.
  const decoded = decodeBody(body.replace(/\r\n$/, ''), headers.get('content-transfer-encoding') ?? '7bit').replace(/\r\n/g, '\n');
  if (type.toLowerCase().startsWith('text/html')) mail.html = decoded;
  else if (type.toLowerCase().startsWith('text/plain')) mail.text = decoded;
}

function splitEntity(raw: string): { headers: Map<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const headers = new Map<string, string>();
  // RFC 5322 §2.2.3: a folded header continues on lines that start with white space.
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  return { headers, body: end < 0 ? '' : raw.slice(end + 4) };
}

function decodeBody(body: string, encoding: string): string {
  const kind = encoding.trim().toLowerCase();
  if (kind === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (kind === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/** RFC 2045 §6.7: soft line breaks end in `=`; `=XX` is one octet. */
function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined[i] === '=' ? /^[0-9A-Fa-f]{2}$/.exec(joined.slice(i + 1, i + 3))?.[0] : undefined;
    if (hex) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (`=?UTF-8?Q?...?=` / `?B?`), as nodemailer writes non-ASCII subjects. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, _charset: string, kind: string, data: string) =>
      kind.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}
