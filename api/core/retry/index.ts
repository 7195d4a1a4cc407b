/** One retry vocabulary: `Retry-After`, status → typed error, jittered back-off, the inline-wait ceiling. */
export { parseRetryAfterMs } from './retry-after.js';
export { type BackoffSchedule, DEFAULT_JITTER_RATIO, backoffMs } from './backoff.js';
export { type HttpFailureKind, classifyHttpStatus, httpFailureError } from './http-status.js';
export { MAX_INLINE_WAIT_MS, pauseUnlessAborted } from './inline-wait.js';
