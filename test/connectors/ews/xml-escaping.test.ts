/** All XML escaping of the EWS connector is xml.ts's: what it escapes, the DOM parser and unescapeXml read back. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeXml, parseXml, unescapeXml } from '../../../api/connectors/ews/xml.js';

/** XML 1.0 cannot carry these at all; escapeXml drops them. */
// eslint-disable-next-line no-control-regex
const INVALID =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

describe('escapeXml and unescapeXml', () => {
  it('round-trip any text XML can hold, as element text and as an attribute value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (raw) => {
        const value = raw.replace(INVALID, '');
        expect(unescapeXml(escapeXml(value))).toBe(value);
        const doc = parseXml(`<a b="${escapeXml(value)}">${escapeXml(value)}</a>`);
        expect(doc.documentElement.getAttribute('b')).toBe(value);
        expect(doc.documentElement.textContent).toBe(value);
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('reads numeric references too', () => {
    expect(unescapeXml('Fish &#38; Chips &#x65E5;&#x672C; &apos;x&apos;')).toBe("Fish & Chips 日本 'x'");
  });
});
