/**
 * The server's own wait, as HTTP says it (RFC 9110 §10.2.3: `Retry-After` is delay-seconds or an
 * HTTP-date). Every HTTP client of Mailferry reads it here: the EWS and Graph transports, the
 * Graph mailer and the Teams notifier.
 */

const MS_PER_SECOND = 1000;
/** delay-seconds is `1*DIGIT`; a fraction ("1.5") is read too, since some gateways send one. */
const DELAY_SECONDS = /^\d+(?:\.\d+)?$/;
/**
 * An HTTP-date names a day or a month ("Sun, 06 Nov 1994 08:49:37 GMT"). Without a letter,
 * `Date.parse` would read "-1" or "2.5" as a year and turn junk into a wait of decades.
 */
const HAS_LETTER = /[A-Za-z]/;

/**
 * The wait in ms (0 for a date already past), or undefined when the header is absent or
 * unreadable. `nowMs` comes from the caller's clock, so a test clock drives date arithmetic too.
 */
export function parseRetryAfterMs(header: string | readonly string[] | null | undefined, nowMs: number = Date.now()): number | undefined {
  const value = (typeof header === 'string' ? header : header?.[0])?.trim();
  if (!value) return undefined;
  if (DELAY_SECONDS.test(value)) return Math.round(Number(value) * MS_PER_SECOND);
  if (!HAS_LETTER.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
