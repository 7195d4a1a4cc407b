/**
 * The Statistics view's charts as data: one point per ended pass (messages and bytes copied,
 * running totals over time) and axis scales. Pure so the numbers are tested without a browser.
 */
import type { Pass, PassKind } from '../api/types';

export interface PassPoint {
  passId: string;
  kind: PassKind;
  /** When the pass ended (ISO). */
  at: string;
  copied: number;
  bytes: number;
  failed: number;
  totalCopied: number;
  totalBytes: number;
}

/** Ended passes with a summary, oldest first, with running totals. */
export function passSeries(passes: readonly Pass[]): PassPoint[] {
  const ended = passes.filter((p) => p.summary && p.finishedAt).sort((a, b) => a.finishedAt!.localeCompare(b.finishedAt!));
  let totalCopied = 0;
  let totalBytes = 0;
  return ended.map((p) => {
    totalCopied += p.summary!.copied;
    totalBytes += p.summary!.bytes;
    return {
      passId: p.id,
      kind: p.kind,
      at: p.finishedAt!,
      copied: p.summary!.copied,
      bytes: p.summary!.bytes,
      failed: p.summary!.failed,
      totalCopied,
      totalBytes,
    };
  });
}

/** The smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 1): a round top for an axis. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** For byte axes: the smallest 1, 2 or 5 × 1024ⁿ-unit round top, so labels read 2 MiB rather than 2.1 MiB. */
export function niceBytesMax(value: number): number {
  if (!(value > 0)) return 1024;
  const unit = byteUnit(value);
  return niceMax(value / unit) * unit;
}

/**
 * Evenly spaced values from 0 to a round `max` (from niceMax/niceBytesMax) that stay round:
 * 5 → 0…5 by 1, 20 → by 5, 50 → by 10; `unit` is 1024ⁿ for byte axes.
 */
export function ticks(max: number, unit = 1): number[] {
  const m = max / unit;
  const mantissa = m / 10 ** Math.floor(Math.log10(m));
  const count = m <= 5 && Number.isInteger(m) ? m : Math.round(mantissa) === 2 ? 4 : 5;
  return Array.from({ length: count + 1 }, (_, i) => (max * i) / count);
}

/** The 1024ⁿ unit a byte count is written in (bytes, KiB, MiB…). */
export function byteUnit(value: number): number {
  return value >= 1024 ? 1024 ** Math.min(4, Math.floor(Math.log(value) / Math.log(1024))) : 1;
}

/**
 * x positions (0..1) for points in time; equal times (or one point) spread evenly instead, so
 * every point stays visible.
 */
export function timePositions(isoTimes: readonly string[]): number[] {
  const times = isoTimes.map((t) => Date.parse(t));
  const first = times[0] ?? 0;
  const span = (times[times.length - 1] ?? 0) - first;
  if (times.length <= 1) return times.map(() => 0.5);
  if (!(span > 0)) return times.map((_, i) => i / (times.length - 1));
  return times.map((t) => (t - first) / span);
}
