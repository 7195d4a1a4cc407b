/**
 * The bench's output: a readable table for people, then exactly one JSON line for scripts.
 */
import { readFileSync } from 'node:fs';
import { MB } from './corpus.js';

export interface Row {
  name: string;
  messages: number;
  bytes: number;
  seconds: number;
  note?: string;
}

/** Decimal places per column; throughput is shown whole. */
const SECONDS_DIGITS = 2;
const MB_DIGITS = 1;
const RATIO_DIGITS = 2;

export function rate(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : 0;
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Rows plus a ratio column against the first row (the raw APPEND limit). */
export function formatTable(rows: Row[]): string {
  const base = rows[0] ? rate(rows[0].messages, rows[0].seconds) : 0;
  const header = ['run', 'messages', 'MB', 'seconds', 'msg/s', 'MB/s', 'vs raw', 'note'];
  const body = rows.map((row) => {
    const msgs = rate(row.messages, row.seconds);
    return [
      row.name,
      String(row.messages),
      (row.bytes / MB).toFixed(MB_DIGITS),
      row.seconds.toFixed(SECONDS_DIGITS),
      msgs.toFixed(0),
      rate(row.bytes / MB, row.seconds).toFixed(MB_DIGITS),
      base > 0 && row.messages > 0 ? `${(msgs / base).toFixed(RATIO_DIGITS)}x` : '-',
      row.note ?? '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export interface Summary {
  messages: number;
  bytes: number;
  rawAppendMsgsPerS: number;
  fullMsgsPerS: number;
  fullRatio: number;
  /** Mailferry's full pass ÷ mbsync's, measured in the same run. */
  fullVsMbsync: number;
  deltaSeconds: number;
  peakRssMB: number;
  mbsyncFullMsgsPerS: number;
  mbsyncDeltaSeconds: number;
  /** `mailferry migrate` run again with nothing new: wall time of the whole process, start included. */
  migrateDeltaWallSeconds: number;
  /** (e): flags changed at the source after (c), carried by one more full pass. */
  flagSync: { changed: number; flagsUpdated: number; seconds: number };
  identical: boolean;
  /** 1-minute load average at the start and end: timings compare only at similar load. */
  load?: { start: string; end: string };
  /**
   * CPU seconds of every process in (a) and (b) (the Dovecots as process groups), the least wall
   * time each phase's seconds allow on this machine's cores, and the full ÷ raw (b) would reach
   * at its floor.
   */
  cpuSeconds?: {
    raw: Record<string, number>;
    full: Record<string, number>;
    rawFloorSeconds: number;
    fullFloorSeconds: number;
    bestFullRatio: number;
    /** Mailferry's CPU in (b) by thread: the JavaScript thread, and V8's and libuv's threads together. */
    mailferryThreads?: Record<string, number>;
  };
}

/** A positive whole number from an environment variable, or the fallback; says which variable is wrong. */
export function positiveInt(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer (got "${text}").`);
  return value;
}

/** The 1-minute load average: timings are only comparable on a quiet machine. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?';
}
