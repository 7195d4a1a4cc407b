import { describe, expect, it } from 'vitest';
import { MAX_THROTTLE_WAIT_MS, parseSuggestedBackoffMs, throttledFromText } from '../../../api/connectors/imap/throttle.js';
import { ThrottledError } from '../../../api/core/errors.js';

describe('Microsoft 365 throttle text', () => {
  it('reads the suggested backoff from a NO response', () => {
    expect(parseSuggestedBackoffMs('Request is throttled. Suggested Backoff Time: 92415 milliseconds')).toBe(92_415);
  });

  it('reads it from a BYE as well, whatever the case and spacing', () => {
    expect(parseSuggestedBackoffMs('* BYE  request is THROTTLED. suggested backoff time:1500 Milliseconds')).toBe(1_500);
  });

  it('caps a very long hint at five minutes', () => {
    expect(parseSuggestedBackoffMs('Suggested Backoff Time: 86400000 milliseconds')).toBe(MAX_THROTTLE_WAIT_MS);
    expect(MAX_THROTTLE_WAIT_MS).toBe(300_000);
  });

  it('understands a hint given in seconds', () => {
    expect(parseSuggestedBackoffMs('Suggested Backoff Time: 30 seconds')).toBe(30_000);
  });

  it('ignores texts that are not throttle notices', () => {
    expect(parseSuggestedBackoffMs('APPEND completed')).toBeUndefined();
    expect(parseSuggestedBackoffMs(undefined)).toBeUndefined();
  });

  it('turns a notice into a retryable ThrottledError carrying the wait', () => {
    const err = throttledFromText('Request is throttled. Suggested Backoff Time: 2000 milliseconds', 'APPEND');
    expect(err).toBeInstanceOf(ThrottledError);
    expect(err?.retryable).toBe(true);
    expect(err?.retryAfterMs).toBe(2_000);
  });
});
