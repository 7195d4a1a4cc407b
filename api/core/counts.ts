import type { Counts, ItemStatistics } from './model.js';

const MS_PER_SECOND = 1000;
/** Rates are shown with one decimal. */
const RATE_PRECISION = 10;

export function zeroCounts(): Counts {
  return { copied: 0, skipped: 0, failed: 0, bytes: 0 };
}

/** Only the counters of a record that carries more (progress, statistics, a run). */
export function countsOf(from: Counts): Counts {
  const counts: Counts = { copied: from.copied, skipped: from.skipped, failed: from.failed, bytes: from.bytes };
  if (from.flagsUpdated) counts.flagsUpdated = from.flagsUpdated;
  return counts;
}

/** Adds `from`'s counters into `into` (its other fields untouched) and returns `into`. */
export function addCounts<T extends Counts>(into: T, from: Counts): T {
  into.copied += from.copied;
  into.skipped += from.skipped;
  into.failed += from.failed;
  into.bytes += from.bytes;
  // Kept absent while zero, so records written before flag updates were counted read the same.
  if (from.flagsUpdated) into.flagsUpdated = (into.flagsUpdated ?? 0) + from.flagsUpdated;
  return into;
}

export function sumCounts(all: Iterable<Counts>): Counts {
  const sum = zeroCounts();
  for (const counts of all) addCounts(sum, counts);
  return sum;
}

/** Messages per second over a duration, one decimal; 0 for no time at all. */
export function messagesPerSecond(copied: number, durationMs: number): number {
  return durationMs > 0 ? Math.round((copied / (durationMs / MS_PER_SECOND)) * RATE_PRECISION) / RATE_PRECISION : 0;
}

/**
 * What is true now for an item: messages at the destination and rows in its error log, read when
 * its last run ended. An item whose runs ended before these were recorded falls back to its totals.
 */
export function nowOrTotal(statistics: ItemStatistics): { messagesAtDestination: number; currentErrors: number } {
  return {
    messagesAtDestination: statistics.messagesAtDestination ?? statistics.copied,
    currentErrors: statistics.currentErrors ?? statistics.failed,
  };
}
