import { ValidationError } from './errors.js';

const MS_PER_DAY = 86_400_000;
const RELATIVE_DAYS = /^\s*(\d{1,5})\s*(?:d|days?)(?:\s+ago)?\s*$/i;

/**
 * Reads a pre-stage cutoff the way admins write it: "90 days ago", "90d", "90", or an ISO date
 * ("2026-08-23" or a full timestamp). Returns the instant before which items are copied.
 */
export function parseCutoff(text: string, now: Date, field = 'cutoff'): Date {
  const trimmed = text.trim();
  const relative = RELATIVE_DAYS.exec(trimmed) ?? /^\s*(\d{1,5})\s*$/.exec(trimmed);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * MS_PER_DAY);
  const date = new Date(trimmed);
  if (trimmed && !Number.isNaN(date.getTime())) return date;
  throw new ValidationError(
    `"${text}" is not a cutoff Mailferry understands: write a number of days ("90 days ago", "90d") or a date ("2026-08-23").`,
    { field },
  );
}

export function parseDate(text: string, field: string): Date {
  const date = new Date(text.trim());
  if (!text.trim() || Number.isNaN(date.getTime())) {
    throw new ValidationError(`"${text}" is not a date: use ISO 8601, e.g. 2026-08-23 or 2026-08-23T12:00:00Z.`, { field });
  }
  return date;
}
