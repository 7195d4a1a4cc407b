/**
 * Selecting a folder and reading message attributes on our own connection (imap-wire.ts): SELECT
 * and EXAMINE with what they report (EXISTS, UIDVALIDITY, PERMANENTFLAGS), `UID FETCH` of
 * attributes (UID, FLAGS, INTERNALDATE, RFC822.SIZE) parsed as each response arrives, `UID SEARCH`
 * and `UID STORE`. These replace imapflow for listings, flags and crash recovery, so a session
 * needs one connection and no imapflow at all.
 */
import { MailferryError, NotFoundError } from '../../core/errors.js';
import { text, tokens, type Token } from './imap-response.js';
import type { ImapWire, TaggedResponse } from './imap-wire.js';
import { throttledFromText } from './throttle.js';
import { mailboxArgument } from './wire-commands.js';

export interface OpenedMailbox {
  exists: number;
  uidValidity?: number;
  /** RFC 3501 §7.1 PERMANENTFLAGS; undefined when the server sent none (then every flag is kept). */
  permanentFlags?: Set<string>;
}

/** One `* n FETCH (…)` response's attributes. */
export interface FetchedAttributes {
  uid?: number;
  flags?: string[];
  internalDate?: number;
  size?: number;
}

/** A refused command as a MailferryError; a throttling answer (Microsoft 365) as ThrottledError. */
export function commandFailed(wire: ImapWire, command: string, response: TaggedResponse): MailferryError {
  const said = `${response.status}${response.code ? ` [${response.code}]` : ''} ${response.text}`.trim();
  return (
    throttledFromText(response.text, `${wire.where()}: ${command}`) ??
    new MailferryError('internal', `${wire.where()}: ${command} failed: ${said}`)
  );
}

/**
 * SELECT (read-write) or EXAMINE (read-only) a folder, always anew (its EXISTS and UIDVALIDITY
 * are what the caller wants); remembered on the wire so the APPEND and read paths need not.
 */
export async function openMailbox(wire: ImapWire, path: string, readOnly: boolean): Promise<OpenedMailbox> {
  const opened: OpenedMailbox = { exists: 0 };
  wire.selected = undefined;
  const unsubscribe = wire.onUntagged((response) => {
    if (response.literals.length) return;
    const line = response.parts[0]!;
    const exists = /^\* (\d+) EXISTS$/i.exec(line);
    if (exists) {
      opened.exists = Number(exists[1]);
      return;
    }
    const code = /^\* OK \[(UIDVALIDITY|PERMANENTFLAGS) ([^\]]*)\]/i.exec(line);
    if (!code) return;
    if (code[1]!.toUpperCase() === 'UIDVALIDITY') opened.uidValidity = Number(code[2]);
    else opened.permanentFlags = new Set(/^\(([^)]*)\)/.exec(code[2]!)?.[1]?.split(' ').filter(Boolean) ?? []);
  });
  let response: TaggedResponse;
  try {
    response = await wire.run(`${readOnly ? 'EXAMINE' : 'SELECT'} ${mailboxArgument(path)}`);
  } finally {
    unsubscribe();
  }
  if (response.status !== 'OK') {
    const throttled = throttledFromText(response.text, `${wire.where()}: SELECT`);
    if (throttled) throw throttled;
    throw new NotFoundError(
      `The folder "${path}" cannot be opened: ${response.status}${response.code ? ` [${response.code}]` : ''} ${response.text}`.trim(),
    );
  }
  wire.selected = { path, readOnly };
  return opened;
}

/**
 * Runs a `UID FETCH` (or any command whose answers are FETCH responses) and hands each
 * response's attributes to `onFetch` as it arrives: nothing of a 10,000-message listing is held
 * but what the caller keeps.
 */
export async function fetchAttributes(wire: ImapWire, command: string, onFetch: (attributes: FetchedAttributes) => void): Promise<void> {
  const unsubscribe = wire.onUntagged((response) => {
    const line = response.parts[0]!;
    if (!FETCH_LINE.test(line)) return;
    const values = tokens({ parts: [line.slice(2), ...response.parts.slice(1)], literals: response.literals });
    onFetch(attributesOf(values[2]));
  });
  let response: TaggedResponse;
  try {
    response = await wire.run(command);
  } finally {
    unsubscribe();
  }
  if (response.status !== 'OK') throw commandFailed(wire, command.split(' ', 2).join(' '), response);
}

const FETCH_LINE = /^\* \d+ FETCH /i;

function attributesOf(list: Token | undefined): FetchedAttributes {
  const attributes: FetchedAttributes = {};
  if (!Array.isArray(list)) return attributes;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = text(list[i]).toUpperCase();
    const value = list[i + 1];
    if (name === 'UID') attributes.uid = Number(text(value));
    else if (name === 'FLAGS') attributes.flags = Array.isArray(value) ? value.map(text) : [];
    else if (name === 'INTERNALDATE') attributes.internalDate = parseInternalDate(text(value));
    else if (name === 'RFC822.SIZE') attributes.size = Number(text(value));
  }
  return attributes;
}

const MONTHS: Record<string, number> = {
  JAN: 0,
  FEB: 1,
  MAR: 2,
  APR: 3,
  MAY: 4,
  JUN: 5,
  JUL: 6,
  AUG: 7,
  SEP: 8,
  OCT: 9,
  NOV: 10,
  DEC: 11,
};
const DATE_TIME = /^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** RFC 3501 §9 `date-time` (`" 1-Feb-2024 10:00:00 +0100"`) as epoch milliseconds; 0 when unreadable. */
export function parseInternalDate(value: string): number {
  const m = DATE_TIME.exec(value);
  const month = m ? MONTHS[m[2]!.toUpperCase()] : undefined;
  if (!m || month === undefined) {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? 0 : parsed;
  }
  const offsetMinutes = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  return Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offsetMinutes * 60_000;
}

const SEARCH_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3501 §9 `date` for SEARCH (`1-Feb-2024`), the UTC day of `epochMs`. */
export function searchDate(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCDate()}-${SEARCH_MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()}`;
}

/** `UID SEARCH criteria` in the selected folder: the UIDs, ascending. */
export async function uidSearch(wire: ImapWire, criteria: string): Promise<number[]> {
  const uids: number[] = [];
  const unsubscribe = wire.onUntagged((response) => {
    const found = /^\* SEARCH\b(.*)$/i.exec(response.parts[0]!);
    if (!found) return;
    for (const uid of found[1]!.trim().split(/\s+/)) if (/^\d+$/.test(uid)) uids.push(Number(uid));
  });
  let response: TaggedResponse;
  try {
    response = await wire.run(`UID SEARCH ${criteria}`);
  } finally {
    unsubscribe();
  }
  if (response.status !== 'OK') throw commandFailed(wire, 'UID SEARCH', response);
  return uids.sort((a, b) => a - b);
}
