/**
 * Pacing shared by the HTTP connectors (EWS, Graph): a window of requests in flight that can
 * only shrink, the server's `Retry-After`, and a sleep that a cancelled job interrupts.
 */
import { ConnectionError } from '../core/errors.js';

/** A semaphore whose size can only shrink (EWSMaxConcurrency found the hard way). */
export class Window {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(public size: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.size) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    this.active--;
    while (this.active < this.size && this.waiters.length > 0) {
      this.active++;
      this.waiters.shift()!();
    }
  }
  shrink(): void {
    this.size = Math.max(1, Math.min(this.size, this.active) - 1);
  }
  /** Runs `task` inside the window. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }
}

/** `Retry-After` in seconds or as an HTTP date, in ms. */
export function retryAfterMs(header: string | string[] | null | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** Sleeps `ms`, or rejects with a ConnectionError as soon as the job is cancelled. */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ConnectionError('The job was cancelled.'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ConnectionError('The job was cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
