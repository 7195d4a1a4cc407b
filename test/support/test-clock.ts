/**
 * A Clock that moves only when a test says so: lease expiry, back-off and scheduled jobs are
 * tested in microseconds instead of minutes, and never flake on a slow machine.
 */
import type { Clock } from '../../api/core/ports.js';

interface Sleeper {
  until: number;
  wake(): void;
}

export class TestClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  /** Every sleep asked of this clock, in milliseconds, in order: what the code under test chose to wait. */
  readonly slept: number[] = [];
  /**
   * True: each sleep moves the clock forward by its own length and ends at once, for tests that
   * check what was waited (a Retry-After honoured) rather than what happens meanwhile.
   */
  autoAdvance = false;

  constructor(start: Date = new Date('2026-03-02T09:00:00.000Z')) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Moves time forward and wakes every sleeper whose time has come. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('A TestClock only moves forward.');
    this.current += ms;
    const due = this.sleepers.filter((sleeper) => sleeper.until <= this.current);
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.until > this.current);
    for (const sleeper of due) sleeper.wake();
  }

  /** Moves time forward to `instant`. */
  advanceTo(instant: Date): void {
    this.advance(Math.max(0, instant.getTime() - this.current));
  }

  /** Resolves when the clock has been advanced by `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    this.slept.push(ms);
    if (this.autoAdvance) {
      this.advance(ms);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = {
        until: this.current + ms,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((other) => other !== sleeper);
        sleeper.wake();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** How many sleep() calls are waiting: lets a test wait until code under test is asleep. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }
}

/**
 * A clock whose sleeps end at once (an aborted one too): for tests that exercise retries
 * without caring how long they would have waited.
 */
export const instantClock: Clock = {
  now: () => new Date(),
  sleep: async () => undefined,
};
