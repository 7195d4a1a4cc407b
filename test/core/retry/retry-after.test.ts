import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs } from '../../../api/core/retry/index.js';

const NOW_MS = Date.parse('2026-03-02T09:00:00Z');

describe('parseRetryAfterMs', () => {
  it('reads delay-seconds, whole or with a fraction, and trims', () => {
    expect(parseRetryAfterMs('120', NOW_MS)).toBe(120_000);
    expect(parseRetryAfterMs(' 3 ', NOW_MS)).toBe(3_000);
    expect(parseRetryAfterMs('1.5', NOW_MS)).toBe(1_500);
    expect(parseRetryAfterMs('0', NOW_MS)).toBe(0);
  });

  it("reads an HTTP-date against the caller's clock; a date already past is no wait", () => {
    expect(parseRetryAfterMs('Mon, 02 Mar 2026 09:00:30 GMT', NOW_MS)).toBe(30_000);
    expect(parseRetryAfterMs('Sun, 01 Mar 2026 09:00:00 GMT', NOW_MS)).toBe(0);
  });

  it('takes the first value of a repeated header', () => {
    expect(parseRetryAfterMs(['7', '9'], NOW_MS)).toBe(7_000);
  });

  it('ignores what it cannot read instead of inventing a wait (Date.parse would read "-1" as a year)', () => {
    for (const junk of ['soon', '-1', '2.5.1', '', '   ', null, undefined, []]) {
      expect(parseRetryAfterMs(junk as string | null | undefined, NOW_MS)).toBeUndefined();
    }
  });
});
