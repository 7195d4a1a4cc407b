/**
 * Wire syntax shared by our own IMAP writer (append-pipeline.ts): strings, mailbox names,
 * flags and dates exactly as RFC 3501 §4 and §9 spell them.
 */
import iconv from 'iconv-lite';

/** RFC 3501 §5.1.3: mailbox names travel in modified UTF-7 unless UTF8=ACCEPT is enabled (RFC 6855 §3). */
export function encodeMailboxName(name: string, utf8Enabled = false): string {
  return utf8Enabled ? name : iconv.encode(name, 'utf-7-imap').toString('latin1');
}

export function decodeMailboxName(name: string): string {
  return iconv.decode(Buffer.from(name, 'latin1'), 'utf-7-imap');
}

/** True when `value` fits a quoted string: 7-bit TEXT-CHARs only, no CR/LF/NUL (RFC 3501 §4.3, §9 `quoted`). */
export function fitsQuoted(value: string): boolean {
  return /^[\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(value);
}

/** A quoted string with `"` and `\` escaped (RFC 3501 §9 `quoted-specials`). */
export function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3501 §9 `date-time`: `"dd-Mon-yyyy hh:mm:ss +zzzz"`, day padded with a space; we send UTC. */
export function formatInternalDate(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, ' ');
  return (
    `"${day}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000"`
  );
}

/** RFC 3501 §9 `atom-specials` plus `]`, which a flag keyword may not carry either. */
const NOT_ATOM_CHAR = /[\x00-\x20\x7f-\uffff(){%*"\\\]]/;

/**
 * The flag list for APPEND. `\Recent` is dropped: only the server may set it (RFC 3501 §2.3.2);
 * keywords that are not valid atoms would turn the whole APPEND into BAD, so they are dropped too.
 */
export function formatFlags(flags: readonly string[]): string {
  return `(${storableFlags(flags).join(' ')})`;
}

/** The flags a client may set (APPEND, STORE): without `\Recent` and keywords that are not atoms. */
export function storableFlags(flags: readonly string[]): string[] {
  return flags.filter((flag) => {
    if (flag.toLowerCase() === '\\recent') return false;
    const atom = flag.startsWith('\\') ? flag.slice(1) : flag;
    return atom.length > 0 && !NOT_ATOM_CHAR.test(atom);
  });
}
