/** startBufferCollector asks for a full collection only when array buffers grew by the threshold, and never without gc. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startBufferCollector } from '../../api/adapters/buffer-collector.js';

const MB = 1024 * 1024;

describe('startBufferCollector', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('collects when array buffers grew by the threshold since the least seen, and measures again after', () => {
    let bytes = 10 * MB;
    const gc = vi.fn(() => {
      bytes = 12 * MB; // what survives the collection
    });
    const stop = startBufferCollector({ gc, arrayBuffers: () => bytes, growthBytes: 16 * MB, intervalMs: 100 });
    bytes = 25 * MB;
    vi.advanceTimersByTime(100);
    expect(gc).not.toHaveBeenCalled(); // 15 MB of growth: below the threshold
    bytes = 4 * MB; // V8 collected on its own: the floor follows
    vi.advanceTimersByTime(100);
    bytes = 19 * MB;
    vi.advanceTimersByTime(100);
    expect(gc).not.toHaveBeenCalled(); // 15 MB above the new floor
    bytes = 21 * MB;
    vi.advanceTimersByTime(100);
    expect(gc).toHaveBeenCalledTimes(1);
    bytes = 27 * MB; // 15 MB above the 12 MB that survived
    vi.advanceTimersByTime(100);
    expect(gc).toHaveBeenCalledTimes(1);
    stop();
    bytes = 100 * MB;
    vi.advanceTimersByTime(1_000);
    expect(gc).toHaveBeenCalledTimes(1);
  });

  it('does nothing without a collector (Node started without --expose-gc)', () => {
    const original = (globalThis as { gc?: unknown }).gc;
    (globalThis as { gc?: unknown }).gc = undefined;
    try {
      const arrayBuffers = vi.fn(() => 0);
      const stop = startBufferCollector({ arrayBuffers, intervalMs: 100 });
      vi.advanceTimersByTime(1_000);
      expect(arrayBuffers).not.toHaveBeenCalled();
      stop();
    } finally {
      (globalThis as { gc?: unknown }).gc = original;
    }
  });
});
