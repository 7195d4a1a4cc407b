import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64Length } from '../support/graph/base64.js';

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** What the server checked before: the regular expressions over the text (whitespace removed first where allowed). */
function byRegex(text: string, urlSafe: boolean, spaces: boolean): number | undefined {
  const compact = spaces ? text.replace(/\s+/g, '') : text;
  return (urlSafe ? URL_SAFE : STANDARD).test(compact) ? compact.length : undefined;
}

describe('the Graph test server base64 check', () => {
  const samples = [
    '',
    'QQ==',
    'QUI=',
    'QUJD',
    'QQ=',
    'QQ===',
    'Q=Q=',
    '=QQ=',
    'QU JD\r\n',
    '\tQUJD ',
    'QUJD\u00a0',
    'QUJD\u2028',
    'QU-_',
    'QU*D',
    'QUJDé',
    'QUJD\u0141',
    'QQ=\n=',
    'QQ= =a',
    randomBytes(3000).toString('base64'),
    randomBytes(3000).toString('base64url'),
    `${randomBytes(300)
      .toString('base64')
      .replace(/(.{76})/g, '$1\r\n')}`,
  ];

  it('answers as the regular expressions did, for every rule', () => {
    for (const text of samples)
      for (const urlSafe of [false, true])
        for (const spaces of [false, true])
          expect(base64Length(text, { urlSafe, spaces }), JSON.stringify(text.slice(0, 40))).toBe(byRegex(text, urlSafe, spaces));
  });

  it('answers as the regular expressions did for random damage to a valid text', () => {
    const alphabet = 'ABCab09+/=-_ \t\r\n*.é\u00a0';
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 2000; n++) {
      const chars = [...randomBytes(12).toString('base64')];
      for (let k = next() % 3; k >= 0; k--) chars[next() % chars.length] = alphabet[next() % alphabet.length]!;
      const text = chars.join('');
      for (const urlSafe of [false, true])
        for (const spaces of [false, true])
          expect(base64Length(text, { urlSafe, spaces }), JSON.stringify(text)).toBe(byRegex(text, urlSafe, spaces));
    }
  });
});
