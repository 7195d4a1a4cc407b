/**
 * Microsoft 365 throttles IMAP with human-readable text, e.g.
 * `A12 NO Request is throttled. Suggested Backoff Time: 92415 milliseconds` (also seen on BAD
 * and in a BYE). There is no response code for it, so the text is the only signal.
 */
import { ThrottledError } from '../../core/errors.js';

/** Longer hints are capped: the engine reschedules the job rather than sleeping for hours. */
export const MAX_THROTTLE_WAIT_MS = 5 * 60 * 1000;

const BACKOFF_PATTERN = /Suggested\s+Backoff\s+Time[:=\s]+(\d+)\s*(milliseconds|ms|seconds|s)?/i;

/** The server's suggested wait in ms (capped), or undefined when the text is not a throttle notice. */
export function parseSuggestedBackoffMs(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const match = BACKOFF_PATTERN.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 'milliseconds').toLowerCase();
  const value = Number(match[1]) * (unit.startsWith('s') ? 1000 : 1);
  return Math.min(value, MAX_THROTTLE_WAIT_MS);
}

/** A ThrottledError when `text` carries a backoff hint, else undefined. */
export function throttledFromText(text: string | undefined, context: string): ThrottledError | undefined {
  const waitMs = parseSuggestedBackoffMs(text);
  if (waitMs === undefined) return undefined;
  return new ThrottledError(`${context}: the server is throttling requests (${text?.trim()}).`, waitMs);
}
