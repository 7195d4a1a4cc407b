import { MailferryError, ValidationError } from '../core/errors.js';
import { MAX_CSV_BODY_BYTES, MAX_JSON_BODY_BYTES } from './api-types.js';

export const JSON_MEDIA_TYPE = 'application/json';
/** Only Bulk Add takes it (routes say so with `takesCsv`). */
export const CSV_MEDIA_TYPE = 'text/csv';

/** `application/json; charset=utf-8` → `application/json`; undefined when the header is absent or empty. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type || undefined;
}

/** CSV uploads (Bulk Add) may be larger than JSON bodies. */
export function bodyLimitFor(contentType: string | undefined): { isCsv: boolean; limitBytes: number } {
  const isCsv = mediaTypeOf(contentType) === CSV_MEDIA_TYPE;
  return { isCsv, limitBytes: isCsv ? MAX_CSV_BODY_BYTES : MAX_JSON_BODY_BYTES };
}

export function tooLarge(limitBytes: number): MailferryError {
  return new MailferryError('too-large', `The request body is over the ${limitBytes}-byte limit; split the upload into smaller files.`, {
    field: 'body',
  });
}

/** 415 naming what to send instead. */
export function unsupportedMediaType(
  got: string | undefined,
  wanted = `${JSON_MEDIA_TYPE} (Bulk Add also takes ${CSV_MEDIA_TYPE})`,
): MailferryError {
  const sent = got ? `Content-Type ${got}` : 'no Content-Type';
  return new MailferryError('unsupported-media-type', `The request body came with ${sent}: send it as ${wanted}.`, {
    field: 'content-type',
  });
}

/**
 * The body as the router wants it: CSV as text, JSON parsed, nothing when empty. Only those two
 * media types are read: a form post or a `text/plain` fetch is what another web page can send
 * without the browser asking first (a CORS "simple request"), so it is never taken for JSON.
 */
export function parseBody(text: string, contentType: string | undefined): unknown {
  if (!text.length) return undefined;
  const type = mediaTypeOf(contentType);
  if (type === CSV_MEDIA_TYPE) return text;
  if (type !== JSON_MEDIA_TYPE) throw unsupportedMediaType(type);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`The request body is not valid JSON: ${(error as Error).message}`, { field: 'body' });
  }
}
