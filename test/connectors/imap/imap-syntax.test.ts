import { describe, expect, it } from 'vitest';
import {
  decodeMailboxName,
  encodeMailboxName,
  fitsQuoted,
  formatFlags,
  formatInternalDate,
  quote,
} from '../../../api/connectors/imap/imap-syntax.js';

describe('IMAP wire syntax', () => {
  it('encodes mailbox names in modified UTF-7 and back', () => {
    expect(encodeMailboxName('日本語')).toBe('&ZeVnLIqe-');
    expect(encodeMailboxName('A & B')).toBe('A &- B');
    expect(decodeMailboxName(encodeMailboxName('Boîte de réception'))).toBe('Boîte de réception');
  });

  it('keeps names as they are once UTF8=ACCEPT is enabled', () => {
    expect(encodeMailboxName('日本語', true)).toBe('日本語');
  });

  it('quotes with backslash escapes for " and \\', () => {
    expect(quote('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
  });

  it('refuses to quote line breaks and 8-bit text', () => {
    expect(fitsQuoted('plain ascii')).toBe(true);
    expect(fitsQuoted('two\r\nlines')).toBe(false);
    expect(fitsQuoted('pässword')).toBe(false);
  });

  it('formats the internal date as RFC 3501 date-time with a space-padded day', () => {
    expect(formatInternalDate(Date.UTC(2024, 0, 5, 7, 8, 9))).toBe('" 5-Jan-2024 07:08:09 +0000"');
    expect(formatInternalDate(Date.UTC(2023, 11, 25, 23, 59, 0))).toBe('"25-Dec-2023 23:59:00 +0000"');
  });

  it('drops \\Recent and invalid keywords but keeps system flags and keywords', () => {
    expect(formatFlags(['\\Seen', '\\Recent', '$Forwarded', 'Work', 'bad keyword', '\\Flagged'])).toBe(
      '(\\Seen $Forwarded Work \\Flagged)',
    );
  });
});
