import { describe, expect, it } from 'vitest';
import { AuthError, ConnectionError, ThrottledError } from '../../../api/core/errors.js';
import { classifyHttpStatus, httpFailureError } from '../../../api/core/retry/index.js';

describe('classifyHttpStatus', () => {
  it('calls 429 and 503 throttling, with or without Retry-After', () => {
    for (const status of [429, 503]) {
      expect(classifyHttpStatus(status)).toBe('throttled');
      expect(classifyHttpStatus(status, true)).toBe('throttled');
    }
  });

  it('calls another 5xx throttling only when it carries Retry-After, else transient; 408 is transient', () => {
    expect(classifyHttpStatus(500)).toBe('transient');
    expect(classifyHttpStatus(502)).toBe('transient');
    expect(classifyHttpStatus(504, true)).toBe('throttled');
    expect(classifyHttpStatus(408)).toBe('transient');
  });

  it('calls 401 and 403 auth, any other 4xx permanent, and a success nothing', () => {
    expect(classifyHttpStatus(401)).toBe('auth');
    expect(classifyHttpStatus(403)).toBe('auth');
    expect(classifyHttpStatus(400)).toBe('permanent');
    expect(classifyHttpStatus(404)).toBe('permanent');
    expect(classifyHttpStatus(200)).toBeUndefined();
    expect(classifyHttpStatus(304)).toBeUndefined();
  });
});

describe('httpFailureError', () => {
  it('makes the typed error whose retryable flag matches the kind', () => {
    const throttled = httpFailureError('throttled', 'slow down', 7_000);
    expect(throttled).toBeInstanceOf(ThrottledError);
    expect(throttled).toMatchObject({ retryable: true, retryAfterMs: 7_000 });
    expect(httpFailureError('transient', 'gateway', 0)).toBeInstanceOf(ConnectionError);
    expect(httpFailureError('auth', 'login', 0)).toBeInstanceOf(AuthError);
    expect(httpFailureError('permanent', 'no', 0)).toMatchObject({ code: 'rejected', retryable: false });
  });
});
