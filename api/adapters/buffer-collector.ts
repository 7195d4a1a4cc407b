/**
 * Dead Buffers that outlived V8's young generation are freed only by a full collection, and V8
 * starts one for external memory only after it has grown by tens of MB. A copy job that waits
 * (a throttled destination, Exchange Online's budget windows) keeps its messages a second or more,
 * long enough to be promoted, so they pile up as garbage: in `npm run bench:graph`'s budget round,
 * 18–24 MB of array buffers at each new resident-size peak, of which 2–7 MB were live, and a peak
 * of 129–153 MB where a collection at each peak gave 117 MB at the same items/s.
 *
 * This asks for a full collection when array buffers have grown by `growthBytes` since the least
 * seen after the last one, checked every `intervalMs`. It needs `gc` (Node's `--expose-gc`, one of
 * Mailferry's Node flags for `npm start` and the Function App); without it, it does nothing.
 */
export interface BufferCollectorOptions {
  /** Growth of array buffers that asks for a full collection (default 16 MB). */
  growthBytes?: number;
  /** How often the size is read (default 500 ms; a read costs about a millisecond). */
  intervalMs?: number;
  /** The collector (default: globalThis.gc, present with --expose-gc). */
  gc?: () => void;
  /** Bytes in array buffers now (default: process.memoryUsage().arrayBuffers). */
  arrayBuffers?: () => number;
}

export const BUFFER_GROWTH_BYTES = 16 * 1024 * 1024;
export const BUFFER_CHECK_MS = 500;

/** Starts the check; returns what stops it. The timer never keeps the process alive. */
export function startBufferCollector(options: BufferCollectorOptions = {}): () => void {
  const gc = options.gc ?? (globalThis as { gc?: () => void }).gc;
  if (!gc) return () => undefined;
  const growth = options.growthBytes ?? BUFFER_GROWTH_BYTES;
  const arrayBuffers = options.arrayBuffers ?? (() => process.memoryUsage().arrayBuffers);
  let floor = arrayBuffers();
  const timer = setInterval(() => {
    const now = arrayBuffers();
    // V8's own collections lower the floor too.
    if (now - floor < growth) {
      floor = Math.min(floor, now);
      return;
    }
    gc();
    floor = arrayBuffers();
  }, options.intervalMs ?? BUFFER_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
