import { MailferryError, ValidationError } from '../core/errors.js';
import { MAX_CSV_BODY_BYTES, MAX_JSON_BODY_BYTES } from './api-types.js';

/** CSV uploads (Bulk Add) may be larger than JSON bodies. */
export function bodyLimitFor(contentType: string | undefined): { isCsv: boolean; limitBytes: number } {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const isCsv = type === 'text/csv' || type === 'text/plain';
  return { isCsv, limitBytes: isCsv ? MAX_CSV_BODY_BYTES : MAX_JSON_BODY_BYTES };
}

export function tooLarge(limitBytes: number): MailferryError {
  return new MailferryError('too-large', `The request body is over the ${limitBytes}-byte limit; split the upload into smaller files.`, { field: 'body' });
}

/** The body as the router wants it: CSV as text, JSON parsed, nothing when empty. */
export function parseBody(text: string, isCsv: boolean): unknown {
  if (!text.length) return undefined;
  if (isCsv) return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`The request body is not valid JSON: ${(error as Error).message}`, { field: 'body' });
  }
}
