import { systemClock, type Clock } from '../ports.js';

export interface SendRateLimiterOptions {
  /** Sends allowed in any window of `windowMs`. */
  maxSends: number;
  windowMs: number;
  clock?: Clock;
}

/**
 * "At most N sends in any window": a sliding log of the last N start times. A plain token bucket
 * of N tokens refilling at N per window lets 2N−1 through one window (a full bucket, then the
 * refill), which is what Teams' "4 requests per second" throttles. Callers wait their turn in
 * arrival order.
 */
export class SendRateLimiter {
  private readonly clock: Clock;
  /** Start times (epoch ms) of the most recent sends, oldest first, at most `maxSends`. */
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: SendRateLimiterOptions) {
    if (!(options.maxSends >= 1) || !(options.windowMs > 0)) throw new RangeError('SendRateLimiter needs maxSends ≥ 1 and windowMs > 0');
    this.clock = options.clock ?? systemClock;
  }

  /** Resolves when this caller may send; the send counts from that moment. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn;
    return turn;
  }

  private async waitForSlot(): Promise<void> {
    if (this.starts.length >= this.options.maxSends) {
      const waitMs = this.starts[0] + this.options.windowMs - this.clock.now().getTime();
      if (waitMs > 0) await this.clock.sleep(waitMs);
      this.starts.shift();
    }
    this.starts.push(this.clock.now().getTime());
  }
}
