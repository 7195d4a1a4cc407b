/**
 * Folder commands on our own connection (imap-wire.ts): NAMESPACE, LIST (with LIST-STATUS,
 * RFC 5819, where offered: every folder's UIDVALIDITY/UIDNEXT/MESSAGES/HIGHESTMODSEQ in the one
 * round trip), STATUS and CREATE. With these a session opens, plans and finds that nothing changed
 * without loading imapflow at all (its ~100 modules cost a `mailferry migrate` start more than
 * the whole delta); imapflow does the FETCH-heavy work when there is some.
 */
import { MailferryError, NotFoundError } from '../../core/errors.js';
import type { ImapWire, TaggedResponse } from './imap-wire.js';
import { text, tokens, type ServerResponse, type Token } from './imap-response.js';
import { decodeMailboxName, encodeMailboxName, quote } from './imap-syntax.js';

export interface WireNamespace {
  /** Personal namespace prefix, e.g. `INBOX.` on Courier; '' on Dovecot's default. */
  prefix: string;
  delimiter: string;
}

export interface WireFolderStatus {
  uidValidity?: number;
  uidNext?: number;
  messages?: number;
  /** Decimal text: mod-sequences are 63-bit (RFC 7162 §3.1.1). */
  highestModseq?: string;
}

export interface WireMailbox {
  /** Decoded from modified UTF-7; INBOX in capitals whatever the server's case (RFC 3501 §5.1). */
  path: string;
  delimiter: string | null;
  flags: Set<string>;
  status?: WireFolderStatus;
}

export type StatusItem = 'UIDVALIDITY' | 'UIDNEXT' | 'MESSAGES' | 'HIGHESTMODSEQ';

/** Runs one command and hands its untagged responses of `kind` to `onResponse`. */
async function collect(wire: ImapWire, command: string, kind: string, onResponse: (values: Token[]) => void): Promise<TaggedResponse> {
  const upper = kind.toUpperCase();
  const unsubscribe = wire.onUntagged((response: ServerResponse) => {
    const values = tokens({ parts: [response.parts[0]!.slice(2), ...response.parts.slice(1)], literals: response.literals });
    if (typeof values[0] === 'string' && values[0].toUpperCase() === upper) onResponse(values.slice(1));
  });
  try {
    return await wire.run(command);
  } finally {
    unsubscribe();
  }
}

function refused(wire: ImapWire, command: string, response: TaggedResponse): MailferryError {
  return new MailferryError(
    'internal',
    `${wire.where()}: ${command} failed: ${response.status}${response.code ? ` [${response.code}]` : ''} ${response.text}`.trim(),
  );
}

/** RFC 2342: the first personal namespace; without NAMESPACE, the hierarchy delimiter LIST "" "" gives. */
export async function namespaceOf(wire: ImapWire): Promise<WireNamespace> {
  if (wire.capabilities.has('NAMESPACE')) {
    let found: WireNamespace | undefined;
    await collect(wire, 'NAMESPACE', 'NAMESPACE', (values) => {
      const personal = values[0];
      const first = Array.isArray(personal) ? personal[0] : undefined;
      if (Array.isArray(first)) found = { prefix: text(first[0]), delimiter: text(first[1]) };
    });
    if (found) return found;
  }
  let delimiter = '';
  await collect(wire, 'LIST "" ""', 'LIST', (values) => (delimiter = text(values[1])));
  return { prefix: '', delimiter };
}

/**
 * Every folder, with its STATUS inline where the server has LIST-STATUS (RFC 5819) and
 * `statusItems` are asked; SPECIAL-USE attributes (RFC 6154) asked for where offered.
 */
export async function listMailboxes(wire: ImapWire, statusItems: StatusItem[] = []): Promise<WireMailbox[]> {
  const caps = wire.capabilities;
  const items = statusItems.filter((item) => item !== 'HIGHESTMODSEQ' || caps.has('CONDSTORE'));
  const withStatus = caps.has('LIST-STATUS') && items.length > 0;
  const returns = [
    ...(caps.has('SPECIAL-USE') && caps.has('LIST-EXTENDED') ? ['SPECIAL-USE'] : []),
    ...(withStatus ? [`STATUS (${items.join(' ')})`] : []),
  ];
  const byPath = new Map<string, WireMailbox>();
  const statuses = new Map<string, WireFolderStatus>();
  const unsubscribe = wire.onUntagged((response) => {
    const values = tokens({ parts: [response.parts[0]!.slice(2), ...response.parts.slice(1)], literals: response.literals });
    const kind = typeof values[0] === 'string' ? values[0].toUpperCase() : '';
    if (kind === 'LIST') {
      const [flags, delimiter, name] = values.slice(1);
      const path = normalizeInbox(decodeMailboxName(text(name)));
      byPath.set(path, {
        path,
        delimiter: delimiter === null ? null : text(delimiter),
        flags: new Set(Array.isArray(flags) ? flags.map(text) : []),
      });
    } else if (kind === 'STATUS') {
      statuses.set(normalizeInbox(decodeMailboxName(text(values[1]))), statusFields(values[2]));
    }
  });
  try {
    const command = `LIST "" "*"${returns.length ? ` RETURN (${returns.join(' ')})` : ''}`;
    const response = await wire.run(command);
    if (response.status !== 'OK') throw refused(wire, 'LIST', response);
  } finally {
    unsubscribe();
  }
  for (const [path, status] of statuses) {
    const mailbox = byPath.get(path);
    if (mailbox) mailbox.status = status;
  }
  return [...byPath.values()];
}

/** STATUS of one folder; NotFoundError when it does not exist. */
export async function statusOf(wire: ImapWire, path: string, items: StatusItem[]): Promise<WireFolderStatus> {
  const asked = items.filter((item) => item !== 'HIGHESTMODSEQ' || wire.capabilities.has('CONDSTORE'));
  let status: WireFolderStatus | undefined;
  const response = await collect(
    wire,
    `STATUS ${mailboxArgument(path)} (${asked.join(' ')})`,
    'STATUS',
    (values) => (status = statusFields(values[1])),
  );
  if (response.status === 'OK' && status) return status;
  if (response.code === 'NONEXISTENT' || /doesn.t exist|not exist|unknown mailbox/i.test(response.text)) {
    throw new NotFoundError(`Folder "${path}" does not exist.`);
  }
  throw refused(wire, 'STATUS', response);
}

/** CREATE; resolves for ALREADYEXISTS (RFC 5530 §3), returns the tagged response otherwise. */
export async function createMailbox(wire: ImapWire, path: string): Promise<TaggedResponse> {
  return wire.run(`CREATE ${mailboxArgument(path)}`);
}

export function mailboxArgument(path: string): string {
  return quote(encodeMailboxName(path));
}

function normalizeInbox(path: string): string {
  return path.toUpperCase() === 'INBOX' ? 'INBOX' : path;
}

function statusFields(list: Token | undefined): WireFolderStatus {
  const status: WireFolderStatus = {};
  if (!Array.isArray(list)) return status;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = text(list[i]).toUpperCase();
    const value = text(list[i + 1]);
    if (!/^\d+$/.test(value)) continue;
    if (name === 'UIDVALIDITY') status.uidValidity = Number(value);
    else if (name === 'UIDNEXT') status.uidNext = Number(value);
    else if (name === 'MESSAGES') status.messages = Number(value);
    else if (name === 'HIGHESTMODSEQ') status.highestModseq = value;
  }
  return status;
}
