/**
 * Numbers as an admin reads them on a card, in the console and the CLI: "1.5 GiB", "2 h 5 min",
 * "12,345". Sizes are binary multiples (1 KiB = 1024 bytes, what Exchange and Outlook compute
 * mailbox sizes in) and say so with the IEC names, so "340 MiB" is never read as 340,000,000
 * bytes. The console imports this file too (tab/src/common/format.ts): one way to write a size.
 */

const BYTES_PER_UNIT = 1024;
const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;
/** Below this a value keeps one decimal ("1.5 GiB"); above it the decimal is noise ("340 GiB"). */
const ONE_DECIMAL_BELOW = 10;

const MS_PER_SECOND = 1000;
const SECONDS_PER_MINUTE = 60;
const SECONDS_PER_HOUR = 60 * SECONDS_PER_MINUTE;
const SECONDS_PER_DAY = 24 * SECONDS_PER_HOUR;

/** Built on first use: a NumberFormat loads ICU data, which costs a CLI start 20-250 ms it may never need. */
let countFormat: Intl.NumberFormat | undefined;

export function formatCount(value: number): string {
  countFormat ??= new Intl.NumberFormat('en-US');
  return countFormat.format(value);
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < BYTES_PER_UNIT) {
    const whole = Math.max(0, Math.round(Number.isFinite(bytes) ? bytes : 0));
    return `${whole} ${whole === 1 ? 'byte' : 'bytes'}`;
  }
  let value = bytes;
  let unit = 0;
  for (value /= BYTES_PER_UNIT; value >= BYTES_PER_UNIT && unit < BYTE_UNITS.length - 1; value /= BYTES_PER_UNIT) unit++;
  // Rounding 9.96 to one decimal gives "10.0": decide the precision after rounding.
  const oneDecimal = Math.round(value * 10) / 10;
  const shown = oneDecimal < ONE_DECIMAL_BELOW ? String(oneDecimal) : String(Math.round(value));
  return `${shown} ${BYTE_UNITS[unit]}`;
}

/** The two largest non-zero units, e.g. "3 d 4 h", "12 min 5 s", "45 s"; under a second is "less than 1 s". */
export function formatDuration(durationMs: number): string {
  const totalSeconds = Math.round(Math.max(0, Number.isFinite(durationMs) ? durationMs : 0) / MS_PER_SECOND);
  if (totalSeconds === 0) return 'less than 1 s';
  const parts: [number, string][] = [
    [Math.floor(totalSeconds / SECONDS_PER_DAY), 'd'],
    [Math.floor((totalSeconds % SECONDS_PER_DAY) / SECONDS_PER_HOUR), 'h'],
    [Math.floor((totalSeconds % SECONDS_PER_HOUR) / SECONDS_PER_MINUTE), 'min'],
    [totalSeconds % SECONDS_PER_MINUTE, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(' ');
}
